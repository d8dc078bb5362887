import { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { initScriptGenerator } from '../../generators/init-script/init-script';
import { moduleGenerator } from '../../generators/module/module';
import {
  captureOutput,
  executorWorkspace,
  ExecutorWorkspace,
  useServerEnv,
} from '../../../test-utils/executor-workspace';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import dbPsql from './db-psql';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const childProcess = require('node:child_process');

let server: TestServer;
let ws: ExecutorWorkspace;
const saved = { ...process.env };

beforeAll(async () => {
  server = await startPostgres({ password: 'ps:ql@pw', database: 'app' });
  ws = executorWorkspace();
  useServerEnv(server, { POSTGRES_DB: 'app' });
});
afterAll(async () => {
  process.env = saved;
  await server?.stop();
  ws?.remove();
});

async function run(args: string[]) {
  const spawn = jest.spyOn(childProcess, 'spawn');
  const out = captureOutput();
  try {
    const r = await dbPsql({ args }, ws.context());
    return { ...r, output: out.text(), calls: spawn.mock.calls.map((c) => c[1] as string[]) };
  } finally {
    out.restore();
    spawn.mockRestore();
  }
}

describe('db-psql on a real server', () => {
  it('runs psql with the arguments after --, on the resolved database, password in its environment', async () => {
    const r = await run(['-q', '-c', 'CREATE TABLE from_psql (id int)']);
    expect(r.success).toBe(true);
    expect(r.calls).toEqual([
      ['-v', 'ON_ERROR_STOP=1', '-q', '-c', 'CREATE TABLE from_psql (id int)'],
    ]);
    const c = new Client({ connectionString: server.url, ssl: false });
    await c.connect();
    expect((await c.query("SELECT to_regclass('from_psql') IS NOT NULL AS ok")).rows[0].ok).toBe(
      true,
    );
    await c.end();
  });

  it("fails with psql's exit code when the SQL fails", async () => {
    const r = await run(['-q', '-c', 'SELECT 1/0']);
    expect(r.success).toBe(false);
  });

  it.each([
    ['-h', 'elsewhere', '-c', 'SELECT 1'],
    ['-helsewhere', '-c', 'SELECT 1'],
    ['-Uother', '-c', 'SELECT 1'],
    ['-dother', '-c', 'SELECT 1'],
    ['--host=elsewhere'],
    ['-c', 'SELECT 1', 'postgresql://x:y@elsewhere/db'],
    ['host=elsewhere'],
  ])('refuses %j, which would bypass the settings, and runs nothing', async (...args) => {
    const r = await run(args);
    expect(r.success).toBe(false);
    expect(r.output).toContain('is not passed to psql: it would choose the connection');
    // The page ships in the package (package-contents.integration.spec.ts checks it is there).
    expect(r.output).toContain('see node_modules/@acme/pg/docs/executors/connection.md');
    expect(r.calls).toEqual([]);
  });

  it("applies a database-user init script to the live database with the env file's PGINIT_ password", async () => {
    const tree: Tree = createTreeWithEmptyWorkspace();
    await moduleGenerator(tree, { skipFormat: true });
    await initScriptGenerator(tree, {
      name: 'app-user',
      kind: 'database-user',
      role: 'app_user',
      skipFormat: true,
    });
    mkdirSync(join(ws.root, 'sql/postgres'), { recursive: true });
    writeFileSync(
      join(ws.root, 'sql/postgres/001-app-user.sql'),
      tree.read('sql/postgres/001-app-user.sql')!,
    );
    writeFileSync(
      join(ws.root, '.env.postgres'),
      `POSTGRES_PORT='${server.port}'\nPGINIT_APP_USER_PASSWORD='r0le pw'\n`,
    );
    writeFileSync(
      join(ws.root, 'sql/postgres/.acme-pg.local.json'),
      '{"envFile": ".env.postgres"}',
    );
    delete process.env['PGINIT_APP_USER_PASSWORD'];
    const cwd = process.cwd();
    process.chdir(ws.root); // where nx runs executors
    try {
      const r = await dbPsql(
        { args: ['-q', '-f', 'sql/postgres/001-app-user.sql'] },
        ws.context('postgres'),
      );
      expect(r.success).toBe(true);
    } finally {
      process.chdir(cwd);
    }
    const c = new Client({
      host: '127.0.0.1',
      port: server.port,
      user: 'app_user',
      password: 'r0le pw',
      database: 'app_user',
      ssl: false,
    });
    await c.connect();
    expect((await c.query('SELECT current_user AS u')).rows[0].u).toBe('app_user');
    await c.end();
  });
});
