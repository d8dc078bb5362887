/**
 * The faults of issue 11, each against a real PostgreSQL 15 with the real pg_dump, pg_restore and
 * psql: writes during --clean, parallel backups through the real `nx run-many`, names that used to
 * collide, backup kinds and --keep, truncated files of every format, signals, large objects,
 * tablespaces and template databases, data-only backups, `postgres` itself, and `=` in a name.
 * After every case: no staging or replaced database is left, and nothing printed a stack trace.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { Client } from 'pg';
import {
  executorRunner,
  files,
  partialBytes,
  recordChildProcesses,
} from '../../test-utils/executor-run';
import {
  executorWorkspace,
  ExecutorWorkspace,
  POLYTOPE_YML,
  useServerEnv,
} from '../../test-utils/executor-workspace';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import { fingerprint, RICH_SQL, sql } from '@acme/pg-core/test-utils/rich-database';
import { backupName, parseBackupName } from '@acme/pg-core/src/postgres/backup-files';
import dbBackup from './db-backup/db-backup';
import dbRestore from './db-restore/db-restore';
import dbCheck from './db-check/db-check';
import { runCommandInChild } from '../../test-utils/child-command';

const PASSWORD = 'f4ult/s3cret';
const LONG = '日本語'.repeat(7); // 63 bytes of UTF-8
const REPO = join(__dirname, '..', '..', '..', '..');
let server: TestServer;
let ws: ExecutorWorkspace;
const saved = { ...process.env };
const runner = executorRunner(() => ws);
let spawned: ReturnType<typeof recordChildProcesses>;
const backup = (o: Parameters<typeof dbBackup>[0]) => runner.run(dbBackup, o);
const restore = (o: Parameters<typeof dbRestore>[0]) => runner.run(dbRestore, o);

async function query<T = Record<string, unknown>>(
  database: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const c = new Client({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database,
    ssl: false,
  });
  await c.connect();
  try {
    return (await c.query(text, values)).rows as T[];
  } finally {
    await c.end();
  }
}

const databases = async () =>
  (await query<{ datname: string }>('template1', 'SELECT datname FROM pg_database')).map(
    (r) => r.datname,
  );
const strays = async () => (await databases()).filter((d) => /_(restore|replaced)_/.test(d));
const ident = (n: string) => `"${n.replace(/"/g, '""')}"`;

async function createDb(name: string, body: string): Promise<void> {
  await query('postgres', `DROP DATABASE IF EXISTS ${ident(name)}`);
  await query('postgres', `CREATE DATABASE ${ident(name)}`);
  if (body) await query(name, body);
}

async function backupOf(database: string, outputDir: string, o: object = {}): Promise<string> {
  const r = await backup({ database, outputDir, json: true, ...o });
  if (!r.success) throw new Error(r.output);
  return JSON.parse(r.stdout).file;
}

async function waitFor(cond: () => Promise<boolean> | boolean, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeAll(async () => {
  server = await startPostgres({ password: PASSWORD, database: 'source' });
  ws = executorWorkspace();
  await sql(server.url, 'source', RICH_SQL);
  spawned = recordChildProcesses();
  useServerEnv(server);
});

afterEach(async () => {
  expect(await strays()).toEqual([]);
});

afterAll(async () => {
  jest.restoreAllMocks();
  process.env = saved;
  await server?.stop();
  ws?.remove();
});

describe('writes during --clean', () => {
  it('a writer inserting in a loop: every committed row is in the result or in the safety backup', async () => {
    await createDb(
      'busy',
      `CREATE TABLE w (id serial PRIMARY KEY, token text UNIQUE);
       CREATE TABLE big AS SELECT i, md5(i::text) AS p FROM generate_series(1, 200000) i;`,
    );
    const file = await backupOf('busy', 'backups/busy', { format: 'custom' });
    const committed: string[] = [];
    let stop = false;
    let n = 0;
    const writer = (async () => {
      let c: Client | undefined;
      while (!stop) {
        try {
          if (!c) {
            c = new Client({
              connectionString: server.url.replace(/\/source$/, '/busy'),
              ssl: false,
            });
            c.on('error', () => undefined);
            await c.connect();
          }
          const token = `t${n++}`;
          await c.query('INSERT INTO w (token) VALUES ($1)', [token]);
          committed.push(token);
        } catch {
          await c?.end().catch(() => undefined);
          c = undefined;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      await c?.end().catch(() => undefined);
    })();
    await waitFor(() => committed.length > 20);
    const r = await restore({
      database: 'busy',
      file,
      clean: true,
      force: true,
      outputDir: 'backups/busy',
    });
    const atRestore = committed.length;
    await waitFor(() => committed.length > atRestore + 20);
    stop = true;
    await writer;
    expect(r.output).toMatch(/Restored 'busy'/);
    expect(r.success).toBe(true);
    const result = new Set(
      (await query<{ token: string }>('busy', 'SELECT token FROM w')).map((x) => x.token),
    );
    const [safety] = files(join(ws.root, 'backups/busy/safety'));
    const back = await restore({
      database: 'busy_safety',
      file: `backups/busy/safety/${safety}`,
      createDatabase: true,
    });
    expect(back.success).toBe(true);
    const inSafety = new Set(
      (await query<{ token: string }>('busy_safety', 'SELECT token FROM w')).map((x) => x.token),
    );
    const lost = committed.filter((t) => !result.has(t) && !inSafety.has(t));
    expect(lost).toEqual([]);
    // Rows went to both sides of the swap, and the database accepts connections again.
    expect(inSafety.size).toBeGreaterThan(0);
    expect(result.size).toBeGreaterThan(0);
    expect(
      (
        await query<{ d: boolean }>(
          'postgres',
          "SELECT datallowconn AS d FROM pg_database WHERE datname = 'busy'",
        )
      )[0].d,
    ).toBe(true);
  });

  it('an open session without --force: refused, and the database accepts connections as before', async () => {
    await createDb('held', 'CREATE TABLE t (id int); INSERT INTO t VALUES (1);');
    const file = await backupOf('source', 'backups/held', { format: 'custom' });
    const holder = new Client({
      connectionString: server.url.replace(/\/source$/, '/held'),
      ssl: false,
    });
    holder.on('error', () => undefined);
    await holder.connect();
    const r = await restore({ database: 'held', file, clean: true });
    expect(r.success).toBe(false);
    expect(r.output).toContain("1 open connection(s) to 'held'");
    expect((await holder.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(1);
    await holder.end();
    expect(await query('held', 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    expect(files(join(ws.root, 'backups/held/safety'))).toEqual([]);
  });
});

describe('names', () => {
  const NAMES = ['日本', '中国', 'app db', 'app_db', 'a=b', LONG];

  it('日本/中国, app db/app_db, a=b and a 63-byte name: each restores its own backup, --keep touches only its own', async () => {
    for (const name of NAMES) {
      await createDb(
        name,
        `CREATE TABLE marker (name text); INSERT INTO marker VALUES (${`'${name}'`});`,
      );
      await backupOf(name, 'backups/names', { format: 'custom' });
    }
    // A second backup of one of them with --keep 1 deletes only that database's older backup.
    await backupOf('中国', 'backups/names', { format: 'custom', keep: 1 });
    const dir = join(ws.root, 'backups/names');
    const byDb = files(dir).map((f) => parseBackupName(f)?.database);
    expect(byDb.sort()).toEqual([...NAMES].sort());
    for (const name of NAMES) {
      await query(name, `INSERT INTO marker VALUES ('changed')`);
      const r = await restore({ database: name, clean: true, outputDir: 'backups/names' });
      expect(r.output).toContain(`Restored '${name}'`);
      expect(r.success).toBe(true);
      expect(await query(name, 'SELECT name FROM marker')).toEqual([{ name }]);
    }
    // Database names never reach a tool as a bare --dbname (a=b would be read as a conninfo).
    const dbnames = spawned.argLists.flat().filter((a) => a.startsWith('--dbname='));
    expect(dbnames.length).toBeGreaterThan(0);
    for (const a of dbnames) expect(a).toMatch(/^--dbname=dbname='/);
    // --list shows each database's own backups only.
    const listed = await restore({
      database: 'app db',
      list: true,
      outputDir: 'backups/names',
      json: true,
    });
    expect(JSON.parse(listed.stdout)).toHaveLength(1);
  });
});

describe('kinds and --keep', () => {
  it('schema-only, data-only and full backups mixed: the newest full one is restored, --keep counts per kind', async () => {
    const out = 'backups/kinds';
    const dir = join(ws.root, out);
    const full1 = await backupOf('source', out, { format: 'custom' });
    // A stray full backup dated in the future must not push out the one just written.
    mkdirSync(dir, { recursive: true });
    const stray = backupName({
      database: 'source',
      kind: 'full',
      format: 'custom',
      compress: false,
      serverVersion: '15.18',
      time: new Date('2099-01-01T00:00:00Z'),
      id: '00000000',
    });
    cpSync(join(ws.root, full1), join(dir, stray));
    const schema = await backupOf('source', out, { schemaOnly: true, keep: 1 });
    const data = await backupOf('source', out, { dataOnly: true, keep: 1 });
    const full2 = await backupOf('source', out, { format: 'custom', keep: 1 });
    expect(files(dir)).toEqual([full2, schema, data].map((f) => f.split('/').pop()).sort());
    const list = JSON.parse(
      (await restore({ database: 'source', list: true, outputDir: out, json: true })).stdout,
    );
    expect(list.map((e: { kind: string }) => e.kind)).toEqual(['full', 'data', 'schema']);
    expect(list[0]).toMatchObject({
      file: full2,
      format: 'custom',
      serverVersion: expect.stringMatching(/^15\./),
    });
    const text = await restore({ database: 'source', list: true, outputDir: out });
    expect(text.output).toContain('schema');
    // Every listed file restores cleanly: the default picks the full one.
    await createDb('kinds_copy', '');
    const r = await restore({ database: 'kinds_copy', outputDir: out });
    expect(r.success).toBe(false); // no backup of kinds_copy: the default never borrows another database's
    const full = await restore({ database: 'kinds_copy', file: full2, json: true });
    expect(JSON.parse(full.stdout)).toMatchObject({ tables: 3, rows: 101002 });
    const s = await restore({
      database: 'kinds_schema',
      file: schema,
      createDatabase: true,
      json: true,
    });
    expect(JSON.parse(s.stdout)).toMatchObject({ tables: 3, rows: 0 });
    const d = await restore({ database: 'kinds_schema', file: data, json: true });
    expect(d.success).toBe(true);
    expect(await fingerprint(server.url, 'kinds_schema')).toEqual(
      await fingerprint(server.url, 'source'),
    );
  });
});

describe('truncated backups', () => {
  const cases: [string, object, string][] = [
    ['plain', {}, 'sql'],
    ['plain gzip', { compress: true }, 'sql.gz'],
    ['custom', { format: 'custom' }, 'dump'],
    ['directory', { format: 'directory' }, 'dir'],
  ];
  it.each(cases)(
    '%s, cut at 5 points: refused or failed, nothing changed, nothing left',
    async (label, opts) => {
      await createDb(
        'cut_src',
        'CREATE TABLE t (id int PRIMARY KEY, p text); INSERT INTO t SELECT i, md5(i::text) FROM generate_series(1, 20000) i;',
      );
      await createDb(
        'cut_target',
        'CREATE TABLE keep_me (id int); INSERT INTO keep_me VALUES (42);',
      );
      const out = `backups/cut-${label.replace(/\W/g, '')}`;
      const good = join(ws.root, await backupOf('cut_src', out, opts));
      const before = await fingerprint(server.url, 'cut_target');
      const isDir = statSync(good).isDirectory();
      // In a directory backup: the table of contents, and the table's data file.
      const dataFile = isDir ? files(good).find((f) => f.endsWith('.dat.gz'))! : '';
      const points = isDir
        ? ([
            ['toc.dat', 0.5],
            ['toc.dat', 0.95],
            [dataFile, 0.1],
            [dataFile, 0.5],
            [dataFile, 0.99],
          ] as const)
        : ([
            ['', 0.05],
            ['', 0.3],
            ['', 0.5],
            ['', 0.9],
            ['', -8],
          ] as const);
      for (const [inner, at] of points) {
        const cut = join(
          ws.root,
          'cut',
          `${label.replace(/\W/g, '')}-${inner}-${at}${isDir ? '' : `.${good.split('.').slice(1).join('.')}`}`,
        );
        rmSync(cut, { recursive: true, force: true });
        mkdirSync(join(ws.root, 'cut'), { recursive: true });
        cpSync(good, cut, { recursive: true });
        const victim = isDir ? join(cut, inner) : cut;
        const size = statSync(victim).size;
        truncateSync(victim, at < 0 ? size + at : Math.floor(size * at));
        const file = cut.slice(ws.root.length + 1);
        const clean = await restore({
          database: 'cut_target',
          file,
          clean: true,
          outputDir: 'backups/cut-safety',
        });
        expect(clean.success).toBe(false);
        expect(clean.output.trim().split('\n')).toHaveLength(1);
        expect(await fingerprint(server.url, 'cut_target')).toEqual(before);
        const fresh = await restore({ database: 'cut_new', file, createDatabase: true });
        expect(fresh.success).toBe(false);
        expect(await databases()).not.toContain('cut_new');
        expect(await strays()).toEqual([]);
      }
      expect(files(join(ws.root, 'backups/cut-safety'))).toEqual([]);
    },
  );

  it('a plain dump cut inside its COPY block is refused before anything, not loaded as 400 of 1000 rows', async () => {
    await createDb(
      'copy_src',
      'CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000);',
    );
    const good = join(ws.root, await backupOf('copy_src', 'backups/copy'));
    const text = readFileSync(good, 'utf-8');
    const cut = text.slice(0, text.indexOf('\n400\n') + 5);
    writeFileSync(join(ws.root, 'copy-cut.sql'), cut);
    writeFileSync(join(ws.root, 'copy-cut.sql.gz'), gzipSync(cut));
    const whole = gzipSync(text);
    writeFileSync(join(ws.root, 'half.sql.gz'), whole.subarray(0, whole.length / 2));
    for (const file of ['copy-cut.sql', 'copy-cut.sql.gz', 'half.sql.gz']) {
      const r = await restore({ database: 'copy_new', file, createDatabase: true });
      expect(r.success).toBe(false);
      expect(r.output).toMatch(/cut short.*Nothing was changed/);
      expect(r.output).not.toMatch(/\n\s+at /);
      expect(await databases()).not.toContain('copy_new');
    }
    // Two dumps interleaved in one file: the \restrict and \unrestrict keys differ.
    const other = readFileSync(join(ws.root, await backupOf('copy_src', 'backups/copy2')), 'utf-8');
    writeFileSync(
      join(ws.root, 'mixed.sql'),
      text.slice(0, text.length / 2) + other.slice(other.length / 2),
    );
    const mixed = await restore({ database: 'copy_new', file: 'mixed.sql', createDatabase: true });
    expect(mixed.output).toContain('two dumps were written into one file');
    // A garbage file: one clear error, no safety backup taken.
    writeFileSync(join(ws.root, 'garbage.sql'), 'hello, this is not a dump\n');
    const g = await restore({
      database: 'source',
      file: 'garbage.sql',
      clean: true,
      outputDir: 'backups/garbage',
    });
    expect(g.success).toBe(false);
    expect(files(join(ws.root, 'backups/garbage'))).toEqual([]);
    expect(gunzipSync(whole).toString()).toBe(text);
  });
});

describe('signals', () => {
  const points: [string, () => Promise<boolean>][] = [
    ['as the staging database is made', async () => (await strays()).length > 0],
    [
      'while the backup loads into it',
      async () => {
        const staging = (await strays())[0];
        if (!staging) return false;
        const r = await query<{ n: string }>(
          'postgres',
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = '@acme/pg'",
          [staging],
        );
        return Number(r[0].n) > 0;
      },
    ],
    [
      'during the safety backup of the replaced database',
      async () => files(join(ws.root, 'backups/sig/safety')).some((f) => f.endsWith('.partial')),
    ],
  ];
  it.each(points)(
    'SIGINT %s: the database is as it was or holds the backup, nothing is left',
    async (_label, when) => {
      await createDb(
        'sig',
        'CREATE TABLE old (id int); INSERT INTO old SELECT generate_series(1, 300000);',
      );
      const file = await backupOf('source', 'backups/sig-src', { format: 'custom' });
      rmSync(join(ws.root, 'backups/sig'), { recursive: true, force: true });
      const before = await fingerprint(server.url, 'sig');
      const pending = restore({ database: 'sig', file, clean: true, outputDir: 'backups/sig' });
      await waitFor(when);
      process.emit('SIGINT', 'SIGINT');
      const r = await pending;
      const now = await fingerprint(server.url, 'sig');
      if (r.success) {
        expect(now).toEqual(await fingerprint(server.url, 'source'));
        // The safety backup was finished: it is the way back.
        const safety = files(join(ws.root, 'backups/sig/safety'));
        expect(safety).toHaveLength(1);
        expect(safety[0]).not.toMatch(/partial/);
      } else {
        expect(r.output).toMatch(/interrupted \(SIGINT\)/);
        expect(now).toEqual(before);
      }
      expect(r.output).not.toMatch(/\n\s+at /);
    },
  );

  it('SIGTERM while loading into a database it creates: the database never appears', async () => {
    const file = await backupOf('source', 'backups/term', { format: 'custom' });
    const pending = restore({ database: 'term_new', file, createDatabase: true });
    await waitFor(async () => {
      const staging = (await strays())[0];
      if (!staging) return false;
      const r = await query<{ n: string }>(
        'postgres',
        'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1',
        [staging],
      );
      return Number(r[0].n) > 0;
    });
    process.emit('SIGTERM', 'SIGTERM');
    const r = await pending;
    expect(r.success).toBe(false);
    expect(r.output.trim()).toBe("Restore interrupted (SIGTERM); 'term_new' was not created.");
    expect(await databases()).not.toContain('term_new');
  });

  it('a gzip stream that fails mid-load (--force past the check): stopped before commit, one line', async () => {
    await createDb(
      'gz_src',
      'CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 200000);',
    );
    const text = readFileSync(join(ws.root, await backupOf('gz_src', 'backups/gz')));
    const whole = gzipSync(text);
    writeFileSync(
      join(ws.root, 'gz-cut.sql.gz'),
      whole.subarray(0, Math.floor(whole.length * 0.6)),
    );
    const r = await restore({
      database: 'gz_new',
      file: 'gz-cut.sql.gz',
      createDatabase: true,
      force: true,
    });
    expect(r.success).toBe(false);
    expect(r.output.trim().split('\n')).toHaveLength(1);
    expect(r.output).toMatch(/could not be read to its end .*'gz_new' was not created\./);
    expect(await databases()).not.toContain('gz_new');
  });

  it('kill -9 of pg_dump mid-backup: a clear failure, no file and no partial left', async () => {
    await createDb(
      'slow',
      'CREATE TABLE wide AS SELECT i, repeat(md5(i::text), 4) AS p FROM generate_series(1, 600000) i',
    );
    const dir = join(ws.root, 'backups/killed');
    const from = spawned.children.length;
    const pending = backup({ database: 'slow', outputDir: 'backups/killed' });
    await waitFor(() => partialBytes(dir) > 1_000_000);
    const dump = spawned.children.slice(from).find((c) => c.args[0].endsWith('pg_dump'))!;
    dump.child.kill('SIGKILL');
    const r = await pending;
    expect(r.success).toBe(false);
    expect(r.output).toMatch(/pg_dump failed \(exit SIGKILL\).*No backup was written\./);
    expect(files(dir)).toEqual([]);
  });
});

describe('what "empty" means, and what a staging copy keeps', () => {
  it('--jobs 2 into a database with only a large object, a schema and a function: refused, all kept', async () => {
    await createDb(
      'lo_only',
      "CREATE SCHEMA app; CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1'; SELECT lo_from_bytea(0, 'precious');",
    );
    const file = await backupOf('source', 'backups/lo', { format: 'custom' });
    const r = await restore({ database: 'lo_only', file, jobs: 2 });
    expect(r.success).toBe(false);
    expect(r.output).toContain(
      "Database 'lo_only' is not empty (1 schema, 1 function, 1 large object)",
    );
    expect(
      await query(
        'lo_only',
        'SELECT app.f() AS v, (SELECT count(*)::int FROM pg_largeobject_metadata) AS lo',
      ),
    ).toEqual([{ v: 1, lo: 1 }]);
    // With --clean it is replaced after all, and the safety backup keeps the large object.
    const c = await restore({
      database: 'lo_only',
      file,
      jobs: 2,
      clean: true,
      outputDir: 'backups/lo',
    });
    expect(c.success).toBe(true);
    const [safety] = files(join(ws.root, 'backups/lo/safety'));
    await restore({
      database: 'lo_back',
      file: `backups/lo/safety/${safety}`,
      createDatabase: true,
    });
    expect(
      await query(
        'lo_back',
        "SELECT convert_from(lo_get(oid), 'UTF8') AS v FROM pg_largeobject_metadata",
      ),
    ).toEqual([{ v: 'precious' }]);
  });

  it('--clean of a template database in a tablespace, with a comment, a limit and settings: all kept, old one dropped', async () => {
    const location = mkdtempSync(join(tmpdir(), 'acme-pg-ts-'));
    chmodSync(location, 0o700);
    if (userInfo().uid === 0) {
      const id = (f: string) => Number(spawnSync('id', [f, 'postgres']).stdout.toString().trim());
      chownSync(location, id('-u'), id('-g'));
    }
    try {
      await query('postgres', `CREATE TABLESPACE fast LOCATION '${location}'`);
      await query('postgres', 'CREATE ROLE fancy_owner; CREATE ROLE fancy_reader');
      await query(
        'postgres',
        'CREATE DATABASE fancy OWNER fancy_owner TABLESPACE fast CONNECTION LIMIT 7 IS_TEMPLATE true',
      );
      await query(
        'postgres',
        "COMMENT ON DATABASE fancy IS 'the fancy one'; ALTER DATABASE fancy SET work_mem = '7MB'; GRANT CONNECT ON DATABASE fancy TO fancy_reader",
      );
      await query('fancy', 'CREATE TABLE old (id int)');
      const props = () =>
        query(
          'postgres',
          `SELECT d.datistemplate, d.datconnlimit, t.spcname, pg_get_userbyid(d.datdba) AS owner,
                  shobj_description(d.oid, 'pg_database') AS comment,
                  (SELECT array_agg(a::text ORDER BY a::text) FROM unnest(d.datacl) a) AS acl,
                  (SELECT setconfig FROM pg_db_role_setting WHERE setdatabase = d.oid AND setrole = 0) AS settings
             FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE datname = 'fancy'`,
        );
      const before = await props();
      const file = await backupOf('source', 'backups/fancy', { format: 'custom' });
      const r = await restore({ database: 'fancy', file, clean: true, outputDir: 'backups/fancy' });
      expect(r.output).toContain("Restored 'fancy'");
      expect(await props()).toEqual(before);
      expect(before[0]).toMatchObject({
        datistemplate: true,
        spcname: 'fast',
        comment: 'the fancy one',
      });
      expect(await fingerprint(server.url, 'fancy')).toEqual(
        await fingerprint(server.url, 'source'),
      );
      await query('postgres', 'ALTER DATABASE fancy IS_TEMPLATE false');
      await query('postgres', 'DROP DATABASE fancy');
    } finally {
      await query('postgres', 'DROP TABLESPACE IF EXISTS fast').catch(() => undefined);
      rmSync(location, { recursive: true, force: true });
    }
  });

  it('--clean of postgres itself works, through another maintenance database', async () => {
    await query('postgres', 'CREATE TABLE IF NOT EXISTS in_postgres (id int)');
    const file = await backupOf('source', 'backups/pg', { format: 'custom' });
    const r = await restore({ database: 'postgres', file, clean: true, outputDir: 'backups/pg' });
    expect(r.output).toContain("Restored 'postgres'");
    expect(await fingerprint(server.url, 'postgres')).toEqual(
      await fingerprint(server.url, 'source'),
    );
    expect(files(join(ws.root, 'backups/pg/safety'))).toHaveLength(1);
  });
});

describe('data-only backups', () => {
  it.each([['plain'], ['custom']])(
    '%s: only into empty tables unless --append, which never moves a sequence backwards',
    async (format) => {
      await createDb(
        'd_src',
        'CREATE TABLE t (id serial PRIMARY KEY, v text); INSERT INTO t (v) SELECT md5(i::text) FROM generate_series(1, 100) i;',
      );
      const data = await backupOf('d_src', `backups/d-${format}`, { dataOnly: true, format });
      await createDb(
        'd_live',
        'CREATE TABLE t (id serial PRIMARY KEY, v text); INSERT INTO t (v) SELECT md5(i::text) FROM generate_series(1, 500) i;',
      );
      const r = await restore({ database: 'd_live', file: data, outputDir: `backups/d-${format}` });
      expect(r.success).toBe(false);
      expect(r.output).toContain('holds rows only, and 1 of its tables already has rows');
      expect(await query('d_live', 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 500 }]);
      // --append: ids collide here (1..100 exist), so it fails whole, changing nothing...
      const clash = await restore({
        database: 'd_live',
        file: data,
        append: true,
        outputDir: `backups/d-${format}`,
      });
      expect(clash.success).toBe(false);
      expect(await query('d_live', 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 500 }]);
      // ...and into rows that do not clash it adds them, and the sequence stays ahead of every id.
      await query('d_live', 'DELETE FROM t WHERE id <= 100');
      const ok = await restore({
        database: 'd_live',
        file: data,
        append: true,
        outputDir: `backups/d-${format}`,
      });
      expect(ok.output).toMatch(/Restored 'd_live' from backups\/\S+: 1 table, 100 rows/);
      expect(await query('d_live', 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 500 }]);
      await query('d_live', "INSERT INTO t (v) VALUES ('next')");
      expect(await query('d_live', "SELECT id FROM t WHERE v = 'next'")).toEqual([{ id: 501 }]);
      expect(files(join(ws.root, `backups/d-${format}/safety`)).length).toBeGreaterThan(0);
      // Into empty tables it loads without --append.
      await createDb('d_empty', 'CREATE TABLE t (id serial PRIMARY KEY, v text);');
      const e = await restore({ database: 'd_empty', file: data });
      expect(e.output).toMatch(/Restored 'd_empty' from backups\/\S+: 1 table, 100 rows/);
    },
  );
});

describe('parallel backups through nx run-many', () => {
  it('8 db-backup targets at once give 8 complete files, each restorable', async () => {
    await createDb(
      'par',
      'CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 5000);',
    );
    const nxWs = mkdtempSync(join(tmpdir(), 'acme-pg-nx-'));
    try {
      // The plugin and the core as their packages ship: compiled JavaScript, package.json,
      // executors.json and commands.json, schemas; the core beside the plugin, as npm puts it.
      const out = join(nxWs, 'out');
      const tsconfig = join(nxWs, 'tsconfig.build.json');
      writeFileSync(
        tsconfig,
        JSON.stringify({
          extends: join(REPO, 'tsconfig.base.json'),
          compilerOptions: {
            rootDir: join(REPO, 'packages'),
            outDir: out,
            types: ['node'],
            typeRoots: [join(REPO, 'node_modules/@types')],
          },
          include: ['pg/src/**/*.ts', 'core/src/**/*.ts'].map((g) => join(REPO, 'packages', g)),
          exclude: ['**/*.spec.ts', '**/files/**'].map((g) => join(REPO, 'packages', g)),
        }),
      );
      const build = spawnSync(
        process.execPath,
        [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', tsconfig, '--sourceMap', 'false'],
        { cwd: REPO, encoding: 'utf-8' },
      );
      expect(build.stdout).toBe('');
      expect(build.status).toBe(0);
      const plugin = join(out, 'pg');
      const core = join(out, 'core');
      for (const [pkg, files] of [
        ['pg', ['package.json', 'executors.json']],
        ['core', ['package.json', 'commands.json']],
      ] as const) {
        for (const f of files) cpSync(join(REPO, 'packages', pkg, f), join(out, pkg, f));
        cpSync(join(REPO, 'packages', pkg, 'src'), join(out, pkg, 'src'), {
          recursive: true,
          dereference: true,
          filter: (p) => statSync(p).isDirectory() || p.endsWith('.json'),
        });
      }
      mkdirSync(join(nxWs, 'node_modules/@acme'), { recursive: true });
      symlinkSync(plugin, join(nxWs, 'node_modules/@acme/pg'));
      symlinkSync(core, join(nxWs, 'node_modules/@acme/pg-core'));
      for (const dep of ['nx', '@nx', 'pg', 'yaml', 'tslib'])
        if (!existsSync(join(nxWs, 'node_modules', dep)))
          symlinkSync(join(REPO, 'node_modules', dep), join(nxWs, 'node_modules', dep));
      writeFileSync(join(nxWs, 'package.json'), '{"name":"par","private":true}');
      writeFileSync(join(nxWs, 'nx.json'), '{}');
      writeFileSync(join(nxWs, 'polytope.yml'), POLYTOPE_YML);
      mkdirSync(join(nxWs, 'sql/postgres'), { recursive: true });
      writeFileSync(
        join(nxWs, 'sql/postgres/acme-pg.json'),
        JSON.stringify({ kind: 'database', module: 'postgres', polytopeFile: 'polytope.yml' }),
      );
      for (let i = 1; i <= 8; i++) {
        const root = join(nxWs, `apps/c${i}`);
        mkdirSync(root, { recursive: true });
        writeFileSync(
          join(root, 'acme-pg.json'),
          JSON.stringify({ kind: 'client', modules: ['postgres'] }),
        );
        writeFileSync(
          join(root, 'project.json'),
          JSON.stringify({
            name: `c${i}`,
            targets: {
              'db-backup': {
                executor: '@acme/pg:db-backup',
                options: { database: 'par', outputDir: 'backups/par' },
              },
            },
          }),
        );
      }
      const r = spawnSync(
        process.execPath,
        [
          join(REPO, 'node_modules/nx/dist/bin/nx.js'),
          'run-many',
          '-t',
          'db-backup',
          '--parallel=8',
          '--skip-nx-cache',
        ],
        {
          cwd: nxWs,
          env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', CI: 'true' },
          encoding: 'utf-8',
        },
      );
      const output = `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
      expect(output).toContain('Successfully ran target db-backup for 8 projects');
      expect(r.status).toBe(0);
      expect(output).not.toMatch(/ENOENT|\n\s+at /);
      const dir = join(nxWs, 'backups/par');
      const made = files(dir);
      expect(made).toHaveLength(8);
      expect(made.every((f) => parseBackupName(f)?.database === 'par')).toBe(true);
      // Each one is whole and restores the whole table.
      cpSync(dir, join(ws.root, 'backups/par'), { recursive: true });
      const list = JSON.parse(
        (await restore({ database: 'par', list: true, outputDir: 'backups/par', json: true }))
          .stdout,
      );
      expect(list).toHaveLength(8);
      for (const [i, e] of list.entries()) {
        const res = await restore({
          database: `par_${i}`,
          file: e.file,
          createDatabase: true,
          json: true,
        });
        expect(JSON.parse(res.stdout)).toMatchObject({ tables: 1, rows: 5000 });
      }
    } finally {
      rmSync(nxWs, { recursive: true, force: true });
    }
  }, 180000);
});

describe('a backup that cannot connect', () => {
  it("a wrong password is db-check's one line, and nothing is written", async () => {
    useServerEnv({ ...server, password: 'not-the-password' });
    try {
      const r = await backup({ database: 'source', outputDir: 'backups/denied/deeper' });
      expect(r.success).toBe(false);
      expect(r.output.trim()).toMatch(
        /^Wrong password, or no role 'postgres' on .*: PostgreSQL answers both alike \(password from .*\)\..* No backup was written\.$/,
      );
      expect(existsSync(join(ws.root, 'backups/denied'))).toBe(false);
    } finally {
      useServerEnv(server);
    }
  });
});

describe('secrets and stack traces', () => {
  it('no password in any argument list or output, and never a stack trace', () => {
    expect(spawned.argLists.filter((a) => a.some((x) => x.includes(PASSWORD)))).toEqual([]);
    expect(runner.printed()).not.toContain(PASSWORD);
    expect(runner.printed()).not.toMatch(/\n\s+at \S+ \(/);
    expect(runner.printed()).not.toContain('unexpected error');
  });
});

/** Runs an executor (the core's command, which the Nx executor re-exports) in its own process group. */
const runInGroupOf = (executor: string, options: object) =>
  runCommandInChild(executor, options, ws.context());

describe('a real Ctrl-C to the whole process group', () => {
  it('SIGINT to the group right after the swap of --clean: the safety backup completes, nothing is left', async () => {
    await createDb(
      'grp',
      'CREATE TABLE old AS SELECT i, repeat(md5(i::text), 4) AS p FROM generate_series(1, 1000000) i',
    );
    const file = await backupOf('source', 'backups/grp-src', { format: 'custom' });
    rmSync(join(ws.root, 'backups/grp'), { recursive: true, force: true });
    const before = (await query<{ n: string }>('grp', 'SELECT count(*) AS n FROM old'))[0].n;
    const { pid, done } = runInGroupOf('db-restore/db-restore.ts', {
      database: 'grp',
      file,
      clean: true,
      outputDir: 'backups/grp',
    });
    let exited = false;
    void done.then(() => (exited = true));
    await waitFor(
      async () => exited || (await databases()).some((d) => d.startsWith('grp_replaced_')),
      60000,
    );
    // Sent while the old database is being backed up, not after the run ended.
    const early = exited;
    process.kill(-pid, 'SIGINT');
    const r = await done;
    if (early) throw new Error(`the run ended first: ${r.output}`);
    expect(r.output).not.toMatch(/\n\s+at /);
    expect(r.output).toMatch(/SIGINT came after 'grp' was replaced/);
    expect(r.code).toBe(0);
    expect(await strays()).toEqual([]);
    const safety = files(join(ws.root, 'backups/grp/safety'));
    expect(safety).toHaveLength(1);
    expect(safety[0]).not.toMatch(/partial/);
    // The safety backup is whole: it restores every row the replaced database had.
    const back = await restore({
      database: 'grp_back',
      file: join('backups/grp/safety', safety[0]),
      createDatabase: true,
    });
    expect(back.success).toBe(true);
    expect((await query<{ n: string }>('grp_back', 'SELECT count(*) AS n FROM old'))[0].n).toBe(
      before,
    );
  }, 120000);
});

describe('a real Ctrl-C to the whole process group, while loading', () => {
  it.each(['plain', 'custom'])(
    'SIGINT to the group during the staging load of a %s backup: "Restore interrupted (SIGINT)", as it was',
    async (format) => {
      await createDb(
        'grpl',
        'CREATE TABLE old (id int); INSERT INTO old SELECT generate_series(1, 1000);',
      );
      await createDb(
        'grpl_src',
        'CREATE TABLE big AS SELECT i, repeat(md5(i::text), 4) AS p FROM generate_series(1, 600000) i',
      );
      const file = await backupOf('grpl_src', 'backups/grpl-src', { format });
      const { pid, done } = runInGroupOf('db-restore/db-restore.ts', {
        database: 'grpl',
        file,
        clean: true,
        outputDir: 'backups/grpl',
      });
      await waitFor(async () => {
        const staging = (await strays()).find((d) => d.startsWith('grpl_restore_'));
        if (!staging) return false;
        const r = await query<{ n: string }>(
          'postgres',
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'active'",
          [staging],
        );
        return Number(r[0].n) > 0;
      }, 60000);
      process.kill(-pid, 'SIGINT');
      const r = await done;
      expect(r.output.trim()).toBe("Restore interrupted (SIGINT); 'grpl' is as it was.");
      expect(r.code).not.toBe(0);
      expect(await query('grpl', 'SELECT count(*)::int AS n FROM old')).toEqual([{ n: 1000 }]);
    },
    120000,
  );
});

describe('a real Ctrl-C to the whole process group, while backing up', () => {
  it('SIGINT to the group mid-backup: "Backup interrupted (SIGINT)", no file and no partial left', async () => {
    await createDb(
      'grpb',
      'CREATE TABLE wide AS SELECT i, repeat(md5(i::text), 4) AS p FROM generate_series(1, 600000) i',
    );
    const dir = join(ws.root, 'backups/grpb');
    const { pid, done } = runInGroupOf('db-backup/db-backup.ts', {
      database: 'grpb',
      outputDir: 'backups/grpb',
    });
    await waitFor(() => partialBytes(dir) > 1_000_000, 60000);
    process.kill(-pid, 'SIGINT');
    const r = await done;
    expect(r.output.trim()).toBe('Backup interrupted (SIGINT); no backup was written.');
    expect(r.code).not.toBe(0);
    expect(files(dir)).toEqual([]);
  }, 120000);
});

describe('a db-restore that did not end', () => {
  it('kill -9 of the group while loading: the next --clean names the copy left, keeps it, and restores', async () => {
    await createDb(
      'kil',
      'CREATE TABLE old (id int); INSERT INTO old SELECT generate_series(1, 1000);',
    );
    await createDb(
      'kil_src',
      'CREATE TABLE big AS SELECT i, repeat(md5(i::text), 4) AS p FROM generate_series(1, 600000) i',
    );
    const file = await backupOf('kil_src', 'backups/kil-src', { format: 'custom' });
    const { pid, done } = runInGroupOf('db-restore/db-restore.ts', {
      database: 'kil',
      file,
      clean: true,
      outputDir: 'backups/kil',
    });
    const sessions = async (d: string) =>
      Number(
        (
          await query<{ n: string }>(
            'postgres',
            'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1',
            [d],
          )
        )[0].n,
      );
    let copy = '';
    await waitFor(async () => {
      copy = (await strays()).find((d) => d.startsWith('kil_restore_')) ?? '';
      return copy !== '' && (await sessions(copy)) > 0;
    }, 60000);
    process.kill(-pid, 'SIGKILL');
    await done;
    // The loader's backend ends once it sees its client gone.
    await waitFor(async () => (await sessions(copy)) === 0);
    expect(await query('kil', 'SELECT count(*)::int AS n FROM old')).toEqual([{ n: 1000 }]);

    const r = await restore({ database: 'kil', file, clean: true, outputDir: 'backups/kil' });
    expect(r.success).toBe(true);
    expect(r.output).toContain(
      `A db-restore or db-reset of 'kil' stopped before its end (killed, or its machine lost). '${copy}' is a copy it was loading, not 'kil': drop it (DROP DATABASE "${copy}").`,
    );
    expect(await query('kil', 'SELECT count(*)::int AS n FROM big')).toEqual([{ n: 600000 }]);
    // Not dropped on a guess: the user drops it.
    expect(await strays()).toEqual([copy]);
    await query('postgres', `DROP DATABASE ${ident(copy)}`);
  }, 120000);

  it('cut off between closing and swapping: refused with the way back, which works', async () => {
    await createDb('shut', 'CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 5);');
    const old = 'shut_replaced_0123abcd';
    await createDb(old, 'CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 3);');
    const file = await backupOf('source', 'backups/shut-src', { format: 'custom' });
    for (const d of ['shut', old])
      await query('postgres', `ALTER DATABASE ${ident(d)} ALLOW_CONNECTIONS false`);
    const allow = async (d: string) =>
      (
        await query<{ ok: boolean }>(
          'postgres',
          'SELECT datallowconn AS ok FROM pg_database WHERE datname = $1',
          [d],
        )
      )[0].ok;

    const r = await restore({ database: 'shut', file, clean: true, outputDir: 'backups/shut' });
    expect(r.success).toBe(false);
    expect(r.output.trim()).toBe(
      `A db-restore or db-reset of 'shut' stopped before its end (killed, or its machine lost). '${old}' holds what 'shut' held before it was replaced, with no safety backup yet: keep it until backed up (ALTER DATABASE "${old}" ALLOW_CONNECTIONS true, then db-backup --database ${old}); drop it after (DROP DATABASE "${old}"), or put it back in place of 'shut' (ALTER DATABASE "shut" RENAME TO "shut_newer_0123abcd"; ALTER DATABASE "${old}" RENAME TO "shut"; ALTER DATABASE "shut" ALLOW_CONNECTIONS true;). 'shut' still refuses connections, as the run left it: open it (ALTER DATABASE "shut" ALLOW_CONNECTIONS true) and run again. Nothing was changed.`,
    );
    expect(await allow('shut')).toBe(false);
    expect(await strays()).toEqual([old]);
    expect(existsSync(join(ws.root, 'backups/shut'))).toBe(false);

    // A connection to it says why it fails, and where to look.
    const check = await runner.run(dbCheck, { database: 'shut' });
    expect(check.success).toBe(false);
    expect(check.output).toMatch(
      /Database 'shut' on .* does not accept connections \(ALLOW_CONNECTIONS false\)\. A db-restore or db-reset of it that was cut off leaves it so/,
    );

    // The ways back, as the message gives them: the replaced one in place again, as it says,
    await query('postgres', `ALTER DATABASE ${ident(old)} ALLOW_CONNECTIONS true`);
    const putBack = /or put it back in place of 'shut' \((.*?)\)\. 'shut' still/.exec(r.output)![1];
    for (const statement of putBack.split(/;\s*/).filter(Boolean))
      await query('postgres', statement);
    expect(await query('shut', 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 3 }]);
    await query('postgres', 'ALTER DATABASE shut_newer_0123abcd RENAME TO shut_replaced_0123abcd');
    await query('postgres', 'ALTER DATABASE shut_replaced_0123abcd ALLOW_CONNECTIONS false');
    await query('postgres', 'ALTER DATABASE shut ALLOW_CONNECTIONS false');
    // or backed up, dropped, and the database opened.
    await query('postgres', `ALTER DATABASE ${ident(old)} ALLOW_CONNECTIONS true`);
    const kept = await backup({ database: old, outputDir: 'backups/shut-old' });
    expect(kept.success).toBe(true);
    await query('postgres', `DROP DATABASE ${ident(old)}`);
    await query('postgres', 'ALTER DATABASE shut ALLOW_CONNECTIONS true');
    const again = await restore({ database: 'shut', file, clean: true, outputDir: 'backups/shut' });
    expect(again.success).toBe(true);
    expect(again.output).not.toContain('stopped before its end');
    expect(await allow('shut')).toBe(true);
  }, 120000);
});

describe('--outputFile', () => {
  it('db-backup, db-restore and db-restore --list write their result to a file, on failure too', async () => {
    await createDb('outf', 'CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 42);');
    const read = (f: string) => JSON.parse(readFileSync(join(ws.root, f), 'utf-8'));
    const b = await backup({
      database: 'outf',
      outputDir: 'backups/outf',
      outputFile: 'tmp/b.json',
    });
    expect(b.success).toBe(true);
    const made = read('tmp/b.json');
    expect(made).toMatchObject({ ok: true, pruned: [] });
    expect(existsSync(join(ws.root, made.file))).toBe(true);
    expect(made.bytes).toBe(statSync(join(ws.root, made.file)).size);
    const l = await restore({
      database: 'outf',
      list: true,
      outputDir: 'backups/outf',
      outputFile: 'tmp/l.json',
    });
    expect(l.success).toBe(true);
    expect(read('tmp/l.json')).toMatchObject({
      ok: true,
      backups: [{ file: made.file, kind: 'full' }],
    });
    const r = await restore({
      database: 'outf_new',
      file: made.file,
      createDatabase: true,
      outputFile: 'tmp/r.json',
    });
    expect(r.success).toBe(true);
    expect(read('tmp/r.json')).toMatchObject({
      ok: true,
      database: 'outf_new',
      tables: 1,
      rows: 42,
    });
    // A failure replaces the older result: a script never takes it for this run's.
    const f = await backup({ database: 'outf', format: 'zip' as never, outputFile: 'tmp/b.json' });
    expect(f.success).toBe(false);
    expect(read('tmp/b.json')).toEqual({
      ok: false,
      message: expect.stringMatching(/Invalid --format 'zip'/),
    });
  });
});

describe('partial folders of runs that are gone', () => {
  async function killedMidBackup(dir: string): Promise<string> {
    const { pid, done } = runInGroupOf('db-backup/db-backup.ts', {
      database: 'abnd',
      outputDir: dir,
    });
    await waitFor(() => partialBytes(join(ws.root, dir)) > 1_000_000, 60000);
    process.kill(-pid, 'SIGKILL');
    await done;
    const left = files(join(ws.root, dir));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^\..*\.partial$/);
    return join(dir, left[0]);
  }

  it('kill -9 of db-backup: the next db-backup and db-restore --list remove its partial in one line, never a running one', async () => {
    await createDb(
      'abnd',
      'CREATE TABLE wide AS SELECT i, repeat(md5(i::text), 4) AS p FROM generate_series(1, 600000) i',
    );
    const first = await killedMidBackup('backups/abnd');
    const running = backup({ database: 'abnd', outputDir: 'backups/abnd' });
    // While that backup writes, --list leaves its partial alone.
    await waitFor(() => partialBytes(join(ws.root, 'backups/abnd')) > 1_000_000, 60000);
    expect(existsSync(join(ws.root, first))).toBe(false);
    const list = await restore({ database: 'abnd', list: true, outputDir: 'backups/abnd' });
    expect(list.output).not.toMatch(/Removed/);
    const b = await running;
    expect(b.success).toBe(true);
    expect(b.output).toContain(
      `Removed ${first}, the unfinished backup of a run that is gone (killed or crashed).`,
    );
    const made = files(join(ws.root, 'backups/abnd'));
    expect(made).toHaveLength(1);
    expect(parseBackupName(made[0])?.database).toBe('abnd');

    const second = await killedMidBackup('backups/abnd2');
    const l2 = await restore({ database: 'abnd', list: true, outputDir: 'backups/abnd2' });
    expect(l2.output.split('\n')[0]).toBe(
      `Removed ${second}, the unfinished backup of a run that is gone (killed or crashed).`,
    );
    expect(files(join(ws.root, 'backups/abnd2'))).toEqual([]);
  }, 180000);
});

describe('messages', () => {
  it('paths inside the workspace are shown relative to it; a file as --outputDir is a sentence', async () => {
    mkdirSync(join(ws.root, 'junk/notdump.dir'), { recursive: true });
    writeFileSync(join(ws.root, 'junk/garbage.dump'), Buffer.from([1, 0, 2, 0, 3]));
    writeFileSync(join(ws.root, 'junk/empty.sql'), '');
    const cases: [string, string][] = [
      [
        'junk/garbage.dump',
        'junk/garbage.dump is neither a SQL script nor a pg_dump archive; give a backup made by db-backup or pg_dump.',
      ],
      ['junk/empty.sql', 'junk/empty.sql is empty: not a backup.'],
      [
        join(ws.root, 'junk/notdump.dir'),
        'junk/notdump.dir is a folder without toc.dat: not a directory-format backup.',
      ],
    ];
    for (const [file, message] of cases) {
      const r = await restore({ database: 'source', file, clean: true });
      expect(r.success).toBe(false);
      expect(r.output.trim()).toBe(message);
    }
    const b = await backup({ database: 'source', outputDir: 'polytope.yml' });
    expect(b.success).toBe(false);
    expect(b.output.trim()).toBe(
      'polytope.yml is a file, not a folder; choose another --outputDir.',
    );
    const nested = await backup({ database: 'source', outputDir: 'polytope.yml/sub' });
    expect(nested.output.trim()).toBe(
      'polytope.yml is a file, not a folder; choose another --outputDir.',
    );
  });

  it('--keep names a backup dated in the future as such, not as older', async () => {
    await createDb('fut', 'CREATE TABLE t (id int)');
    const dir = join(ws.root, 'backups/fut');
    const first = await backupOf('fut', 'backups/fut');
    const future = backupName({
      database: 'fut',
      kind: 'full',
      format: 'plain',
      compress: false,
      serverVersion: '15.0',
      time: new Date('2099-01-01T00:00:00Z'),
      id: 'abcdef01',
    });
    cpSync(join(ws.root, first), join(dir, future));
    const r = await backup({ database: 'fut', outputDir: 'backups/fut', keep: 1 });
    expect(r.success).toBe(true);
    expect(r.output).toContain(`Deleted older backup ${first} (--keep 1).`);
    expect(r.output).toContain(
      `Deleted backup backups/fut/${future}, dated in the future (after this one: a wrong clock, or a copied file) (--keep 1).`,
    );
    expect(r.output).not.toContain(`Deleted older backup backups/fut/${future}`);
    expect(files(dir)).toHaveLength(1);
  });
});
