import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  captureOutput,
  executorWorkspace,
  ExecutorWorkspace,
  useServerEnv,
} from '../../../test-utils/executor-workspace';
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
