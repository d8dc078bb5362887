/**
 * dbmate, the migration tool under db-migrate: found in the workspace's node_modules (the npm
 * package `dbmate` ships its binary as `@dbmate/<platform>-<arch>`), run with our resolved
 * connection. The URL it gets names no password: the password travels as PGPASSWORD in its
 * environment, which its PostgreSQL driver reads like libpq, so no argv, URL or error message of
 * dbmate's can show it. dbmate's own `.env` loading is turned off, so a stray `.env` cannot point it
 * at another database.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fail } from '../utils/errors';
import { findOnPath, isExecutable } from '../utils/executables';
import { ConnectionSettings, libpqEnv, maskSecrets } from '../postgres/settings';

const URL_VAR = 'ACME_PG_DBMATE_URL';
const INSTALL = 'npm i -D dbmate (it brings its own binary; @acme/pg depends on it)';

function platformBinary(): string {
  const ext = process.platform === 'win32' ? '.exe' : '';
  return `@dbmate/${process.platform}-${process.arch}/bin/dbmate${ext}`;
}

/** dbmate's binary: beside our package, beside the workspace's dbmate package, or on PATH. */
export function findDbmate(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const bin = platformBinary();
  const from = [__dirname, root];
  for (const base of from) {
    try {
      return require.resolve(bin, { paths: [base] });
    } catch {
      // next
    }
    try {
      const pkg = require.resolve('dbmate/package.json', { paths: [base] });
      const path = require.resolve(bin, { paths: [dirname(pkg)] });
      if (existsSync(path)) return path;
    } catch {
      // next
    }
  }
  const onPath = findOnPath('dbmate', env);
  if (onPath && isExecutable(onPath)) return onPath;
  fail(`dbmate is not installed for ${process.platform}-${process.arch}: ${INSTALL}.`);
}

/** The URL for dbmate: no password (PGPASSWORD carries it); a socket folder as `socket=`. */
export function dbmateUrl(s: ConnectionSettings, database = s.database): string {
  const user = encodeURIComponent(s.user);
  const db = encodeURIComponent(database);
  const params = new URLSearchParams({ sslmode: s.sslmode });
  if (s.host.startsWith('/')) {
    params.set('socket', s.host);
    params.set('port', String(s.port));
    return `postgres://${user}@/${db}?${params}`;
  }
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  return `postgres://${user}@${host}:${s.port}/${db}?${params}`;
}

export interface DbmateRun {
  code: number | null;
  /** The signal that ended dbmate, when one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface DbmateRequest {
  binary: string;
  settings: ConnectionSettings;
  migrationsDir: string;
  args: string[];
  /** Put this folder first on PATH (dbmate dump runs pg_dump from PATH). */
  pgBinDir?: string;
  /** Show dbmate's lines as they come. */
  onLine?: (line: string) => void;
  /** dbmate's application_name (PGAPPNAME), by which its session is found in pg_stat_activity. */
  appName?: string;
  /** Gets the function that stops dbmate (SIGTERM), once it runs. */
  onSpawn?: (kill: () => void) => void;
}

let runs = 0;
/** A name for one dbmate session, unique on this machine while this process runs. */
export function dbmateSessionName(): string {
  return `@acme/pg dbmate ${process.pid}.${++runs}`;
}

export function runDbmate(r: DbmateRequest): Promise<DbmateRun> {
  const env = libpqEnv(r.settings, process.env);
  env[URL_VAR] = dbmateUrl(r.settings);
  if (r.appName) env['PGAPPNAME'] = r.appName;
  if (r.pgBinDir)
    env['PATH'] = `${r.pgBinDir}${process.platform === 'win32' ? ';' : ':'}${env['PATH'] ?? ''}`;
  const args = [
    '--env',
    URL_VAR,
    '--env-file',
    process.platform === 'win32' ? 'NUL' : '/dev/null',
    '--migrations-dir',
    r.migrationsDir,
    '--no-dump-schema',
    ...r.args,
  ];
  const child = spawn(r.binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  r.onSpawn?.(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    const text = maskSecrets(d.toString(), r.settings);
    stdout += text;
    if (!r.onLine) return;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) r.onLine(l);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (pending && r.onLine) r.onLine(pending);
      resolve({ code, signal, stdout, stderr: maskSecrets(stderr, r.settings) });
    });
  });
}
