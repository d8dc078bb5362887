/**
 * db-values against a recording stand-in for `pt` (Polytope's CLI cannot be installed here), and
 * against a real PostgreSQL for --envFile and --rotatePassword.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { Client } from 'pg';
import {
  captureOutput,
  executorWorkspace,
  ExecutorWorkspace,
} from '../../../test-utils/executor-workspace';
import { FakePt, installFakePt } from '@acme/pg-core/test-utils/fake-pt';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import dbCheck from '../db-check/db-check';
import dbValues from './db-values';
import { DEFAULT_KEYS, OWN_KEYS_MODULE } from '../../../test-utils/own-keys';

const POLYTOPE = `templates:
  - id: stack
    run: [postgres, analytics, api]
modules:
  - id: postgres
    module: polytope/postgres
    args:
      image: postgres:16.2
      env:
        - { name: POSTGRES_DB, value: pt.value postgres-database }
        - { name: POSTGRES_USER, value: pt.secret postgres-username }
        - { name: POSTGRES_PASSWORD, value: pt.secret postgres-password }
        - { name: POSTGRES_HOST_AUTH_METHOD, value: scram-sha-256 }
        - { name: PGINIT_APP_USER_PASSWORD, value: pt.secret postgres-role-app_user-secret }
      service-id: db
  - id: analytics
    module: polytope/postgres
    args:
      env:
        - { name: POSTGRES_DB, value: pt.value analytics-database }
        - { name: POSTGRES_USER, value: pt.secret analytics-username }
        - { name: POSTGRES_PASSWORD, value: pt.secret analytics-password }
      service-id: analytics
  - id: api
    module: polytope/python
    args:
      env:
        - { name: POSTGRES_HOST, value: pt.value postgres-host }
        - { name: POSTGRES_PORT, value: pt.value postgres-port }
        - { name: POSTGRES_USER, value: pt.secret postgres-username }
        - { name: POSTGRES_PASSWORD, value: pt.secret postgres-password }
        - { name: ANALYTICS_POSTGRES_HOST, value: pt.value analytics-host }
        - { name: SENTRY_DSN, value: pt.secret postgres-sentry-dsn }
        - { name: OTHER, value: pt.value api-port }
`;

const PASSWORD = 'pg:p@ss/w0rd';
const ROLE_PASSWORD = 'r0le:secret';
let ws: ExecutorWorkspace;
let pt: FakePt;
const saved = { ...process.env };

function clearEnv() {
  for (const k of Object.keys(process.env))
    if (/^(PG|POSTGRES_|ANALYTICS_|DATABASE_URL|CI$)/.test(k)) delete process.env[k];
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

const sets = () =>
  pt
    .calls()
    .filter((c) => c.args[1] === 'set')
    .map((c) => (c.args[0] === 'secrets' ? [...c.args, `stdin=${c.stdin}`] : c.args));

beforeAll(() => {
  ws = executorWorkspace();
  writeFileSync(join(ws.root, 'polytope.yml'), POLYTOPE);
  writeFileSync(join(ws.root, 'package.json'), '{ "name": "@shop/source" }');
  writeFileSync(
    join(ws.root, 'sql/postgres/acme-pg.json'),
    '{"kind":"database","module":"postgres","polytopeFile":"polytope.yml"}',
  );
  mkdirSync(join(ws.root, 'sql/analytics'), { recursive: true });
  writeFileSync(
    join(ws.root, 'sql/analytics/acme-pg.json'),
    '{"kind":"database","module":"analytics","polytopeFile":"polytope.yml"}',
  );
  pt = installFakePt();
});
afterAll(() => {
  process.env = saved;
  ws?.remove();
  pt?.remove();
});
beforeEach(() => {
  pt.reset();
  clearEnv();
  Object.assign(process.env, {
    POSTGRES_USER: 'app',
    POSTGRES_PASSWORD: PASSWORD,
    PGINIT_APP_USER_PASSWORD: ROLE_PASSWORD,
  });
});

describe('db-values through pt', () => {
  it('sets every key the module and its apps reference: values as arguments, secrets on stdin', async () => {
    const r = await run({});
    expect(r.success).toBe(true);
    expect(sets()).toEqual([
      ['values', 'set', 'postgres-database', 'shop'],
      ['secrets', 'set', 'postgres-username', '--stdin', 'stdin=app'],
      ['secrets', 'set', 'postgres-password', '--stdin', `stdin=${PASSWORD}`],
      ['secrets', 'set', 'postgres-role-app_user-secret', '--stdin', `stdin=${ROLE_PASSWORD}`],
      ['values', 'set', 'postgres-host', 'db'],
      ['values', 'set', 'postgres-port', '5432'],
    ]);
    expect(r.output).toContain(
      'secret postgres-sentry-dsn: not managed by db-values (used by api: SENTRY_DSN); set it yourself',
    );
    expect(r.output).not.toContain('api-port');
    for (const c of pt.calls()) expect(c.args.join(' ')).not.toMatch(/p@ss|r0le/);
    expect(r.output).not.toContain(PASSWORD);
    expect(r.output).not.toContain(ROLE_PASSWORD);
  });

  it('uses the keys and names of another module id', async () => {
    Object.assign(process.env, {
      ANALYTICS_POSTGRES_USER: 'reporter',
      ANALYTICS_POSTGRES_PASSWORD: 'an@lytics',
    });
    const r = await run({ module: 'analytics', database: 'events' });
    expect(r.success).toBe(true);
    expect(sets()).toEqual([
      ['values', 'set', 'analytics-database', 'events'],
      ['secrets', 'set', 'analytics-username', '--stdin', 'stdin=reporter'],
      ['secrets', 'set', 'analytics-password', '--stdin', 'stdin=an@lytics'],
      ['values', 'set', 'analytics-host', 'analytics'],
      // Not referenced by any app, but the blueprint's values are always set.
      ['values', 'set', 'analytics-port', '5432'],
    ]);
  });

  it('--dryRun prints the commands, secrets masked, and runs nothing', async () => {
    // It needs no secret: none is asked for, generated or read.
    delete process.env['PGINIT_APP_USER_PASSWORD'];
    const r = await run({ dryRun: true });
    expect(r.success).toBe(true);
    expect(pt.calls()).toEqual([]);
    expect(r.output).toContain('pt values set postgres-database shop');
    expect(r.output).toContain('pt secrets set postgres-password --stdin');
    expect(r.output).not.toContain(PASSWORD);
    // Nor anything on disk: as root in this 0700 folder, the local data would live in
    // /var/lib/acme-pg, and only db-up makes that folder.
    const shared = existsSync('/var/lib/acme-pg') ? readdirSync('/var/lib/acme-pg') : [];
    expect(shared.filter((d) => d.startsWith(`${basename(ws.root)}-`))).toEqual([]);
  });

  it('keeps keys that are set unless --overwrite, and never replaces a set password', async () => {
    pt.setExisting({ values: ['postgres-host'], secrets: ['postgres-password'] });
    const kept = await run({});
    expect(sets().map((s) => s[2])).toEqual([
      'postgres-database',
      'postgres-username',
      'postgres-role-app_user-secret',
      'postgres-port',
    ]);
    expect(kept.output).toContain(
      'secret postgres-password: already set, kept (a set password changes only with --rotatePassword)',
    );
    expect(kept.output).toContain(
      'value postgres-host: already set, kept (--overwrite to replace it)',
    );
    pt.reset();
    pt.setExisting({
      values: ['postgres-host'],
      secrets: ['postgres-password', 'postgres-role-app_user-secret'],
    });
    const over = await run({ overwrite: true, generatePassword: true });
    expect(sets().map((s) => s[2])).toContain('postgres-host');
    expect(sets().map((s) => s[2])).not.toContain('postgres-password');
    expect(sets().map((s) => s[2])).not.toContain('postgres-role-app_user-secret');
    expect(over.output).toContain('--overwrite never replaces a password: use --rotatePassword');
  });

  it('sets nothing without --overwrite when pt cannot list the keys, and says so', async () => {
    process.env['PT_LIST_FAILS'] = '1';
    const r = await run({});
    expect(r.success).toBe(true);
    expect(sets()).toEqual([]);
    expect(r.output).toContain('pt could not list the keys that are set, so none is overwritten');
  });

  it('a failing pt stops with its exit code and stderr, and says what was set before it', async () => {
    process.env['PT_FAIL_KEY'] = 'postgres-password';
    const r = await run({});
    expect(r.success).toBe(false);
    expect(r.output).toContain(
      'pt secrets set postgres-password --stdin failed (exit 3): error: could not store postgres-password: permission denied. Set before it: postgres-database, postgres-username. Not set: postgres-password, postgres-role-app_user-secret, postgres-host, postgres-port.',
    );
  });

  it('without pt on PATH, prints the commands to run by hand, secrets masked', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = '/usr/bin:/bin';
    try {
      const r = await run({});
      expect(r.success).toBe(false);
      expect(r.output).toContain('pt is not on PATH, so nothing was set.');
      expect(r.output).toContain('  pt values set postgres-host db');
      expect(r.output).toContain('  pt secrets set postgres-password --stdin');
      // Pasted as printed, no line may store a mask as the secret; a user name is shown as it is.
      expect(r.output).not.toContain('****');
      expect(r.output).toMatch(/printf '%s' \S+ \| pt secrets set postgres-username --stdin/);
      expect(r.output).not.toContain(PASSWORD);
    } finally {
      process.env['PATH'] = path;
    }
  });

  it('no password, no terminal, no flag: a clear error and nothing set', async () => {
    delete process.env['POSTGRES_PASSWORD'];
    const r = await run({});
    expect(r.success).toBe(false);
    expect(r.output).toContain(
      "No password of 'app' given: set POSTGRES_PASSWORD or PGPASSWORD, or pass --generatePassword",
    );
    expect(sets()).toEqual([]);
  });

  it('--generatePassword makes 32 characters, shown only with --showPassword', async () => {
    delete process.env['POSTGRES_PASSWORD'];
    const r = await run({ generatePassword: true });
    const secret = sets()
      .find((s) => s[2] === 'postgres-password')![4]
      .slice('stdin='.length);
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(r.output).not.toContain(secret);
    expect(r.output).toContain(
      'Generated postgres-password (32 characters); --showPassword shows it.',
    );
    pt.reset();
    const shown = await run({ generatePassword: true, showPassword: true, overwrite: true });
    const again = sets()
      .find((s) => s[2] === 'postgres-password')![4]
      .slice('stdin='.length);
    expect(again).not.toBe(secret);
    expect(shown.output).toContain(`Generated postgres-password: ${again}  (shown once)`);
  });
});

describe('db-values with a real server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startPostgres({ user: 'app', password: PASSWORD, database: 'shop' });
  });
  afterAll(async () => server?.stop());

  it('--envFile writes the view from this machine, 0600, git-ignored, and db-check reads only it', async () => {
    const r = await run({ envFile: '.env.postgres', exposedPort: server.port, noPt: true });
    expect(r.success).toBe(true);
    expect(pt.calls()).toEqual([]);
    const path = join(ws.root, '.env.postgres');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf-8')).toContain(`POSTGRES_PASSWORD='${PASSWORD}'`);
    // The role's password too, for db-up to run the init scripts on this machine.
    expect(readFileSync(path, 'utf-8')).toContain(`PGINIT_APP_USER_PASSWORD='${ROLE_PASSWORD}'`);
    expect(readFileSync(join(ws.root, '.gitignore'), 'utf-8')).toContain('/.env.postgres\n');
    // Machine-local: recorded in the git-ignored local file, not in the committed marker.
    expect(
      JSON.parse(readFileSync(join(ws.root, 'sql/postgres/.acme-pg.local.json'), 'utf-8')).envFile,
    ).toBe('.env.postgres');
    expect(readFileSync(join(ws.root, 'sql/postgres/acme-pg.json'), 'utf-8')).not.toContain(
      'envFile',
    );
    expect(readFileSync(join(ws.root, '.gitignore'), 'utf-8')).toContain('.acme-pg.local.json');
    clearEnv();
    const out = captureOutput();
    try {
      const check = await dbCheck({ json: true }, ws.context('api'));
      expect(check.success).toBe(true);
      expect(JSON.parse(out.stdout())).toMatchObject({ ok: true, database: 'shop', user: 'app' });
    } finally {
      out.restore();
    }
  });

  it('--rotatePassword changes the password on the server, then the secret, on stdin', async () => {
    clearEnv();
    const r = await run({
      rotatePassword: true,
      generatePassword: true,
      envFile: '.env.postgres',
      exposedPort: server.port,
    });
    expect(r.success).toBe(true);
    const secret = sets()
      .find((s) => s[2] === 'postgres-password')![4]
      .slice('stdin='.length);
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(r.output).toContain("Changed the password of 'app' on localhost:");
    const login = async (password: string) => {
      const c = new Client({
        host: '127.0.0.1',
        port: server.port,
        user: 'app',
        password,
        database: 'shop',
        ssl: false,
      });
      try {
        await c.connect();
        return 'ok';
      } catch (e) {
        return (e as { code?: string }).code;
      } finally {
        await c.end().catch(() => undefined);
      }
    };
    expect(await login(PASSWORD)).toBe('28P01');
    expect(await login(secret)).toBe('ok');
    expect(readFileSync(join(ws.root, '.env.postgres'), 'utf-8')).toContain(
      `POSTGRES_PASSWORD='${secret}'`,
    );
    expect(r.output).not.toContain(secret);
  });
});

describe('db-values on a module the module generator adopted', () => {
  it('sets the database, user and old password the data was created with', async () => {
    const marker = join(ws.root, 'sql/analytics/acme-pg.json');
    const local = join(ws.root, 'sql/analytics/.acme-pg.local.json');
    const before = readFileSync(marker, 'utf-8');
    writeFileSync(
      marker,
      '{"kind":"database","module":"analytics","polytopeFile":"polytope.yml","defaults":{"database":"idsvr","username":"admin"}}',
    );
    writeFileSync(local, '{"oldPassword":"hunter2"}');
    try {
      const r = await run({}, 'analytics');
      expect(r.success).toBe(true);
      expect(sets()).toEqual(
        expect.arrayContaining([
          ['values', 'set', 'analytics-database', 'idsvr'],
          ['secrets', 'set', 'analytics-username', '--stdin', 'stdin=admin'],
          ['secrets', 'set', 'analytics-password', '--stdin', 'stdin=hunter2'],
        ]),
      );
      expect(r.output).toContain('It is in git history: change it with --rotatePassword.');
      expect(r.output).not.toContain('hunter2');
    } finally {
      writeFileSync(marker, before);
      rmSync(local, { force: true });
    }
  });

  it('a module whose user and database came from files: no guess, one line, nothing set; --user and --database go on', async () => {
    const marker = join(ws.root, 'sql/analytics/acme-pg.json');
    const before = readFileSync(marker, 'utf-8');
    writeFileSync(
      marker,
      '{"kind":"database","module":"analytics","polytopeFile":"polytope.yml","defaults":{"usernameFile":"/run/secrets/pg_user","databaseFile":"/run/secrets/pg_user"}}',
    );
    try {
      const refused = await run({ generatePassword: true }, 'analytics');
      expect(refused.success).toBe(false);
      expect(refused.output).toContain(
        'created with the user in the file /run/secrets/pg_user (POSTGRES_USER_FILE), which db-values cannot read: give it with --user <the user in that file> (or set ANALYTICS_POSTGRES_USER). Nothing was set.',
      );
      expect(sets()).toEqual([]);
      const onlyUser = await run({ generatePassword: true, user: 'admin' }, 'analytics');
      expect(onlyUser.success).toBe(false);
      expect(onlyUser.output).toContain(
        'created with the database in the file /run/secrets/pg_user (POSTGRES_DB_FILE), which db-values cannot read: give it with --database <the database in that file> (or set ANALYTICS_POSTGRES_DB). Nothing was set.',
      );
      expect(sets()).toEqual([]);
      const given = await run(
        { generatePassword: true, database: 'idsvr', user: 'admin' },
        'analytics',
      );
      expect(given.success).toBe(true);
      expect(sets()).toEqual(
        expect.arrayContaining([
          ['values', 'set', 'analytics-database', 'idsvr'],
          ['secrets', 'set', 'analytics-username', '--stdin', 'stdin=admin'],
        ]),
      );
    } finally {
      writeFileSync(marker, before);
    }
  });
});

describe('db-values on an adopted module whose keys have names of their own', () => {
  const STACK = `modules:\n${OWN_KEYS_MODULE}  - id: web
    module: polytope/node
    args:
      env:
        - { name: DATABASE_POSTGRES_HOST, value: pt.value database-host }
        - { name: DATABASE_POSTGRES_PASSWORD, value: pt.secret postgres_password }
`;
  const OWN_PASSWORD = 'own:p@ss';
  const saved: Record<string, string> = {};
  const files = ['polytope.yml', 'sql/analytics/acme-pg.json'];
  const write = (yml: string) => writeFileSync(join(ws.root, 'polytope.yml'), yml);
  beforeEach(() => {
    for (const f of files) saved[f] = readFileSync(join(ws.root, f), 'utf-8');
    write(STACK);
    writeFileSync(
      join(ws.root, 'sql/analytics/acme-pg.json'),
      '{"kind":"database","module":"database","polytopeFile":"polytope.yml","adopted":true}',
    );
    clearEnv();
  });
  afterEach(() => {
    for (const f of files) writeFileSync(join(ws.root, f), saved[f]);
    for (const k of Object.keys(process.env)) if (k.startsWith('DATABASE_')) delete process.env[k];
  });

  it('--dryRun names the keys the server reads, and leaves none of them to the user', async () => {
    const r = await run({ module: 'database', dryRun: true, database: 'shop' }, 'analytics');
    expect(r.success).toBe(true);
    expect(r.output).toContain('pt secrets set postgres_password --stdin');
    expect(r.output).toContain('pt secrets set postgres_db --stdin');
    expect(r.output).toContain('pt values set postgres_user postgres');
    expect(r.output).not.toContain('not managed by db-values');
    expect(r.output).not.toMatch(DEFAULT_KEYS);
  });

  it('sets them: the password on stdin, in the secret the module and the app read', async () => {
    Object.assign(process.env, {
      DATABASE_POSTGRES_USER: 'app',
      DATABASE_POSTGRES_PASSWORD: OWN_PASSWORD,
    });
    const r = await run({ module: 'database', database: 'shop' }, 'analytics');
    expect(r.success).toBe(true);
    expect(sets()).toEqual([
      ['secrets', 'set', 'postgres_password', '--stdin', `stdin=${OWN_PASSWORD}`],
      ['values', 'set', 'postgres_user', 'app'],
      ['secrets', 'set', 'postgres_db', '--stdin', 'stdin=shop'],
      ['values', 'set', 'database-host', 'database'],
      ['values', 'set', 'database-port', '5432'],
    ]);
    expect(r.output).not.toContain(OWN_PASSWORD);
  });

  it('never puts a password the module reads from a pt value on a command line', async () => {
    write(STACK.replace('value: pt.secret postgres_password', 'value: pt.value postgres_password'));
    process.env['DATABASE_POSTGRES_PASSWORD'] = OWN_PASSWORD;
    const r = await run({ module: 'database', database: 'shop', user: 'app' }, 'analytics');
    expect(r.success).toBe(true);
    expect(sets().map((s) => s[2])).not.toContain('postgres_password');
    expect(r.output).toContain(
      'value postgres_password: POSTGRES_PASSWORD reads it, but a value is not secret: make it pt.secret postgres_password in polytope.yml, then run db-values again',
    );
    for (const c of pt.calls()) expect(c.args.join(' ')).not.toContain(OWN_PASSWORD);
  });
});
