import { Client } from 'pg';
import {
  captureOutput,
  executorWorkspace,
  ExecutorWorkspace,
  useServerEnv,
} from '../../../test-utils/executor-workspace';
import { startPostgres, TestServer } from '../../../test-utils/real-postgres';
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

  it('refuses connection flags, which would bypass the settings or expose a password', async () => {
    const r = await run(['-h', 'elsewhere', '-c', 'SELECT 1']);
    expect(r.success).toBe(false);
    expect(r.output).toContain('-h is not passed to psql: the connection comes from the target');
    expect(r.calls).toEqual([]);
  });
});
