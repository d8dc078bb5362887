/**
 * db-backup and db-restore on a real PostgreSQL with the real pg_dump, pg_restore and psql: round
 * trips in every format, the version rule, and the faults that must never lose data.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  useServerEnv,
} from '../../test-utils/executor-workspace';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import { fingerprint, RICH_SQL, sql } from '@acme/pg-core/test-utils/rich-database';
import { inspectBackup } from '@acme/pg-core/src/postgres/backup-inspect';
import dbBackup from './db-backup/db-backup';
import dbRestore from './db-restore/db-restore';

const PASSWORD = 'b@ck:up/s3cret';
let server: TestServer;
let ws: ExecutorWorkspace;
const saved = { ...process.env };
const runner = executorRunner(() => ws);
/** Every argument list of every child process started during these tests. */
let argLists: string[][] = [];

const useServer = (s: TestServer) => useServerEnv(s);
const backup = (o: Parameters<typeof dbBackup>[0]) => runner.run(dbBackup, o);
const restore = (o: Parameters<typeof dbRestore>[0]) => runner.run(dbRestore, o);

const customBackup = () =>
  `backups/custom/${files(join(ws.root, 'backups/custom')).find((f) => f.endsWith('.dump'))}`;

beforeAll(async () => {
  server = await startPostgres({ password: PASSWORD, database: 'source' });
  ws = executorWorkspace();
  await sql(server.url, 'source', RICH_SQL);
  argLists = recordChildProcesses().argLists;
  useServer(server);
});

afterAll(async () => {
  jest.restoreAllMocks();
  process.env = saved;
  await server?.stop();
  ws?.remove();
});

describe('round trip on a real server, every format', () => {
  it.each<[string, Parameters<typeof dbBackup>[0]]>([
    ['plain', {}],
    ['plain, gzipped', { compress: true }],
    ['custom', { format: 'custom' }],
    ['directory, 2 jobs', { format: 'directory', jobs: 2 }],
  ])(
    '%s: restored into a fresh database, content and owners are identical',
    async (label, opts) => {
      const outputDir = `backups/${label.replace(/[^a-z]/g, '')}`;
      const b = await backup({ database: 'source', outputDir, json: true, ...opts });
      expect(b.success).toBe(true);
      const { file, bytes } = JSON.parse(b.stdout);
      expect(file).toMatch(
        new RegExp(
          `^${outputDir}/source-\\d{8}T\\d{6}\\.\\d{3}Z-full-pg15\\.\\d+-[0-9a-f]{8}\\.(sql|sql\\.gz|dump|dir)$`,
        ),
      );
      expect(bytes).toBeGreaterThan(1000);
      expect(files(join(ws.root, outputDir))).toEqual([file.split('/').pop()]);
      const copy = `copy_${label.replace(/[^a-z]/g, '')}`;
      const r = await restore({
        database: copy,
        file,
        createDatabase: true,
        jobs: opts.format ? 2 : undefined,
        json: true,
      });
      expect(r.success).toBe(true);
      expect(JSON.parse(r.stdout)).toMatchObject({ database: copy, tables: 3, rows: 101002 });
      expect(await fingerprint(server.url, copy)).toEqual(await fingerprint(server.url, 'source'));
    },
  );

  it('keeps backups out of git and files private', () => {
    const gitignore = readFileSync(join(ws.root, '.gitignore'), 'utf-8');
    expect(gitignore).toContain('/backups/plain/\n');
    const dir = join(ws.root, 'backups/custom');
    const [name] = files(dir);
    expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
  });
});

describe('backup options', () => {
  it('--keep N deletes older regular backups after a success, never safety backups', async () => {
    const dir = join(ws.root, 'backups/kept');
    mkdirSync(join(dir, 'safety'), { recursive: true });
    const safety = 'source-20200101T000000.000Z-full-pg15.18-00000001.dump';
    const older = 'source-20200101T000000.000Z-full-pg15.18-00000002.sql';
    const old = 'source-20200102T000000.000Z-full-pg15.18-00000003.sql';
    const other = 'other-20200101T000000.000Z-full-pg15.18-00000004.sql';
    const legacy = 'source-20200101T000000Z.sql';
    writeFileSync(join(dir, 'safety', safety), 'old safety');
    for (const f of [older, old, other, legacy]) writeFileSync(join(dir, f), f);
    const r = await backup({ database: 'source', outputDir: 'backups/kept', keep: 2, json: true });
    expect(r.success).toBe(true);
    const made = JSON.parse(r.stdout).file.split('/').pop();
    // Files not named by db-backup (like an older version's) are never deleted.
    expect(files(dir)).toEqual([other, 'safety', legacy, old, made].sort());
    expect(files(join(dir, 'safety'))).toEqual([safety]);
  });

  it('--schemaOnly restores the tables without rows; --dataOnly loads rows into them', async () => {
    const schema = await backup({
      database: 'source',
      outputDir: 'backups/schema',
      schemaOnly: true,
      format: 'custom',
      json: true,
    });
    const data = await backup({
      database: 'source',
      outputDir: 'backups/data',
      dataOnly: true,
      format: 'custom',
      json: true,
    });
    const empty = await restore({
      database: 'schema_copy',
      file: JSON.parse(schema.stdout).file,
      createDatabase: true,
      json: true,
    });
    expect(JSON.parse(empty.stdout)).toMatchObject({ tables: 3, rows: 0 });
    await sql(server.url, 'postgres', 'CREATE DATABASE data_copy');
    await sql(
      server.url,
      'data_copy',
      'CREATE TABLE kinds (id serial, b bytea, j jsonb, a int[], n numeric(20, 6), t timestamptz, note text); CREATE TABLE big (id int, payload text); CREATE TABLE owned (id int, label text); CREATE SEQUENCE counter;',
    );
    const withData = await restore({ database: 'data_copy', file: JSON.parse(data.stdout).file });
    expect(withData.success).toBe(true);
    expect(withData.output).toMatch(/Restored 'data_copy' from \S+: 3 tables, 101002 rows/);
  });

  it('Ctrl-C during a backup stops pg_dump and leaves no file', async () => {
    await sql(server.url, 'postgres', 'CREATE DATABASE slow');
    await sql(
      server.url,
      'slow',
      'CREATE TABLE wide AS SELECT i, repeat(md5(i::text), 4) AS p FROM generate_series(1, 600000) i',
    );
    const dir = join(ws.root, 'backups/interrupted');
    const pending = backup({ database: 'slow', outputDir: 'backups/interrupted' });
    for (let i = 0; i < 400; i++) {
      if (partialBytes(dir) > 1_000_000) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    process.emit('SIGINT', 'SIGINT');
    const r = await pending;
    expect(r.success).toBe(false);
    expect(r.output).toContain('Backup interrupted (SIGINT); no backup was written.');
    expect(files(dir)).toEqual([]);
  });
});

describe('reading backups', () => {
  it.each([
    ['plain', 'sql', 'plain', false],
    ['plaingzipped', 'sql.gz', 'plain', true],
    ['custom', 'dump', 'archive', false],
    ['directoryjobs', 'dir', 'archive', false],
  ])('%s: the kind and the pg_dump that wrote it', (dir, ext, kind, gzip) => {
    const name = files(join(ws.root, 'backups', dir)).find((f) => f.endsWith(`.${ext}`))!;
    const info = inspectBackup(join(ws.root, 'backups', dir, name));
    expect(info).toEqual({
      kind,
      gzip,
      writer: { major: 15, version: expect.stringMatching(/^15\.\d+/) },
    });
  });
});

describe('faults', () => {
  it('refuses to restore into a database that has tables, and changes nothing', async () => {
    await sql(server.url, 'postgres', 'CREATE DATABASE occupied');
    await sql(
      server.url,
      'occupied',
      'CREATE TABLE keep_me (id int); INSERT INTO keep_me VALUES (7);',
    );
    const before = await fingerprint(server.url, 'occupied');
    const r = await restore({
      database: 'occupied',
      file: customBackup(),
    });
    expect(r.success).toBe(false);
    expect(r.output).toContain("Database 'occupied' is not empty (1 table, view or sequence)");
    expect(await fingerprint(server.url, 'occupied')).toEqual(before);
  });

  it('a dump with a broken statement fails and leaves the target as it was', async () => {
    writeFileSync(
      join(ws.root, 'broken.sql'),
      'CREATE TABLE fine (id int);\nINSERT INTO fine VALUES (1);\nCREATE TABLE broken (;\n',
    );
    // Into an empty database: still empty.
    await sql(server.url, 'postgres', 'CREATE DATABASE empty_target');
    // Not a whole pg_dump script: refused before anything is done, unless --force.
    const refused = await restore({ database: 'empty_target', file: 'broken.sql' });
    expect(refused.success).toBe(false);
    expect(refused.output).toContain(
      "broken.sql does not end with pg_dump's '-- PostgreSQL database dump complete'",
    );
    const r1 = await restore({ database: 'empty_target', file: 'broken.sql', force: true });
    expect(r1.success).toBe(false);
    expect(r1.output).toMatch(
      /Restore of broken\.sql failed with psql 15\.\d+: .*syntax error.* 'empty_target' is as it was\./,
    );
    expect((await fingerprint(server.url, 'empty_target')).relations).toEqual([]);
    // Into a missing one with --createDatabase: not created.
    const r2 = await restore({
      database: 'never_made',
      file: 'broken.sql',
      createDatabase: true,
      force: true,
    });
    expect(r2.success).toBe(false);
    const c = new Client({ connectionString: server.url, ssl: false });
    await c.connect();
    expect((await c.query("SELECT 1 FROM pg_database WHERE datname = 'never_made'")).rowCount).toBe(
      0,
    );
    await c.end();
    // With --clean into a full one: unchanged, and no stray databases.
    const before = await fingerprint(server.url, 'occupied');
    const r3 = await restore({
      database: 'occupied',
      file: 'broken.sql',
      clean: true,
      force: true,
    });
    expect(r3.success).toBe(false);
    expect(await fingerprint(server.url, 'occupied')).toEqual(before);
    const c2 = new Client({ connectionString: server.url, ssl: false });
    await c2.connect();
    const stray = await c2.query(
      "SELECT datname FROM pg_database WHERE datname LIKE 'occupied\\_%'",
    );
    await c2.end();
    expect(stray.rows).toEqual([]);
  });

  it('--clean replaces a full database, and its safety backup brings the old content back', async () => {
    const before = await fingerprint(server.url, 'occupied');
    const file = customBackup();
    const r = await restore({
      database: 'occupied',
      file,
      clean: true,
      outputDir: 'backups/custom',
    });
    expect(r.success).toBe(true);
    expect(await fingerprint(server.url, 'occupied')).toEqual(
      await fingerprint(server.url, 'source'),
    );
    const safety = files(join(ws.root, 'backups/custom/safety'));
    expect(safety).toHaveLength(1);
    expect(r.output).toContain(`backups/custom/safety/${safety[0]}`);
    // A safety backup is never "the newest backup".
    const again = await restore({ database: 'occupied', clean: true, outputDir: 'backups/custom' });
    expect(again.output).not.toContain(`Restore of backups/custom/safety`);
    const back = await restore({
      database: 'occupied',
      file: `backups/custom/safety/${safety[0]}`,
      clean: true,
      outputDir: 'backups/elsewhere',
    });
    expect(back.success).toBe(true);
    expect(await fingerprint(server.url, 'occupied')).toEqual(before);
  });

  it('open connections block --clean, named by application, user and address; --force ends them', async () => {
    const open = (application_name?: string) => {
      const c = new Client({
        connectionString: server.url.replace(/\/source$/, '/occupied'),
        ssl: false,
        application_name,
      });
      c.on('error', () => undefined);
      return c;
    };
    const holder = open('holder-app');
    const others = [open('holder-app'), open('')];
    await holder.connect();
    for (const c of others) await c.connect();
    const before = await fingerprint(server.url, 'occupied');
    const file = customBackup();
    const blocked = await restore({
      database: 'occupied',
      file,
      clean: true,
      outputDir: 'backups/blocked',
    });
    expect(blocked.success).toBe(false);
    expect(blocked.output).toContain(
      "3 open connection(s) to 'occupied' stop it being replaced: 'holder-app' (user postgres, from 127.0.0.1) ×2; no application_name (user postgres, from 127.0.0.1). Close them (stop those apps), or add --force",
    );
    expect(await fingerprint(server.url, 'occupied')).toEqual(before);
    expect(files(join(ws.root, 'backups/blocked'))).toEqual([]);
    const forced = await restore({
      database: 'occupied',
      file,
      clean: true,
      force: true,
      outputDir: 'backups/blocked',
    });
    expect(forced.success).toBe(true);
    expect(await fingerprint(server.url, 'occupied')).toEqual(
      await fingerprint(server.url, 'source'),
    );
    for (const c of [holder, ...others]) await c.end().catch(() => undefined);
  });

  it('a restore whose roles do not exist fails naming them and --noOwner', async () => {
    const other = await startPostgres({ password: PASSWORD });
    try {
      useServer(other);
      const file = customBackup();
      const r = await restore({ database: 'fresh', file, createDatabase: true });
      expect(r.success).toBe(false);
      expect(r.output).toContain(
        'The backup needs roles that do not exist on this server: app_owner. Create them first, or restore with --noOwner',
      );
      const ok = await restore({
        database: 'fresh',
        file,
        createDatabase: true,
        noOwner: true,
        json: true,
      });
      expect(ok.success).toBe(true);
      expect(JSON.parse(ok.stdout)).toMatchObject({ tables: 3, rows: 101002 });
    } finally {
      useServer(server);
      await other.stop();
    }
  });

  it('the server stopped in the middle of a backup: success false, no finished-looking file', async () => {
    const doomed = await startPostgres({ password: PASSWORD, database: 'doomed' });
    try {
      await sql(
        doomed.url,
        'doomed',
        'CREATE TABLE wide AS SELECT i, repeat(md5(i::text), 4) AS p FROM generate_series(1, 600000) i',
      );
      useServer(doomed);
      const dir = join(ws.root, 'backups/doomed');
      const pending = backup({ database: 'doomed', outputDir: 'backups/doomed' });
      for (let i = 0; i < 400; i++) {
        if (partialBytes(dir) > 1_000_000) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await doomed.stop();
      const r = await pending;
      expect(r.success).toBe(false);
      // pg_dump's failure, or (asked after it) the server's state: either way, nothing written.
      expect(r.output).toMatch(/(pg_dump failed .*|shutting down.*)No backup was written\.$/);
      expect(files(dir)).toEqual([]);
    } finally {
      useServer(server);
      await doomed.stop();
    }
  });
});

describe('secrets', () => {
  it('no child process got the password as an argument, and no output showed it', () => {
    expect(argLists.length).toBeGreaterThan(10);
    const withSecret = argLists.filter((a) =>
      a.some((x) => x.includes(PASSWORD) || x.includes(encodeURIComponent(PASSWORD))),
    );
    expect(withSecret).toEqual([]);
    expect(runner.printed()).not.toContain(PASSWORD);
    expect(runner.printed()).not.toContain(encodeURIComponent(PASSWORD));
  });
});
