import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  captureOutput,
  executorWorkspace,
  ExecutorWorkspace,
  POLYTOPE_YML,
  useServerEnv,
} from '../../../test-utils/executor-workspace';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import dbSeed from '../db-seed/db-seed';
import dbReset from './db-reset';
import { DbResetExecutorSchema } from '@acme/pg-core/src/commands/db-reset/schema';
import dbMigrate from '../db-migrate/db-migrate';
import { sync } from '@acme/pg-core/src/cli/sync';
import { migrationTemplate } from '@acme/pg-core/src/migrations/migration-files';
import { findInstalls } from '@acme/pg-core/src/postgres/tools';

const PASSWORD = 're:set@pw';
let server: TestServer;
let ws: ExecutorWorkspace;
const saved = { ...process.env };
let n = 0;

beforeAll(async () => {
  server = await startPostgres({ password: PASSWORD });
});
afterAll(async () => {
  process.env = saved;
  await server?.stop();
});

const conn = (database: string) => ({
  host: '127.0.0.1',
  port: server.port,
  user: server.user,
  password: PASSWORD,
  database,
  ssl: false,
});
async function sql(database: string, text: string) {
  const c = new Client(conn(database));
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}
const db = () => process.env['POSTGRES_DB']!;
const tables = async () =>
  (await sql(db(), "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).map(
    (r) => r.tablename,
  );

function write(path: string, text: string) {
  mkdirSync(join(ws.root, path, '..'), { recursive: true });
  writeFileSync(join(ws.root, path), text);
}

beforeEach(async () => {
  ws = executorWorkspace();
  const name = `reset_${++n}`;
  await sql('postgres', `CREATE DATABASE ${name}`);
  await sql(name, 'CREATE TABLE junk (id int); INSERT INTO junk VALUES (1)');
  useServerEnv(server, { POSTGRES_DB: name });
  write(
    'polytope.yml',
    POLYTOPE_YML.replace(
      '      service-id: postgres\n',
      '      scripts:\n        - { type: host, path: ./sql/postgres/_init-bundle.sql }\n      service-id: postgres\n',
    ),
  );
  write(
    'sql/postgres/_init-bundle.sql',
    '\\set ON_ERROR_STOP on\nCREATE TABLE from_init (id int);\n',
  );
  write(
    'sql/postgres/migrations/20261201100000_items.sql',
    '-- migrate:up\nCREATE TABLE items (id int PRIMARY KEY, name text);\n-- migrate:down\nDROP TABLE items;\n',
  );
  write('sql/postgres/seeds/001-items.sql', "INSERT INTO items VALUES (1, 'one');\n");
  write('sql/postgres/seeds/002-more.sql', "INSERT INTO items VALUES (2, 'two');\n");
});
afterEach(() => ws.remove());

async function run(o: DbResetExecutorSchema) {
  const out = captureOutput();
  try {
    const r = await dbReset(o, ws.context('postgres'));
    return { ...r, output: out.text() };
  } finally {
    out.restore();
  }
}

describe('db-reset and db-seed on a real server', () => {
  it('gives init scripts + migrations + seeds, after a safety backup that holds the old data', async () => {
    const r = await run({ yes: true });
    expect(r.success).toBe(true);
    expect(await tables()).toEqual(['from_init', 'items', 'schema_migrations']);
    expect(await sql(db(), 'SELECT id FROM items ORDER BY 1')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(r.output).toContain("Reset '" + db() + "': init scripts, 1 migration(s), 2 seed(s).");
    const safety = readdirSync(join(ws.root, 'backups/postgres/safety'));
    expect(safety).toHaveLength(1);
    expect(r.output).toContain(`db-restore --file backups/postgres/safety/${safety[0]} --clean`);
    const list = execFileSync(
      'pg_restore',
      ['--list', join(ws.root, 'backups/postgres/safety', safety[0])],
      {
        encoding: 'utf-8',
      },
    );
    expect(list).toMatch(/TABLE DATA public junk/);
  });

  it('--outputFile holds the result as JSON', async () => {
    const r = await run({ yes: true, noBackup: true, outputFile: 'out/reset.json' });
    expect(r.success).toBe(true);
    expect(JSON.parse(readFileSync(join(ws.root, 'out/reset.json'), 'utf-8'))).toEqual({
      ok: true,
      database: db(),
      backup: null,
      initScripts: true,
      migrations: ['20261201100000_items.sql'],
      seeds: ['001-items.sql', '002-more.sql'],
    });
  });

  it('refuses without --yes when there is no terminal, and a host that is not this machine, changing nothing', async () => {
    const noYes = await run({});
    expect(noYes.success).toBe(false);
    expect(noYes.output).toContain('add --yes to go on (there is no terminal to ask)');
    process.env['POSTGRES_HOST'] = 'db.example.invalid';
    const remote = await run({ yes: true });
    expect(remote.success).toBe(false);
    expect(remote.output).toContain('is on db.example.invalid:');
    expect(remote.output).toContain('Add --force if you really mean to reset it.');
    process.env['POSTGRES_HOST'] = 'localhost';
    expect(await tables()).toEqual(['junk']);
  });

  it('refuses while another session is connected, unless --force', async () => {
    const other = new Client(conn(db()));
    await other.connect();
    other.on('error', () => undefined);
    const r = await run({ yes: true, noBackup: true });
    expect(r.success).toBe(false);
    expect(r.output).toContain('1 open connection(s)');
    expect(await tables()).toEqual(['junk']);
    const forced = await run({ yes: true, noBackup: true, force: true, skipSeed: true });
    expect(forced.success).toBe(true);
    expect(await sql(db(), 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 0 }]);
    await other.end().catch(() => undefined);
  });

  it('refuses a database that a reset cut off before its swap left closed, changing nothing', async () => {
    const old = `${db()}_replaced_89abcdef`;
    await sql('postgres', `CREATE DATABASE ${old}`);
    await sql('postgres', `ALTER DATABASE ${db()} ALLOW_CONNECTIONS false`);
    const r = await run({ yes: true });
    expect(r.success).toBe(false);
    expect(r.output).toContain(`A db-restore or db-reset of '${db()}' stopped before its end`);
    expect(r.output).toContain(`'${old}' holds what '${db()}' held before it was replaced`);
    expect(r.output).toContain(`open it (ALTER DATABASE "${db()}" ALLOW_CONNECTIONS true)`);
    await sql('postgres', `ALTER DATABASE ${db()} ALLOW_CONNECTIONS true`);
    expect(await tables()).toEqual(['junk']);
    await sql('postgres', `DROP DATABASE ${old}`);
  });

  const databases = async () =>
    (
      await sql(
        'postgres',
        `SELECT datname FROM pg_database WHERE datname LIKE '${db()}%' ORDER BY 1`,
      )
    ).map((r) => r.datname);
  const unchanged = async (r: { success: boolean; output: string }) => {
    expect(r.success).toBe(false);
    expect(r.output).toContain('Nothing was changed.');
    expect(r.output).not.toContain('Recreated');
    expect(await tables()).toEqual(['junk']);
    expect(await databases()).toEqual([db()]);
  };

  it('refuses a template-only migration before touching the database', async () => {
    write('sql/postgres/migrations/20261201100001_todo.sql', migrationTemplate('todo'));
    const r = await run({ yes: true });
    await unchanged(r);
    expect(r.output).toContain(
      'sql/postgres/migrations/20261201100001_todo.sql has nothing but comments in -- migrate:up',
    );
    expect(r.output).not.toContain('Nothing was applied');
    expect(readdirSync(ws.root)).not.toContain('backups');
  });

  it('refuses migrations without an up section, with a version twice or a name dbmate reads otherwise, and a seed it cannot read, changing nothing', async () => {
    write('sql/postgres/migrations/20261201100002_noup.sql', 'CREATE TABLE x (id int);\n');
    const noUp = await run({ yes: true, noBackup: true });
    await unchanged(noUp);
    expect(noUp.output).toContain(
      "sql/postgres/migrations/20261201100002_noup.sql has no '-- migrate:up' line",
    );
    write(
      'sql/postgres/migrations/20261201100002_noup.sql',
      '-- migrate:up\nCREATE TABLE x (id int);\n',
    );
    const noDown = await run({ yes: true, noBackup: true });
    await unchanged(noDown);
    expect(noDown.output).toContain(
      "sql/postgres/migrations/20261201100002_noup.sql has no '-- migrate:down' line",
    );
    write(
      'sql/postgres/migrations/20261201100002_noup.sql',
      '-- migrate:up\nCREATE TABLE x (id int);\n-- migrate:down\n',
    );
    write(
      'sql/postgres/migrations/20261201100002_again.sql',
      '-- migrate:up\nCREATE TABLE y (id int);\n-- migrate:down\n',
    );
    const twice = await run({ yes: true, noBackup: true });
    await unchanged(twice);
    expect(twice.output).toContain(
      '20261201100002_again.sql and 20261201100002_noup.sql in sql/postgres/migrations have one version, 20261201100002',
    );
    execFileSync('rm', [join(ws.root, 'sql/postgres/migrations/20261201100002_again.sql')]);
    write('sql/postgres/migrations/20261201-late.sql', '-- migrate:up\nSELECT 1;\n');
    const name = await run({ yes: true, noBackup: true });
    await unchanged(name);
    expect(name.output).toContain(
      'sql/postgres/migrations/20261201-late.sql is not named <version>_<name>.sql',
    );
    execFileSync('rm', [join(ws.root, 'sql/postgres/migrations/20261201-late.sql')]);
    // A seed whose file is gone (a dangling link): unreadable, also for root.
    symlinkSync(join(ws.root, 'nowhere.sql'), join(ws.root, 'sql/postgres/seeds/003-gone.sql'));
    const seed = await run({ yes: true, noBackup: true });
    await unchanged(seed);
    expect(seed.output).toContain('Cannot read seed sql/postgres/seeds/003-gone.sql');
    // --skipSeed does not need the seeds.
    const skip = await run({ yes: true, noBackup: true, skipSeed: true });
    expect(skip.output).toContain("Reset '");
    expect(skip.success).toBe(true);
  });

  it('a safety backup that fails leaves the database as it was, in its place', async () => {
    // A pg_dump that passes for 15 but fails to dump, beside the real psql.
    const bin = join(ws.root, 'fakebin');
    mkdirSync(bin);
    const real = findInstalls('psql', { env: process.env })[0]!;
    symlinkSync(real.path, join(bin, 'psql'));
    writeFileSync(
      join(bin, 'pg_dump'),
      `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) ${real.version}"; exit 0; fi\necho "pg_dump: error: disk full" >&2\nexit 1\n`,
    );
    chmodSync(join(bin, 'pg_dump'), 0o755);
    const r = await run({ yes: true, pgBinDir: bin });
    expect(r.success).toBe(false);
    expect(r.output).toContain('disk full');
    expect(r.output).toContain(`'${db()}' was put back as it was. Nothing was changed.`);
    expect(await tables()).toEqual(['junk']);
    expect(await databases()).toEqual([db()]);
    // And it is open again.
    expect(await sql(db(), 'SELECT count(*)::int AS n FROM junk')).toEqual([{ n: 1 }]);
  });

  it('--noBackup says in its question that no safety backup is taken; the way back names the command', async () => {
    const noYes = await run({ noBackup: true });
    expect(noYes.success).toBe(false);
    expect(noYes.output).toContain(
      `db-reset drops '${db()}' on localhost:${server.port} with all its data, with no safety backup (--noBackup); add --yes to go on`,
    );
    expect(noYes.output).not.toContain('a safety backup is taken first');
    const withBackup = await run({});
    expect(withBackup.output).toContain('(a safety backup is taken first)');
    write('sql/postgres/seeds/003-bad.sql', 'INSERT INTO nope VALUES (1);\n');
    const bad = await run({ yes: true });
    expect(bad.success).toBe(false);
    const safety = readdirSync(join(ws.root, 'backups/postgres/safety'));
    expect(bad.output).toContain(
      `To go back: nx run postgres:db-restore --file backups/postgres/safety/${safety[0]} --clean.`,
    );
  });

  it('after db-migrate --dumpSchema and a sync, db-reset runs the migrations for real', async () => {
    write(
      'sql/postgres/migrations/20261201100001_rows.sql',
      "-- migrate:up\nINSERT INTO items VALUES (7, 'from a migration');\n-- migrate:down\nDELETE FROM items WHERE id = 7;\n",
    );
    write('sql/postgres/001-init.sql', 'CREATE TABLE from_init (id int);\n');
    const out = captureOutput();
    try {
      expect((await dbMigrate({ noBackup: true }, ws.context('postgres'))).success).toBe(true);
      expect((await dbMigrate({ dumpSchema: true }, ws.context('postgres'))).success).toBe(true);
      expect(await sync([], ws.root)).toBe(0);
    } finally {
      out.restore();
    }
    expect(readFileSync(join(ws.root, 'sql/postgres/_init-bundle.sql'), 'utf-8')).not.toContain(
      'schema_migrations',
    );
    const r = await run({ yes: true, noBackup: true, skipSeed: true });
    expect(r.success).toBe(true);
    expect(r.output).toContain('init scripts, 2 migration(s)');
    expect(await sql(db(), 'SELECT id FROM items ORDER BY 1')).toEqual([{ id: 7 }]);
  });

  it('db-seed runs every seed in one transaction: a failing one leaves nothing seeded', async () => {
    await run({ yes: true, noBackup: true, skipSeed: true });
    write(
      'sql/postgres/seeds/003-bad.sql',
      "INSERT INTO items VALUES (3, 'three');\nINSERT INTO nope VALUES (1);\n",
    );
    const out = captureOutput();
    const bad = await dbSeed({}, ws.context('postgres')).finally(() => out.restore());
    expect(bad.success).toBe(false);
    expect(out.text()).toContain('Seed sql/postgres/seeds/003-bad.sql line 2 failed');
    expect(out.text()).toContain('Nothing was seeded');
    expect(await sql(db(), 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 0 }]);
  });
});
