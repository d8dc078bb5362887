import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import { LOCAL_STATE_FILE } from '@acme/pg-core/src/workspace/local-state';
import {
  captureOutput,
  executorWorkspace,
  ExecutorWorkspace,
  useServerEnv,
} from '../../../test-utils/executor-workspace';
import dbCheck from './db-check';

const PASSWORD = 'ch3ck:p@ss/word';
let server: TestServer;
let ws: ExecutorWorkspace;
const saved = { ...process.env };

function useEnv(env: Record<string, string>) {
  useServerEnv(server, env);
}

function serverEnv(over: Record<string, string> = {}) {
  return {
    POSTGRES_HOST: 'localhost',
    POSTGRES_PORT: String(server.port),
    POSTGRES_DB: 'shop',
    POSTGRES_USER: server.user,
    POSTGRES_PASSWORD: PASSWORD,
    ...over,
  };
}

/** A direct connection to the test database, as an app would open one. */
function clientSettings() {
  return {
    host: '127.0.0.1',
    port: server.port,
    database: 'shop',
    user: server.user,
    password: PASSWORD,
  };
}

async function run(options: Parameters<typeof dbCheck>[0] = {}) {
  const out = captureOutput();
  try {
    const result = await dbCheck(options, ws.context());
    return { ...result, output: out.text(), stdout: out.stdout() };
  } finally {
    out.restore();
  }
}

beforeAll(async () => {
  server = await startPostgres({
    password: PASSWORD,
    database: 'shop',
    listen: '127.0.0.1,127.0.0.2',
  });
  ws = executorWorkspace();
});
afterAll(async () => {
  process.env = saved;
  await server?.stop();
  ws?.remove();
});

describe('db-check on a real server', () => {
  it('reports version, database, user, latency, size and connections', async () => {
    useEnv(serverEnv());
    const r = await run();
    expect(r.success).toBe(true);
    expect(r.output).toMatch(
      new RegExp(
        `^PostgreSQL 15\\.\\d+ at postgresql://postgres:\\*\\*\\*\\*@localhost:${server.port}/shop: ok`,
      ),
    );
    expect(r.output).toMatch(/database {5}shop \(\d+\.\d MB\)/);
    expect(r.output).toMatch(/latency {6}\d+\.\d+ ms/);
    expect(r.output).toMatch(/connections {2}\d+ \(\d+ active\)/);
    expect(r.output).not.toContain(PASSWORD);
  });

  it('--stats adds pg_stat_database and the busiest tables; --json is one parseable object', async () => {
    useEnv(serverEnv());
    const text = await run({ stats: true });
    expect(text.output).toContain('busiest tables');
    const json = await run({ stats: true, json: true });
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({ ok: true, database: 'shop', user: 'postgres' });
    expect(parsed.serverVersionNum).toBeGreaterThanOrEqual(150000);
    expect(typeof parsed.stats.database.xact_commit).toBe('number');
    expect(JSON.stringify(parsed)).not.toContain(PASSWORD);
  });

  it('--stats names the other connections by application_name, user and client address', async () => {
    useEnv(serverEnv());
    const none = await run({ stats: true });
    expect(none.output).toContain('  by app       no other connection');
    const open = (application_name: string) =>
      new Client({ ...clientSettings(), application_name });
    const held = [open('orders'), open('orders'), open('billing-worker')];
    try {
      for (const c of held) await c.connect();
      const text = await run({ stats: true });
      expect(text.output).toContain(
        "  by app       'orders' (user postgres, from 127.0.0.1) ×2; 'billing-worker' (user postgres, from 127.0.0.1)",
      );
      const json = JSON.parse((await run({ stats: true, json: true })).stdout);
      expect(json.stats.connectionsByApplication).toEqual([
        { application: 'orders', user: 'postgres', client: '127.0.0.1', count: 2 },
        { application: 'billing-worker', user: 'postgres', client: '127.0.0.1', count: 1 },
      ]);
    } finally {
      for (const c of held) await c.end().catch(() => undefined);
    }
  });

  it("no password anywhere, to a server that asks for one: one line that says so, not the driver's", async () => {
    useEnv({ ...serverEnv(), PGPASSFILE: '/nonexistent/pgpass' });
    delete process.env['POSTGRES_PASSWORD'];
    const r = await run({ json: true });
    expect(r.success).toBe(false);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ ok: false, error: 'no-password' });
    expect(result.message).toMatch(
      new RegExp(
        `^The server at localhost:${server.port} asks user '${server.user}' for a password, and none is set`,
      ),
    );
    expect(r.output).not.toContain('SCRAM-SERVER-FIRST-MESSAGE');
  });

  it('target options win over the environment', async () => {
    useEnv(serverEnv({ POSTGRES_DB: 'nope' }));
    const r = await run({ database: 'shop', json: true });
    expect(JSON.parse(r.stdout).database).toBe('shop');
  });

  it.each([
    [
      'a closed port',
      async () => serverEnv({ POSTGRES_PORT: '1' }),
      'refused',
      'Nothing accepts connections at localhost:1: the server is not running, or listens on another port (port from POSTGRES_PORT).',
    ],
    [
      'a wrong password',
      async () => serverEnv({ POSTGRES_PASSWORD: 'wrong' }),
      'wrong-password',
      `Wrong password, or no role 'postgres' on localhost:${0}: PostgreSQL answers both alike (password from POSTGRES_PASSWORD).`,
    ],
    [
      'a role that does not exist',
      async () => serverEnv({ POSTGRES_USER: 'ghost' }),
      'wrong-password',
      `Wrong password, or no role 'ghost' on localhost:${0}: PostgreSQL answers both alike (password from POSTGRES_PASSWORD).`,
    ],
    [
      'a missing database',
      async () => serverEnv({ POSTGRES_DB: 'missing_db' }),
      'database-missing',
      `Database 'missing_db' does not exist on localhost:${0} (name from POSTGRES_DB).`,
    ],
    [
      'an unknown host',
      async () => serverEnv({ POSTGRES_HOST: 'no-such-host.invalid' }),
      'unknown-host',
      "Unknown host 'no-such-host.invalid' (from POSTGRES_HOST).",
    ],
    [
      'SSL required by a server without it',
      async () => serverEnv({ POSTGRES_HOST: '127.0.0.2', PGSSLMODE: 'require' }),
      'ssl-unsupported',
      "does not support SSL, but sslmode is 'require' (from PGSSLMODE)",
    ],
  ])('%s: one clear line, success false, and --json says which', async (_, env, kind, line) => {
    useEnv(await env());
    const expected = line.replace('localhost:0', `localhost:${server.port}`);
    const r = await run({ timeout: 3 });
    expect(r.success).toBe(false);
    expect(r.output).toContain(expected);
    expect(r.output.trim().split('\n')).toHaveLength(1);
    expect(r.output).not.toMatch(/\n\s+at /);
    const j = await run({ json: true, timeout: 3 });
    expect(j.success).toBe(false);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: kind });
  });

  it('the check printed for a wrong password or a missing role runs as printed and tells them apart', async () => {
    const rows: Record<string, string> = {};
    for (const user of ['postgres', "gh'o$t"]) {
      useEnv(serverEnv({ POSTGRES_USER: user, POSTGRES_PASSWORD: 'wrong' }));
      const r = await run({ timeout: 3 });
      expect(r.success).toBe(false);
      const command = /Check which as a superuser: (psql .*")\. No row/.exec(r.output)?.[1];
      expect(command).toContain('-U <superuser>');
      const sh = spawnSync('sh', ['-c', command!.replace('<superuser>', server.user)], {
        encoding: 'utf-8',
        env: { ...process.env, PGPASSWORD: PASSWORD },
      });
      expect(sh.stderr).toBe('');
      expect(sh.status).toBe(0);
      rows[user] = sh.stdout;
    }
    expect(rows['postgres']).toContain('(1 row)');
    expect(rows["gh'o$t"]).toContain('(0 rows)');
    // The fix it gives for a missing role, run as given (psql's \password then sets the password).
    useEnv(serverEnv({ POSTGRES_USER: "gh'o$t", POSTGRES_PASSWORD: 'wrong' }));
    const r = await run({ timeout: 3 });
    const create = /in psql as a superuser, (CREATE ROLE .* LOGIN);/.exec(r.output)![1];
    expect(r.output).toContain(`then \\password "gh'o$t" (it asks for the password`);
    const psql = (sql: string) =>
      spawnSync(
        'psql',
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(server.port),
          '-U',
          server.user,
          '-d',
          'postgres',
          '-Atc',
          sql,
        ],
        {
          encoding: 'utf-8',
          env: { ...process.env, PGPASSWORD: PASSWORD },
        },
      );
    try {
      expect(psql(create).stderr).toBe('');
      expect(psql(`SELECT rolcanlogin FROM pg_roles WHERE rolname = 'gh''o$t'`).stdout.trim()).toBe(
        't',
      );
    } finally {
      psql(`DROP ROLE IF EXISTS "gh'o$t"`);
    }
  });

  it('--wait retries until a server comes up, and gives up on a wrong password at once', async () => {
    const later = await startPostgres({ password: PASSWORD });
    const port = later.port;
    await later.stop();
    useEnv(serverEnv({ POSTGRES_PORT: String(port), POSTGRES_DB: 'postgres' }));
    const starting = new Promise<TestServer>((resolve) =>
      setTimeout(() => resolve(startPostgres({ password: PASSWORD, port })), 1500),
    );
    const waited = await run({ wait: 30 });
    const late = await starting;
    try {
      expect(waited.success).toBe(true);
      // It says that it had to wait, and how long.
      expect(waited.output).toMatch(
        new RegExp(
          `Waited \\d+\\.\\d s for localhost:${port} to accept connections \\(--wait 30, \\d+ retr(y|ies)\\)\\.`,
        ),
      );
      useEnv(serverEnv({ POSTGRES_PORT: String(port), POSTGRES_PASSWORD: 'wrong' }));
      const t = Date.now();
      const wrong = await run({ wait: 30 });
      expect(wrong.success).toBe(false);
      expect(Date.now() - t).toBeLessThan(5000);
    } finally {
      await late.stop();
    }
  });

  it('--wait that runs out says how long it waited; a check that needed no wait says nothing of it', async () => {
    useEnv(serverEnv({ POSTGRES_PORT: '1' }));
    const r = await run({ wait: 3 });
    expect(r.success).toBe(false);
    const waited =
      /\(Waited (\d+\.\d) s for it, --wait 3; a longer --wait gives it more time\.\)/.exec(
        r.output,
      );
    expect(r.output).toContain('Nothing accepts connections at localhost:1');
    // It waits what was asked, not one backoff step less.
    expect(Number(waited?.[1])).toBeGreaterThanOrEqual(3);
    useEnv(serverEnv());
    const quick = await run({ wait: 5 });
    expect(quick.success).toBe(true);
    expect(quick.output).not.toContain('Waited');
  });
});

describe('what to type next when nothing answers', () => {
  // 127.0.0.3: a loopback address no test server listens on, so the default port is refused.
  function useDefaultPort() {
    useEnv(serverEnv({ POSTGRES_HOST: '127.0.0.3' }));
    delete process.env['POSTGRES_PORT'];
  }
  afterEach(() => rmSync(join(ws.root, 'sql/postgres', LOCAL_STATE_FILE), { force: true }));

  it("names the database project's db-up; on a fresh clone (no env file recorded), how to write one", async () => {
    useDefaultPort();
    const r = await run({ timeout: 3 });
    expect(r.success).toBe(false);
    expect(r.output).toContain(
      'Nothing accepts connections at 127.0.0.3:5432: the server is not running, or listens on another port (port from default: no env file is recorded for this machine in sql/postgres/.acme-pg.local.json; write one with nx run postgres:db-values --envFile .env.postgres --noPt --generatePassword). Start the database (nx run postgres:db-up) or fix the port.',
    );
  });

  it('says when the recorded env file is missing, and how to write it again', async () => {
    useDefaultPort();
    writeFileSync(
      join(ws.root, 'sql/postgres', LOCAL_STATE_FILE),
      '{ "envFile": ".env.local-pg" }',
    );
    const r = await run({ timeout: 3 });
    expect(r.output).toContain(
      '(port from default: the env file .env.local-pg recorded in sql/postgres/.acme-pg.local.json is missing; write it again with nx run postgres:db-values --envFile .env.local-pg --noPt)',
    );
  });

  it('with a stack that starts the database: pt run and its entry point', async () => {
    const yml = join(ws.root, 'polytope.yml');
    const before = readFileSync(yml, 'utf-8');
    writeFileSync(yml, `templates:\n  - id: dev\n    run: [postgres]\n\n${before}`);
    try {
      useEnv(serverEnv({ POSTGRES_PORT: '1' }));
      const r = await run({ timeout: 3 });
      expect(r.output).toContain(
        'Start the database (nx run postgres:db-up, or pt run dev) or fix the port.',
      );
      expect(r.output).not.toContain('port from POSTGRES_PORT:');
    } finally {
      writeFileSync(yml, before);
    }
  });
});
