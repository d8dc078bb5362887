/**
 * The database-user script, run by the real psql against a real server that logs every statement
 * (log_statement=all, log_min_error_statement=error): the role logs in with its password, and the
 * server log never holds that password, on success or on failure.
 */
import { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import { moduleGenerator } from '../module/module';
import { initScriptGenerator } from './init-script';

// Quotes, a backslash, a tab, a percent sign and non-ASCII: what naive quoting gets wrong.
const ROLE_PASSWORD = `r0le'pw"\\x\t%s€`;
let server: TestServer;
let dir: string;
let script: string;

function psql(
  file: string,
  env: Record<string, string>,
  user = server.user,
  password = server.password,
) {
  return spawnSync('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-f', file], {
    encoding: 'utf-8',
    env: {
      PATH: process.env['PATH'],
      PGHOST: '127.0.0.1',
      PGPORT: String(server.port),
      PGUSER: user,
      PGPASSWORD: password,
      PGDATABASE: 'postgres',
      PGSSLMODE: 'disable',
      ...env,
    },
  });
}

async function logsIn(user: string, password: string, database: string): Promise<boolean> {
  const c = new Client({
    host: '127.0.0.1',
    port: server.port,
    user,
    password,
    database,
    ssl: false,
  });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The server writes its log a moment after psql returns. */
async function logWith(text: string): Promise<string> {
  for (let i = 0; i < 50 && !server.log().includes(text); i++)
    await new Promise((r) => setTimeout(r, 100));
  return server.log();
}

beforeAll(async () => {
  server = await startPostgres({
    password: 'super-secret-pw',
    settings: { log_statement: 'all', log_min_error_statement: 'error' },
  });
  const tree: Tree = createTreeWithEmptyWorkspace();
  await moduleGenerator(tree, { skipFormat: true });
  await initScriptGenerator(tree, {
    name: 'app-user',
    kind: 'database-user',
    role: 'app_user',
    skipFormat: true,
  });
  dir = mkdtempSync(join(tmpdir(), 'acme-pg-init-'));
  script = join(dir, '001-app-user.sql');
  writeFileSync(script, tree.read('sql/postgres/001-app-user.sql', 'utf-8')!);
});
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('database-user script on a server that logs every statement', () => {
  it('creates the role, which logs in with its password; the log never holds the password', async () => {
    const r = psql(script, { PGINIT_APP_USER_PASSWORD: ROLE_PASSWORD });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(await logsIn('app_user', ROLE_PASSWORD, 'app_user')).toBe(true);
    const log = await logWith('CREATE DATABASE app_user OWNER app_user');
    expect(log).toContain('statement: DO $$'); // the log really has every statement
    expect(log).not.toContain('r0le');
  });

  it('run again (a live database), it changes the password; still nothing in the log', async () => {
    const r = psql(script, { PGINIT_APP_USER_PASSWORD: 'second-0ne' });
    expect(r.status).toBe(0);
    expect(await logsIn('app_user', 'second-0ne', 'app_user')).toBe(true);
    expect(await logWith('statement: DROP TABLE acme_pg_secret')).not.toContain('second-0ne');
  });

  it('when setting the password fails, the error is clear and the log holds no password', async () => {
    const c = new Client({ connectionString: server.url, ssl: false });
    await c.connect();
    await c.query("CREATE ROLE weak LOGIN PASSWORD 'weak-pw'");
    await c.end();
    // A role that may not create or change roles: CREATE/ALTER ROLE fails inside the script.
    const r = psql(script, { PGINIT_APP_USER_PASSWORD: 'third-0ne' }, 'weak', 'weak-pw');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/ALTER ROLE "app_user" failed: permission denied/);
    expect(r.stderr).not.toContain('third-0ne');
    const log = await logWith('permission denied');
    expect(log).toMatch(/ERROR: +ALTER ROLE "app_user" failed: permission denied/);
    expect(log).toContain('STATEMENT:  DO $$'); // log_min_error_statement logged the statement
    expect(log).not.toContain('third-0ne');
    expect(await logsIn('app_user', 'second-0ne', 'app_user')).toBe(true);
  });

  it('refuses an empty or missing password with one line that names the secret', () => {
    for (const env of [{}, { PGINIT_APP_USER_PASSWORD: '' }] as Record<string, string>[]) {
      const r = psql(script, env);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(
        'PGINIT_APP_USER_PASSWORD is empty or not one line: set the secret postgres-role-app_user-secret',
      );
    }
  });
});
