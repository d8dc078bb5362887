import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  captureOutput,
  executorWorkspace,
  ExecutorWorkspace,
  useServerEnv,
} from '../../../test-utils/executor-workspace';
import { runCommandInChild } from '../../../test-utils/child-command';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import dbMigrate from './db-migrate';
import { migrationTemplate } from '@acme/pg-core/src/migrations/migration-files';
import { DbMigrateExecutorSchema } from '@acme/pg-core/src/commands/db-migrate/schema';
import { sync } from '@acme/pg-core/src/cli/sync';
import { FileTree } from '@acme/pg-core/src/cli/file-tree';
import { refreshBundle } from '@acme/pg-core/src/init-scripts/bundle-on-disk';
import { initBundleSyncGenerator } from '@acme/pg-core/src/generators/init-bundle-sync/init-bundle-sync';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const childProcess = require('node:child_process');

const PASSWORD = 'mi:gr@te/pw';
let server: TestServer;
let ws: ExecutorWorkspace;
const saved = { ...process.env };
let db = 0;

beforeAll(async () => {
  server = await startPostgres({ password: PASSWORD });
});
afterAll(async () => {
  process.env = saved;
  await server?.stop();
});
beforeEach(async () => {
  ws = executorWorkspace();
  const name = `migrate_${++db}`;
  await sql('postgres', `CREATE DATABASE ${name}`);
  useServerEnv(server, { POSTGRES_DB: name });
});
afterEach(() => ws.remove());

async function sql(database: string, text: string, params: unknown[] = []) {
  const c = new Client({ ...clientOf(database) });
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}
const clientOf = (database: string) => ({
  host: '127.0.0.1',
  port: server.port,
  user: server.user,
  password: PASSWORD,
  database,
  ssl: false,
});
const current = () => process.env['POSTGRES_DB']!;
function write(path: string, text: string) {
  mkdirSync(join(ws.root, path, '..'), { recursive: true });
  writeFileSync(join(ws.root, path), text);
}

function migration(version: string, name: string, up: string, down: string): string {
  const dir = join(ws.root, 'sql/postgres/migrations');
  mkdirSync(dir, { recursive: true });
  const file = `${version}_${name}.sql`;
  writeFileSync(join(dir, file), `-- migrate:up\n${up}\n\n-- migrate:down\n${down}\n`);
  return file;
}

async function run(o: DbMigrateExecutorSchema = {}) {
  const spawn = jest.spyOn(childProcess, 'spawn');
  const out = captureOutput();
  try {
    const r = await dbMigrate(o, ws.context('postgres'));
    return {
      ...r,
      output: out.text(),
      stdout: out.stdout(),
      argv: spawn.mock.calls.map((c) => [c[0], ...(c[1] as string[])].join(' ')),
      envs: spawn.mock.calls.map((c) => (c[2] as { env: NodeJS.ProcessEnv }).env),
    };
  } finally {
    out.restore();
    spawn.mockRestore();
  }
}

const tables = async () =>
  (
    await sql(
      current(),
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY 1",
    )
  ).map((r) => r.tablename);
const versions = async () =>
  (await sql(current(), 'SELECT version FROM schema_migrations ORDER BY 1')).map((r) => r.version);

describe('db-migrate on a real server, with the real dbmate', () => {
  it('applies two migrations after a safety backup, then none; no password in any argv or output', async () => {
    await sql(current(), 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)');
    migration('20261201100000', 'orders', 'CREATE TABLE orders (id int);', 'DROP TABLE orders;');
    migration('20261201100001', 'items', 'CREATE TABLE items (id int);', 'DROP TABLE items;');
    const first = await run();
    expect(first.success).toBe(true);
    expect(first.output).toContain('Applied 2 migration(s)');
    expect(await tables()).toEqual(['items', 'kept', 'orders']);
    expect(await versions()).toEqual(['20261201100000', '20261201100001']);
    const safety = readdirSync(join(ws.root, 'backups/postgres/safety'));
    expect(safety).toHaveLength(1);
    expect(first.output).toContain(`backups/postgres/safety/${safety[0]}`);

    const second = await run();
    expect(second.success).toBe(true);
    expect(second.output).toContain('no migration to apply');
    expect(readdirSync(join(ws.root, 'backups/postgres/safety'))).toHaveLength(1);

    for (const r of [first, second]) {
      expect(r.output).not.toContain(PASSWORD);
      for (const a of r.argv) expect(a).not.toContain(PASSWORD);
      // The URL dbmate gets names no password: PGPASSWORD carries it.
      for (const e of r.envs)
        if (e?.['ACME_PG_DBMATE_URL']) expect(e['ACME_PG_DBMATE_URL']).not.toContain('gr%40te');
    }
    expect(first.envs.some((e) => e?.['ACME_PG_DBMATE_URL'])).toBe(true);
  });

  it('refuses a migration still holding only the template: nothing applied, no backup taken', async () => {
    migration('20261201100000', 'orders', 'CREATE TABLE orders (id int);', 'DROP TABLE orders;');
    const dir = join(ws.root, 'sql/postgres/migrations');
    writeFileSync(join(dir, '20261201100001_items.sql'), migrationTemplate('items'));
    const r = await run();
    expect(r.success).toBe(false);
    expect(r.output).toContain(
      'sql/postgres/migrations/20261201100001_items.sql has nothing but comments in -- migrate:up',
    );
    expect(r.output).toContain('Nothing was applied.');
    expect(await tables()).toEqual([]);
    expect(existsSync(join(ws.root, 'backups'))).toBe(false);
  });

  it('--status and --json list applied and pending; --dryRun changes nothing', async () => {
    const a = migration('20261201100000', 'a', 'CREATE TABLE a (id int);', 'DROP TABLE a;');
    const b = migration('20261201100001', 'b', 'CREATE TABLE b (id int);', 'DROP TABLE b;');
    const dry = await run({ dryRun: true });
    expect(dry.output).toContain(`Would apply 2 migration(s) to '${current()}'`);
    expect(await tables()).toEqual([]);
    expect(await run({ noBackup: true })).toMatchObject({ success: true });
    const c = migration('20261201100002', 'c', 'CREATE TABLE c (id int);', 'DROP TABLE c;');
    const status = await run({ status: true, json: true });
    expect(JSON.parse(status.stdout)).toEqual({
      database: current(),
      applied: [a, b],
      pending: [c],
      missing: [],
      ignored: [],
    });
    const text = await run({ status: true });
    expect(text.output).toContain('2 applied, 1 pending');
    expect(text.output).toContain(`[ ] ${c}`);
  });

  it('--rollback undoes the newest applied migration, after a safety backup', async () => {
    migration('20261201100000', 'a', 'CREATE TABLE a (id int);', 'DROP TABLE a;');
    const b = migration('20261201100001', 'b', 'CREATE TABLE b (id int);', 'DROP TABLE b;');
    await run({ noBackup: true });
    const r = await run({ rollback: true });
    expect(r.success).toBe(true);
    expect(r.output).toContain(`Rolled back sql/postgres/migrations/${b}`);
    expect(r.output).toContain('Safety backup');
    expect(await tables()).toEqual(['a']);
    expect(await versions()).toEqual(['20261201100000']);
  });

  it('a failing migration is rolled back whole, named with its line, and exits non-zero', async () => {
    migration('20261201100000', 'a', 'CREATE TABLE a (id int);', 'DROP TABLE a;');
    await run({ noBackup: true });
    const bad = migration(
      '20261201100001',
      'bad',
      'CREATE TABLE half (id int);\nINSERT INTO half VALUES (1);\nSELEC 1;',
      'DROP TABLE half;',
    );
    const r = await run({ noBackup: true });
    expect(r.success).toBe(false);
    expect(r.output).toContain(`Migration sql/postgres/migrations/${bad} failed at line 4`);
    expect(r.output).toContain('syntax error at or near "SELEC"');
    expect(r.output).toContain('the database is as it was before it');
    expect(await tables()).toEqual(['a']);
    expect(await versions()).toEqual(['20261201100000']);
  });

  it('4 runs at once apply each migration once', async () => {
    // Not idempotent and slow: a second apply would fail on CREATE TABLE or a duplicate version.
    migration(
      '20261201100000',
      'slow',
      'SELECT pg_sleep(0.5);\nCREATE TABLE once (id int);',
      'DROP TABLE once;',
    );
    migration('20261201100001', 'next', 'CREATE TABLE twice (id int);', 'DROP TABLE twice;');
    const runs = await Promise.all(
      [1, 2, 3, 4].map(() => dbMigrate({ noBackup: true }, ws.context('postgres'))),
    );
    expect(runs.map((r) => r.success)).toEqual([true, true, true, true]);
    expect(await tables()).toEqual(['once', 'twice']);
    expect(await versions()).toEqual(['20261201100000', '20261201100001']);
  });

  it('--baseline adopts a database made by init scripts: earlier migrations are recorded, not run', async () => {
    // The schema the init scripts made; the first migration describes the same.
    await sql(current(), 'CREATE TABLE accounts (id int)');
    migration(
      '20261201100000',
      'accounts',
      'CREATE TABLE accounts (id int);',
      'DROP TABLE accounts;',
    );
    migration('20261201100001', 'extra', 'CREATE TABLE extra (id int);', 'DROP TABLE extra;');
    const bad = await run({ baseline: '20261201099999' });
    expect(bad.success).toBe(false);
    expect(bad.output).toContain(
      'No migration in sql/postgres/migrations has version 20261201099999',
    );
    expect(existsSync(join(ws.root, 'backups'))).toBe(false);
    const b = await run({ baseline: '20261201100000' });
    expect(b.success).toBe(true);
    expect(b.output).toContain('Recorded 1 migration(s)');
    expect(await versions()).toEqual(['20261201100000']);
    expect(await run({ noBackup: true })).toMatchObject({ success: true });
    expect(await tables()).toEqual(['accounts', 'extra']);
    expect(await versions()).toEqual(['20261201100000', '20261201100001']);
  });

  it('--dumpSchema writes schema.sql with the matching pg_dump', async () => {
    migration('20261201100000', 'a', 'CREATE TABLE dumped (id int);', 'DROP TABLE dumped;');
    await run({ noBackup: true });
    const r = await run({ dumpSchema: true });
    expect(r.success).toBe(true);
    const schema = readFileSync(join(ws.root, 'sql/postgres/schema.sql'), 'utf-8');
    expect(schema).toContain('CREATE TABLE public.dumped');
    expect(schema).toContain('20261201100000');
    for (const a of r.argv) expect(a).not.toContain(PASSWORD);
  });

  it('--dumpSchema marks its file so that sync, nx sync and db-up leave it out of the init bundle', async () => {
    migration('20261201100000', 'a', 'CREATE TABLE dumped (id int);', 'DROP TABLE dumped;');
    write('sql/postgres/001-init.sql', 'CREATE TABLE from_init (id int);\n');
    await run({ noBackup: true });
    const r = await run({ dumpSchema: true });
    expect(r.success).toBe(true);
    const schema = readFileSync(join(ws.root, 'sql/postgres/schema.sql'), 'utf-8');
    expect(schema.split('\n')[0]).toBe(
      `-- Schema of '${current()}', written by db-migrate --dumpSchema (dbmate dump). Not an init script: the init bundle leaves it out.`,
    );
    expect(schema).toContain('CREATE TABLE public.dumped');
    // No temporary file is left beside it.
    expect(readdirSync(join(ws.root, 'sql/postgres')).sort()).toEqual([
      '001-init.sql',
      'acme-pg.json',
      'migrations',
      'schema.sql',
    ]);
    const bundle = join(ws.root, 'sql/postgres/_init-bundle.sql');
    const cli = captureOutput();
    const code = await sync([], ws.root).finally(() => cli.restore());
    expect(code).toBe(0);
    expect(readFileSync(bundle, 'utf-8')).toContain('CREATE TABLE from_init');
    expect(readFileSync(bundle, 'utf-8')).not.toContain('schema_migrations');
    expect(readFileSync(bundle, 'utf-8')).not.toContain('schema.sql');
    // db-up's check of the bundle against its folder, and nx sync's generator, agree.
    expect(refreshBundle(ws.root, bundle)).toBe(false);
    const tree = new FileTree(ws.root);
    expect(await initBundleSyncGenerator(tree)).toEqual({});
    // A second dump replaces the first.
    await sql(current(), 'CREATE TABLE later (id int)');
    expect((await run({ dumpSchema: true })).success).toBe(true);
    expect(readFileSync(join(ws.root, 'sql/postgres/schema.sql'), 'utf-8')).toContain(
      'CREATE TABLE public.later',
    );
  });

  it("--dumpSchema refuses to overwrite a user's own init script called schema.sql, which stays bundled", async () => {
    migration('20261201100000', 'a', 'CREATE TABLE dumped (id int);', 'DROP TABLE dumped;');
    const mine = 'CREATE TABLE mine (id int);\n';
    write('sql/postgres/schema.sql', mine);
    const r = await run({ dumpSchema: true });
    expect(r.success).toBe(false);
    expect(r.output).toContain(
      'sql/postgres/schema.sql is there already and was not written by db-migrate --dumpSchema: it is an init script of yours',
    );
    expect(r.output.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(join(ws.root, 'sql/postgres/schema.sql'), 'utf-8')).toBe(mine);
    expect(readdirSync(join(ws.root, 'sql/postgres')).sort()).toEqual([
      'acme-pg.json',
      'migrations',
      'schema.sql',
    ]);
    const cli = captureOutput();
    expect(await sync([], ws.root).finally(() => cli.restore())).toBe(0);
    expect(readFileSync(join(ws.root, 'sql/postgres/_init-bundle.sql'), 'utf-8')).toContain(
      'CREATE TABLE mine',
    );
  });

  it('refuses two modes at once and a server that is not there, changing nothing', async () => {
    expect((await run({ status: true, rollback: true })).output).toContain(
      '--status and --rollback exclude each other',
    );
    process.env['POSTGRES_PORT'] = '1';
    const r = await run();
    expect(r.success).toBe(false);
    expect(r.output).toContain('Nothing accepts connections at localhost:1');
    expect(r.output).not.toMatch(/\n\s+at /);
  });
});

async function waitFor(cond: () => Promise<boolean> | boolean, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** db-migrate in a node process of its own, as `acme-pg db-migrate` and Nx's task process run it. */
function runInChild(options: DbMigrateExecutorSchema, env: NodeJS.ProcessEnv = process.env) {
  const child = runCommandInChild('db-migrate/db-migrate.ts', options, ws.context('postgres'), env);
  /** Waits for `cond`; fails with the child's output if it ended first. */
  const waitUntil = async (cond: () => Promise<boolean>) => {
    await waitFor(async () => child.ended() || (await cond()));
    if (child.ended()) throw new Error(`db-migrate ended first:\n${child.output()}`);
  };
  return { ...child, waitUntil };
}

/** Sessions in `database` other than the asking one: dbmate's, while it runs. */
const otherSessions = async (database: string) =>
  (
    await sql(
      database,
      'SELECT query FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    )
  ).map((r) => String(r.query));

describe('db-migrate interrupted, and the server going away', () => {
  it.each([
    ['SIGTERM to the process alone', 'SIGTERM', false],
    ['SIGINT to the whole process group', 'SIGINT', true],
  ] as const)(
    '%s while dbmate runs: dbmate is stopped and its migration rolled back before the lock is let go',
    async (_label, signal, group) => {
      const a = migration('20261201100000', 'a', 'CREATE TABLE a (id int);', 'DROP TABLE a;');
      const slow = migration(
        '20261201100001',
        'slow',
        'CREATE TABLE slow (id int);\nSELECT pg_sleep(3);',
        'DROP TABLE slow;',
      );
      const db = current();
      const { pid, done, waitUntil } = runInChild({ noBackup: true });
      await waitUntil(async () => (await otherSessions(db)).some((q) => q.includes('pg_sleep')));
      process.kill(group ? -pid : pid, signal);
      const r = await done;
      // Once our process has ended, nothing of dbmate's is left working on the database.
      expect(await otherSessions(db)).toEqual([]);
      expect(r.code).not.toBe(0);
      expect(r.code).not.toBeNull();
      expect(r.output).not.toMatch(/\n\s+at /);
      expect(r.output).not.toContain('Fix the file');
      expect(r.output).not.toContain(`Applied: ${slow}`);
      expect(r.output).toContain(`Applied: ${a}`);
      expect(r.output.trim().split('\n').pop()).toBe(
        `Migrate interrupted (${signal}) during sql/postgres/migrations/${slow}: it was rolled back; the 1 migration(s) before it stay applied.`,
      );
      // A dbmate left running would have committed it by now.
      await new Promise((res) => setTimeout(res, 3500));
      expect(await versions()).toEqual(['20261201100000']);
      expect(await tables()).toEqual(['a']);
    },
    60000,
  );

  it('the server going away mid-run: one line saying what is applied, no stack trace', async () => {
    const own = await startPostgres({ password: PASSWORD });
    try {
      const c = new Client({ ...clientOf('postgres'), port: own.port });
      await c.connect();
      await c.query('CREATE DATABASE gone');
      await c.end();
      migration('20261201100000', 'a', 'CREATE TABLE a (id int);', 'DROP TABLE a;');
      const slow = migration(
        '20261201100001',
        'slow',
        'CREATE TABLE slow (id int);\nSELECT pg_sleep(30);',
        'DROP TABLE slow;',
      );
      const env = { ...process.env, POSTGRES_PORT: String(own.port), POSTGRES_DB: 'gone' };
      const { done, waitUntil } = runInChild({ noBackup: true }, env);
      const watch = { ...clientOf('gone'), port: own.port };
      await waitUntil(async () => {
        const w = new Client(watch);
        await w.connect();
        try {
          const q = await w.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()",
          );
          return q.rows[0].n > 0;
        } finally {
          await w.end();
        }
      });
      await own.stop(); // a fast shutdown, as pg_ctl stop -m fast
      const r = await done;
      expect(r.code).toBe(1);
      expect(r.output).not.toMatch(/\n\s+at /);
      expect(r.output).not.toContain('Unhandled');
      expect(r.output).not.toContain('Fix the file');
      expect(r.output.trim().split('\n').pop()).toMatch(
        new RegExp(
          `^The server went away during sql/postgres/migrations/${slow} \\(dbmate: .+\\): it was not committed, so it is pending; the 1 migration\\(s\\) before it stay applied\\. Run db-migrate again once the server is back\\.$`,
        ),
      );
    } finally {
      await own.stop();
    }
  }, 60000);
});

describe('db-migrate: what is in the folder', () => {
  it('--rollback works when an older applied migration has lost its file; refuses when the newest has', async () => {
    const a = migration('20261201100000', 'a', 'CREATE TABLE a (id int);', 'DROP TABLE a;');
    migration('20261201100001', 'b', 'CREATE TABLE b (id int);', 'DROP TABLE b;');
    const c = migration('20261201100002', 'c', 'CREATE TABLE c (id int);', 'DROP TABLE c;');
    await run({ noBackup: true });
    const dir = join(ws.root, 'sql/postgres/migrations');
    rmSync(join(dir, a));
    const r = await run({ rollback: true, noBackup: true });
    expect(r.output).toContain(`Rolled back sql/postgres/migrations/${c}`);
    expect(r.success).toBe(true);
    expect(await versions()).toEqual(['20261201100000', '20261201100001']);
    renameSync(join(dir, '20261201100001_b.sql'), join(ws.root, 'b.sql'));
    const refused = await run({ rollback: true, noBackup: true });
    expect(refused.success).toBe(false);
    expect(refused.output).toContain(
      'The newest applied migration 20261201100001 has no file in sql/postgres/migrations',
    );
    expect(await versions()).toEqual(['20261201100000', '20261201100001']);
  });

  it('two files with one version are refused before anything runs, naming both', async () => {
    migration('20261202160001', 'w1', 'CREATE TABLE w1 (id int);', 'DROP TABLE w1;');
    migration('20261202160003', 'w3', 'CREATE TABLE w3 (id int);', 'DROP TABLE w3;');
    await run({ noBackup: true });
    migration('20261202160002', 'w2', 'CREATE TABLE w2 (id int);', 'DROP TABLE w2;');
    migration('20261202160003', 'dup', 'CREATE TABLE dup (id int);', 'DROP TABLE dup;');
    for (const o of [{ noBackup: true }, { status: true }, { dryRun: true }]) {
      const r = await run(o);
      expect(r.success).toBe(false);
      expect(r.output).toContain(
        '20261202160003_dup.sql and 20261202160003_w3.sql in sql/postgres/migrations have one version, 20261202160003',
      );
    }
    expect(await tables()).toEqual(['w1', 'w3']);
  });

  it('files that are not migrations by their names are named in one note; a name only dbmate would run is refused', async () => {
    const a = migration('20261201100000', 'a', 'CREATE TABLE a (id int);', 'DROP TABLE a;');
    const dir = join(ws.root, 'sql/postgres/migrations');
    writeFileSync(join(dir, 'add_nover.sql'), '-- migrate:up\nCREATE TABLE nover (id int);\n');
    writeFileSync(join(dir, '.gitkeep'), '');
    writeFileSync(join(dir, 'README.md'), 'notes\n');
    const status = await run({ status: true });
    expect(status.output).toContain(
      'Not migrations by their names, so never run: add_nover.sql (a migration is <version>_<name>.sql, e.g. 20261201183005_add-orders.sql).',
    );
    expect(status.output).not.toContain('README.md');
    expect(status.output).not.toContain('.gitkeep');
    const json = await run({ status: true, json: true });
    expect(JSON.parse(json.stdout)).toEqual({
      database: current(),
      applied: [],
      pending: [a],
      missing: [],
      ignored: ['add_nover.sql'],
    });
    const applied = await run({ noBackup: true });
    expect(applied.success).toBe(true);
    expect(applied.output).toContain('Not migrations by their names, so never run: add_nover.sql');
    writeFileSync(
      join(dir, '20261201100001.sql'),
      '-- migrate:up\nCREATE TABLE x (id int);\n-- migrate:down\n',
    );
    const refused = await run({ noBackup: true });
    expect(refused.success).toBe(false);
    expect(refused.output).toContain(
      'sql/postgres/migrations/20261201100001.sql is not named <version>_<name>.sql, but dbmate would run it',
    );
    expect(await tables()).toEqual(['a']);
  });

  it.each([
    [
      'a UTF-8 byte order mark',
      '\ufeff-- migrate:up\nCREATE TABLE late (id int);\n-- migrate:down\nDROP TABLE late;\n',
      'starts with a UTF-8 byte order mark (BOM), which dbmate cannot read: save it as UTF-8 without a BOM',
    ],
    [
      'no -- migrate:up',
      'CREATE TABLE late (id int);\n',
      "has no '-- migrate:up' line: dbmate needs one before the change",
    ],
    [
      'no -- migrate:down',
      '-- migrate:up\nCREATE TABLE late (id int);\n',
      "has no '-- migrate:down' line: dbmate needs one after the change",
    ],
  ])(
    'a pending file with %s is refused before any migration is applied',
    async (_label, text, message) => {
      migration('20261201100000', 'first', 'CREATE TABLE first (id int);', 'DROP TABLE first;');
      writeFileSync(join(ws.root, 'sql/postgres/migrations/20261201100001_late.sql'), text);
      const r = await run();
      expect(r.success).toBe(false);
      expect(r.output).toContain(`sql/postgres/migrations/20261201100001_late.sql ${message}`);
      expect(r.output).toContain('Nothing was applied.');
      expect(await tables()).toEqual([]);
      expect(existsSync(join(ws.root, 'backups'))).toBe(false);
    },
  );

  it('no "Applied:" for the file that fails, no "Rolled back:" for a rollback that fails; the line is the file\'s', async () => {
    const a = migration('20261201100000', 'a', 'CREATE TABLE a (id int);', 'DROP TABLE a;');
    const bad = migration(
      '20261201100001',
      'bad',
      'CREATE TABLE half (id int);\nSELEC 1;',
      'DROP TABLE half;',
    );
    const r = await run({ noBackup: true });
    expect(r.success).toBe(false);
    expect(r.output).toContain(`Applied: ${a}`);
    expect(r.output).not.toContain(`Applied: ${bad}`);
    expect(r.output).toContain(`Migration sql/postgres/migrations/${bad} failed at line 3`);
    writeFileSync(
      join(ws.root, 'sql/postgres/migrations', bad),
      '-- migrate:up\nCREATE TABLE half (id int);\n\n-- migrate:down\nDROP TABLE half;\nSELEC 1;\n',
    );
    expect((await run({ noBackup: true })).success).toBe(true);
    const rb = await run({ rollback: true, noBackup: true });
    expect(rb.success).toBe(false);
    expect(rb.output).not.toContain(`Rolled back: ${bad}`);
    expect(rb.output).toContain(
      `Rollback of sql/postgres/migrations/${bad} failed at line 6: syntax error at or near "SELEC"`,
    );
    expect(rb.output).toContain(`${bad} is still applied`);
    expect(await versions()).toEqual(['20261201100000', '20261201100001']);
  });

  it('--outputFile holds the result as JSON, { ok: false, message } on failure', async () => {
    const a = migration('20261201100000', 'a', 'CREATE TABLE a (id int);', 'DROP TABLE a;');
    const r = await run({ noBackup: true, outputFile: 'out/migrate.json' });
    expect(r.success).toBe(true);
    expect(JSON.parse(readFileSync(join(ws.root, 'out/migrate.json'), 'utf-8'))).toEqual({
      ok: true,
      database: current(),
      applied: [a],
      pending: [],
      backup: null,
    });
    const s = await run({ status: true, outputFile: 'out/status.json' });
    expect(s.stdout).toBe('');
    expect(JSON.parse(readFileSync(join(ws.root, 'out/status.json'), 'utf-8'))).toMatchObject({
      ok: true,
      applied: [a],
    });
    const bad = await run({ rollback: true, dryRun: true, outputFile: 'out/migrate.json' });
    expect(bad.success).toBe(false);
    expect(JSON.parse(readFileSync(join(ws.root, 'out/migrate.json'), 'utf-8'))).toEqual({
      ok: false,
      message:
        '--rollback and --dryRun exclude each other; give one (or none to apply migrations).',
    });
  });
});
