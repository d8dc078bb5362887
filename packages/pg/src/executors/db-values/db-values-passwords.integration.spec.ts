/**
 * db-values and passwords against a real PostgreSQL (and the recording stand-in for `pt`): a set
 * password is never replaced, the env file counts as set, an app's role gets its keys, and a
 * rotation can never lock anyone out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  captureOutput,
  executorWorkspace,
  ExecutorWorkspace,
} from '../../../test-utils/executor-workspace';
import { FakePt, installFakePt } from '@acme/pg-core/test-utils/fake-pt';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import { readEnvFile } from '@acme/pg-core/src/postgres/env-file';
import dbCheck from '../db-check/db-check';
import dbValues from './db-values';

const POLYTOPE = `modules:
  - id: postgres
    module: polytope/postgres
    args:
      image: postgres:16.2
      env:
        - { name: POSTGRES_DB, value: pt.value postgres-database }
        - { name: POSTGRES_USER, value: pt.secret postgres-username }
        - { name: POSTGRES_PASSWORD, value: pt.secret postgres-password }
        - { name: PGINIT_APP_USER_PASSWORD, value: pt.secret postgres-role-app_user-secret }
      service-id: db
  - id: api
    module: polytope/python
    args:
      env:
        - { name: POSTGRES_DB, value: pt.value postgres-role-app_user-database }
        - { name: POSTGRES_USER, value: pt.secret postgres-role-app_user-username }
        - { name: POSTGRES_PASSWORD, value: pt.secret postgres-role-app_user-secret }
`;

const PASSWORD = 'first-pw';
let server: TestServer;
let ws: ExecutorWorkspace;
let pt: FakePt;
const saved = { ...process.env };

function clearEnv() {
  for (const k of Object.keys(process.env))
    if (/^(PG|POSTGRES_|DATABASE_URL|CI$)/.test(k)) delete process.env[k];
}

async function run(options: Parameters<typeof dbValues>[0], project = 'postgres') {
  const out = captureOutput();
  try {
    const r = await dbValues(options, ws.context(project));
    return { ...r, output: out.text() };
  } finally {
    out.restore();
  }
}

const secretSets = (key: string) =>
  pt
    .calls()
    .filter((c) => c.args[0] === 'secrets' && c.args[1] === 'set' && c.args[2] === key)
    .map((c) => c.stdin);
const envFile = () => readEnvFile(join(ws.root, '.env.postgres'))!;

async function login(user: string, password: string, database = 'postgres'): Promise<string> {
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
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? (e as Error).message;
  } finally {
    await c.end().catch(() => undefined);
  }
}

function psqlLogin(user: string, password: string): number | null {
  return spawnSync('psql', ['-X', '-tAc', 'SELECT 1'], {
    env: {
      PATH: process.env['PATH'],
      PGHOST: '127.0.0.1',
      PGPORT: String(server.port),
      PGUSER: user,
      PGPASSWORD: password,
      PGDATABASE: 'postgres',
      PGSSLMODE: 'disable',
    },
  }).status;
}

beforeAll(async () => {
  server = await startPostgres({ user: 'postgres', password: PASSWORD, database: 'shop' });
  ws = executorWorkspace();
  writeFileSync(join(ws.root, 'polytope.yml'), POLYTOPE);
  writeFileSync(join(ws.root, 'package.json'), '{ "name": "shop" }');
  writeFileSync(
    join(ws.root, 'sql/postgres/acme-pg.json'),
    JSON.stringify({
      kind: 'database',
      module: 'postgres',
      polytopeFile: 'polytope.yml',
      roles: { app_user: { database: 'app_db' } },
    }),
  );
  writeFileSync(
    join(ws.root, 'apps/api/acme-pg.json'),
    JSON.stringify({ kind: 'client', modules: ['postgres'], roles: { postgres: 'app_user' } }),
  );
  pt = installFakePt();
});
afterAll(async () => {
  process.env = saved;
  await server?.stop();
  ws?.remove();
  pt?.remove();
});
beforeEach(() => {
  pt.reset();
  clearEnv();
});

describe('db-values never replaces a set password', () => {
  it('run again with --envFile --generatePassword, it keeps every password (pt and env file)', async () => {
    const first = await run({
      envFile: '.env.postgres',
      exposedPort: server.port,
      generatePassword: true,
    });
    expect(first.success).toBe(true);
    const generated = secretSets('postgres-password')[0];
    expect(envFile()['POSTGRES_PASSWORD']).toBe(generated);
    // The first start of the database would use that password: make this server match it.
    const c = new Client({ connectionString: server.url, ssl: false });
    await c.connect();
    await c.query(`ALTER ROLE postgres PASSWORD '${generated}'`);
    await c.end();

    pt.reset();
    pt.setExisting({
      values: ['postgres-host', 'postgres-port', 'postgres-database'],
      secrets: ['postgres-username', 'postgres-password', 'postgres-role-app_user-secret'],
    });
    const again = await run({
      envFile: '.env.postgres',
      exposedPort: server.port,
      generatePassword: true,
    });
    expect(again.success).toBe(true);
    expect(secretSets('postgres-password')).toEqual([]);
    expect(secretSets('postgres-role-app_user-secret')).toEqual([]);
    expect(envFile()['POSTGRES_PASSWORD']).toBe(generated);
    expect(await login('postgres', generated)).toBe('ok');

    // Without --generatePassword too: the env file holds the passwords, which count as set.
    pt.reset();
    const plain = await run({ envFile: '.env.postgres', exposedPort: server.port, noPt: true });
    expect(plain.success).toBe(true);
    expect(envFile()['POSTGRES_PASSWORD']).toBe(generated);
    process.env['POSTGRES_PASSWORD'] = generated; // the rest of the file logs in with it
  });

  it('--dryRun says where each password would come from, and reads none', async () => {
    const r = await run({ dryRun: true });
    expect(r.success).toBe(true);
    expect(r.output).toContain(
      'pt secrets set postgres-password --stdin   # only if it is not set; on stdin, from POSTGRES_PASSWORD in the env file',
    );
    expect(r.output).not.toContain(envFile()['POSTGRES_PASSWORD']);
    expect(pt.calls()).toEqual([]);
  });

  it('a password in the environment that differs from the env file is refused, nothing written', async () => {
    const before = readFileSync(join(ws.root, '.env.postgres'), 'utf-8');
    process.env['POSTGRES_PASSWORD'] = 'something-else';
    const r = await run({ envFile: '.env.postgres', exposedPort: server.port });
    expect(r.success).toBe(false);
    expect(r.output).toContain(
      'POSTGRES_PASSWORD differs from POSTGRES_PASSWORD in the env file, which is set already',
    );
    expect(r.output).not.toContain('something-else');
    expect(pt.calls().filter((c) => c.args[1] === 'set')).toEqual([]);
    expect(readFileSync(join(ws.root, '.env.postgres'), 'utf-8')).toBe(before);
  });

  it("sets an app role's username and database, and the app's db-check connects as the role", async () => {
    const r = await run({ envFile: '.env.postgres', exposedPort: server.port });
    expect(r.success).toBe(true);
    const sets = pt.calls().filter((c) => c.args[1] === 'set');
    expect(sets.find((c) => c.args[2] === 'postgres-role-app_user-username')?.stdin).toBe(
      'app_user',
    );
    expect(sets.find((c) => c.args[2] === 'postgres-role-app_user-database')?.args[3]).toBe(
      'app_db',
    );
    // The role and its database, as the database-user init script would make them.
    const rolePw = envFile()['PGINIT_APP_USER_PASSWORD'];
    const c = new Client({
      connectionString: server.url.replace(PASSWORD, envFile()['POSTGRES_PASSWORD']),
      ssl: false,
    });
    await c.connect();
    await c.query(`CREATE ROLE app_user LOGIN PASSWORD '${rolePw}'`);
    await c.query('CREATE DATABASE app_db OWNER app_user');
    await c.end();
    clearEnv();
    const out = captureOutput();
    try {
      const check = await dbCheck({ json: true }, ws.context('api'));
      expect(check.success).toBe(true);
      expect(JSON.parse(out.stdout())).toMatchObject({
        ok: true,
        user: 'app_user',
        database: 'app_db',
      });
    } finally {
      out.restore();
    }
  });
});

describe('db-values and a password only pt knows', () => {
  it('is asked for, never generated anew, when the env file needs it', async () => {
    pt.setExisting({ secrets: ['postgres-password', 'postgres-role-app_user-secret'] });
    const r = await run({ envFile: 'fresh.env', exposedPort: server.port, generatePassword: true });
    expect(r.success).toBe(false);
    expect(r.output).toContain(
      'The secret postgres-password is set, but its value is not known here (pt cannot show secrets). Give it in POSTGRES_PASSWORD or PGPASSWORD',
    );
    expect(pt.calls().filter((c) => c.args[1] === 'set')).toEqual([]);
    expect(existsSync(join(ws.root, 'fresh.env'))).toBe(false);
  });
});

describe('--rotatePassword', () => {
  const current = () => envFile()['POSTGRES_PASSWORD'];

  it("with 'correct\u00adhorse\u200bbattery' (SASLprep maps both): the new password logs in through psql and pg", async () => {
    const old = current();
    process.env['POSTGRES_NEW_PASSWORD'] = 'correct\u00adhorse\u200bbattery';
    const r = await run({
      rotatePassword: true,
      envFile: '.env.postgres',
      exposedPort: server.port,
    });
    expect(r.success).toBe(true);
    expect(secretSets('postgres-password')).toEqual(['correct\u00adhorse\u200bbattery']);
    expect(current()).toBe('correct\u00adhorse\u200bbattery');
    expect(envFile()['POSTGRES_PREVIOUS_PASSWORD']).toBeUndefined();
    expect(psqlLogin('postgres', 'correct\u00adhorse\u200bbattery')).toBe(0);
    expect(await login('postgres', 'correct\u00adhorse\u200bbattery')).toBe('ok');
    expect(await login('postgres', old)).toBe('28P01');
  });

  it('without --envFile, the env file db-values recorded gets the new password too, and db-check logs in', async () => {
    const old = current();
    const r = await run({ rotatePassword: true, generatePassword: true });
    expect(r.success).toBe(true);
    const [secret] = secretSets('postgres-password');
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(current()).toBe(secret);
    expect(envFile()['POSTGRES_PREVIOUS_PASSWORD']).toBeUndefined();
    expect(r.output).toContain('and in .env.postgres');
    expect(await login('postgres', secret)).toBe('ok');
    expect(await login('postgres', old)).toBe('28P01');
    const check = await dbCheck({}, ws.context('postgres'));
    expect(check.success).toBe(true);
  });

  it("--role app_user: the role's password changes (secret and env file first), the superuser's stays", async () => {
    const superuser = current();
    const oldRole = envFile()['PGINIT_APP_USER_PASSWORD'];
    expect(await login('app_user', oldRole, 'app_db')).toBe('ok');
    const r = await run({
      rotatePassword: true,
      role: 'app_user',
      generatePassword: true,
      envFile: '.env.postgres',
      exposedPort: server.port,
    });
    expect(r.success).toBe(true);
    expect(r.output).toContain("Changed the password of 'app_user'");
    const [secret] = secretSets('postgres-role-app_user-secret');
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(envFile()['PGINIT_APP_USER_PASSWORD']).toBe(secret);
    expect(envFile()['PGINIT_APP_USER_PREVIOUS_PASSWORD']).toBeUndefined();
    expect(await login('app_user', secret, 'app_db')).toBe('ok');
    expect(await login('app_user', oldRole, 'app_db')).toBe('28P01');
    expect(current()).toBe(superuser);
    expect(await login('postgres', superuser)).toBe('ok');
    // pt lists nothing here, so it learns the superuser's password: the same one.
    expect(secretSets('postgres-password').every((v) => v === superuser)).toBe(true);
    const bad = await run({ rotatePassword: true, role: 'nobody', generatePassword: true });
    expect(bad.output).toContain("No init script of module 'postgres' makes the role 'nobody'");
  });

  it('when pt cannot store the new secret, nothing changes (before the ALTER ROLE)', async () => {
    const old = current();
    process.env['PT_FAIL_KEY'] = 'postgres-password';
    const r = await run({
      rotatePassword: true,
      generatePassword: true,
      envFile: '.env.postgres',
      exposedPort: server.port,
    });
    expect(r.success).toBe(false);
    expect(r.output).toContain('The password was not changed anywhere.');
    expect(current()).toBe(old);
    expect(await login('postgres', old)).toBe('ok');
  });

  it('when the new password cannot log in after the ALTER ROLE, the old one is put back everywhere', async () => {
    // A role limited to one connection: the rotation's own session uses it, so the check fails.
    const su = new Client({
      host: '127.0.0.1',
      port: server.port,
      user: 'postgres',
      password: current(),
      database: 'postgres',
      ssl: false,
    });
    await su.connect();
    await su.query("CREATE ROLE limited LOGIN PASSWORD 'limited-old' CONNECTION LIMIT 1");
    await su.end();
    writeFileSync(
      join(ws.root, 'limited.env'),
      `POSTGRES_PORT='${server.port}'\nPOSTGRES_DB='postgres'\nPOSTGRES_USER='limited'\nPOSTGRES_PASSWORD='limited-old'\n`,
    );
    const r = await run({
      rotatePassword: true,
      generatePassword: true,
      envFile: 'limited.env',
      exposedPort: server.port,
    });
    expect(r.success).toBe(false);
    expect(r.output).toContain("Changing the password of 'limited' failed");
    expect(r.output).toContain(
      'the old password is back on the server, in postgres-password and in limited.env',
    );
    const stored = secretSets('postgres-password');
    expect(stored).toHaveLength(2);
    expect(stored[1]).toBe('limited-old');
    expect(readEnvFile(join(ws.root, 'limited.env'))!['POSTGRES_PASSWORD']).toBe('limited-old');
    expect(await login('limited', 'limited-old')).toBe('ok');
    expect(await login('limited', stored[0])).toBe('28P01');
  });
});
