import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  captureOutput,
  executorWorkspace,
  ExecutorWorkspace,
  useServerEnv,
} from '../../../test-utils/executor-workspace';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import dbSeed from './db-seed';

let server: TestServer;
let ws: ExecutorWorkspace;
const saved = { ...process.env };

beforeAll(async () => {
  server = await startPostgres({ password: 'se:ed@pw' });
  const c = new Client({ ...server, database: 'postgres', host: '127.0.0.1', ssl: false });
  await c.connect();
  await c.query('CREATE DATABASE seeded');
  await c.end();
});
afterAll(async () => {
  process.env = saved;
  await server?.stop();
});
beforeEach(() => {
  ws = executorWorkspace();
  useServerEnv(server, { POSTGRES_DB: 'seeded' });
});
afterEach(() => ws.remove());

function seed(name: string, text: string) {
  const dir = join(ws.root, 'sql/postgres/seeds');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), text);
}

describe('db-seed on a real server', () => {
  it('names the .sql files that are not seeds by their names; --outputFile holds the result', async () => {
    seed('001-a.sql', 'CREATE TABLE IF NOT EXISTS a (id int);\n');
    seed('notnumbered.sql', 'CREATE TABLE never (id int);\n');
    seed('README.md', 'notes\n');
    const out = captureOutput();
    let r;
    try {
      r = await dbSeed({ outputFile: 'out/seed.json' }, ws.context('postgres'));
    } finally {
      out.restore();
    }
    expect(r.success).toBe(true);
    expect(out.text()).toContain(
      'Not seeds by their names, so never run: notnumbered.sql (a seed is NNN-<name>.sql, e.g. 001-customers.sql).',
    );
    expect(out.text()).not.toContain('README.md');
    expect(JSON.parse(readFileSync(join(ws.root, 'out/seed.json'), 'utf-8'))).toEqual({
      ok: true,
      database: 'seeded',
      seeds: ['001-a.sql'],
      ignored: ['notnumbered.sql'],
    });
  });
});
