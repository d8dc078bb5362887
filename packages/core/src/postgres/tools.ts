/**
 * Finding PostgreSQL's client tools by version, and running them with the password in their
 * environment only. pg_dump refuses a server newer than itself, and pg_restore an archive written
 * by a newer pg_dump, so the tool must be at least as new as both; the same major is preferred.
 */
import { spawn, spawnSync, SpawnOptions } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fail } from '../utils/errors';
import { isExecutable, pathDirs } from '../utils/executables';
import { ConnectionSettings, libpqEnv, maskSecrets } from './settings';

export type ToolName = 'pg_dump' | 'pg_restore' | 'psql';

export interface ToolInstall {
  path: string;
  /** 15 for 15.18; 9.6 for 9.6.24. */
  major: number;
  version: string;
}

/** Where installations are usually found, besides PATH and pg_config. */
export const SEARCH_PATTERNS = [
  '/usr/lib/postgresql/*/bin',
  '/usr/pgsql-*/bin',
  '/opt/homebrew/opt/postgresql@*/bin',
  '/usr/local/opt/postgresql@*/bin',
  '/Applications/Postgres.app/Contents/Versions/*/bin',
];

export interface SearchOptions {
  /** --pgBinDir: when given, the only place looked at. */
  pgBinDir?: string;
  env: NodeJS.ProcessEnv;
  patterns?: string[];
}

function expand(pattern: string): string[] {
  const star = pattern.indexOf('*');
  if (star < 0) return [pattern];
  const parent = pattern.slice(0, pattern.lastIndexOf('/', star));
  const head = pattern.slice(parent.length + 1, star);
  const rest = pattern.slice(pattern.indexOf('/', star));
  const tail = pattern.slice(star + 1, pattern.indexOf('/', star));
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.startsWith(head) && e.endsWith(tail))
    .map((e) => `${parent}/${e}${rest}`);
}

export function parseToolVersion(output: string): { major: number; version: string } | null {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(output);
  if (!m) return null;
  const first = Number(m[1]);
  const major = first >= 10 ? first : Number(`${first}.${m[2] ?? 0}`);
  return { major, version: [m[1], m[2], m[3]].filter((x) => x !== undefined).join('.') };
}

/**
 * What `<program> <args>` printed, remembered per user for as long as the program's file is the same
 * (path, inode, size and time): asking pg_dump its version costs a process on every run otherwise.
 */
function cachedOutput(path: string, args: string[]): string | undefined {
  let key: string;
  try {
    const st = statSync(path);
    key = `${path}\0${args.join(' ')}\0${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  const file = join(base, 'acme-pg', 'tool-versions.json');
  let cache: Record<string, string> = {};
  try {
    cache = JSON.parse(readFileSync(file, 'utf-8'));
  } catch {
    // no cache yet, or an unreadable one: start again
  }
  if (typeof cache[key] === 'string') return cache[key];
  const r = spawnSync(path, args, { encoding: 'utf-8', timeout: 5000 });
  if (r.status !== 0) return undefined;
  try {
    mkdirSync(join(base, 'acme-pg'), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    // The newest 200 entries: programs come and go (test folders, upgrades).
    const kept = Object.entries({ ...cache, [key]: r.stdout }).slice(-200);
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(kept)), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // a read-only home: just no cache
  }
  return r.stdout;
}

/** Folders to look in, in order, without duplicates; pg_config's folder comes last (it costs a process). */
export function searchDirs(o: SearchOptions, withPgConfig = true): string[] {
  if (o.pgBinDir) return [o.pgBinDir];
  const dirs = pathDirs(o.env);
  for (const p of o.patterns ?? SEARCH_PATTERNS) dirs.push(...expand(p));
  if (withPgConfig) {
    const pgConfig = dirs.map((d) => join(d, 'pg_config')).find(isExecutable);
    if (pgConfig) {
      const out = cachedOutput(pgConfig, ['--bindir'])?.trim();
      if (out) dirs.push(out);
    }
  }
  return [...new Set(dirs)];
}

function probe(path: string): ToolInstall | undefined {
  if (!isExecutable(path)) return undefined;
  // Debian's /usr/bin wrappers pick a version per connection; the versioned folders are exact.
  if (realpathSync(path).endsWith('/pg_wrapper')) return undefined;
  const out = cachedOutput(path, ['--version']);
  const v = out !== undefined ? parseToolVersion(out) : null;
  return v ? { path, ...v } : undefined;
}

/** Every installation of `tool` found, with its version; stops early at one of major `stopAt`. */
export function findInstalls(tool: ToolName, o: SearchOptions, stopAt?: number): ToolInstall[] {
  const seen = new Set<string>();
  const found: ToolInstall[] = [];
  const visit = (dirs: string[]) => {
    for (const dir of dirs) {
      const install = probe(join(dir, tool));
      if (!install) continue;
      const key = `${install.version}:${statSync(install.path).ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      found.push(install);
      if (install.major === stopAt) return true;
    }
    return false;
  };
  if (visit(searchDirs(o, false))) return found;
  visit(searchDirs(o, true).filter((d) => !searchDirs(o, false).includes(d)));
  return found;
}

export interface ToolNeed {
  minMajor: number;
  why: string;
  /** Another way on, for the refusal (e.g. 'add --noBackup to go on without a safety backup'). */
  orElse?: string;
  /** How the refusal ends (default: 'Nothing was written.'). */
  outcome?: string;
}

/** The installation to use: the same major as `minMajor` if there is one, else the closest newer. */
export function chooseTool(
  tool: ToolName,
  installs: ToolInstall[],
  need: ToolNeed,
  o: Pick<SearchOptions, 'pgBinDir'>,
): ToolInstall {
  const fit = installs
    .filter((i) => i.major >= need.minMajor)
    .sort((a, b) => a.major - b.major || 0);
  const same = fit.find((i) => i.major === need.minMajor);
  if (same ?? fit[0]) return (same ?? fit[0])!;
  const where = o.pgBinDir ? `in --pgBinDir ${o.pgBinDir}` : 'on this machine';
  const seen = installs.length
    ? `the ${tool} found ${where}: ${installs.map((i) => `${i.version} (${i.path})`).join(', ')}`
    : `no ${tool} was found ${where}`;
  const m = need.minMajor;
  const ways = need.orElse
    ? `Install PostgreSQL ${m}'s client tools (${installHint(m)}), point --pgBinDir at their bin folder, or ${need.orElse}`
    : `Install PostgreSQL ${m}'s client tools (${installHint(m)}) or point --pgBinDir at their bin folder`;
  fail(
    `${tool} ${m} or newer is needed (${need.why}), but ${seen}. ${ways}. ${need.outcome ?? 'Nothing was written.'}`,
  );
}

/**
 * How to install a major's client tools. A distribution carries one major (Debian 12: 15), so
 * another comes from PostgreSQL's own apt repository, which `apt install` alone does not know.
 */
function installHint(major: number): string {
  return `Debian/Ubuntu: apt install postgresql-client-${major}, after adding PostgreSQL's apt repository (apt.postgresql.org, see https://wiki.postgresql.org/wiki/Apt) when apt cannot find it; macOS: brew install postgresql@${major}`;
}

function checkBinDir(o: SearchOptions): void {
  if (o.pgBinDir && !existsSync(o.pgBinDir))
    fail(
      `--pgBinDir ${o.pgBinDir} does not exist; give the bin folder of a PostgreSQL installation.`,
    );
}

export function findTool(tool: ToolName, need: ToolNeed, o: SearchOptions): ToolInstall {
  checkBinDir(o);
  return chooseTool(tool, findInstalls(tool, o, need.minMajor), need, o);
}

/** Every installation of `tool` (for a choice made later). */
export function findTools(tool: ToolName, o: SearchOptions): ToolInstall[] {
  checkBinDir(o);
  return findInstalls(tool, o);
}

export interface ToolRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The tool's stderr, with any secret masked. */
  stderr: string;
  stdout: string;
  /** Reading `input` failed (a cut gzip stream, say); the tool was stopped. */
  inputError?: Error;
}

export interface RunOptions {
  args: string[];
  settings: ConnectionSettings;
  /** Connect to this database instead of the settings' one. */
  database?: string;
  env?: NodeJS.ProcessEnv;
  /** Data for the tool's stdin (a stream is piped; a string is written). */
  input?: NodeJS.ReadableStream;
  stdio?: SpawnOptions['stdio'];
  /** Keep stdout (psql's output); otherwise it is discarded. */
  captureStdout?: boolean;
  /** Called with the child once it runs, so a caller can stop it on Ctrl-C. */
  onSpawn?: (kill: () => void) => void;
  /** Pipes the tool's stdout into this stream (left open: the caller ends it) instead of reading it. */
  stdoutTo?: NodeJS.WritableStream;
  /** Files the tool creates are for the owner only (backups). */
  privateFiles?: boolean;
  /** In its own process group, so a Ctrl-C at the terminal does not reach it. */
  detached?: boolean;
}

export function runTool(install: ToolInstall, o: RunOptions): Promise<ToolRun> {
  const env = libpqEnv(o.settings, o.env ?? process.env, o.database);
  const old = o.privateFiles ? process.umask(0o077) : undefined;
  let child;
  try {
    child = spawn(install.path, o.args, {
      env,
      stdio: o.stdio ?? [o.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: o.detached,
    });
  } finally {
    if (old !== undefined) process.umask(old);
  }
  const proc = child;
  o.onSpawn?.(() => proc.kill('SIGTERM'));
  // Out of Ctrl-C's reach, but not left running alone if this process exits anyway.
  const orphaned = () => proc.kill('SIGTERM');
  if (o.detached) process.once('exit', orphaned);
  let stderr = '';
  let stdout = '';
  proc.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 1_000_000) stderr += d.toString();
  });
  if (o.stdoutTo && proc.stdout) proc.stdout.pipe(o.stdoutTo, { end: false });
  else
    proc.stdout?.on('data', (d: Buffer) => {
      if (o.captureStdout && stdout.length < 10_000_000) stdout += d.toString();
    });
  let inputError: Error | undefined;
  if (o.input && proc.stdin) {
    o.input.on('error', (e: Error) => {
      // The tool must not take a cut input for a complete one: stop it before it commits.
      inputError ??= e;
      proc.kill('SIGKILL');
    });
    o.input.pipe(proc.stdin);
    proc.stdin.on('error', () => undefined);
  }
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', (code, signal) => {
      process.removeListener('exit', orphaned);
      resolve({
        code,
        signal,
        stderr: maskSecrets(stderr, o.settings),
        stdout: maskSecrets(stdout, o.settings),
        inputError,
      });
    });
  });
}

/**
 * psql for SQL against a server: its major or newer when installed, else 15 or newer (plain SQL
 * runs the same across majors; 15 is Debian 12's, and the oldest with every meta-command our
 * scripts use), with a note. pg_dump keeps its strict rule.
 */
export function findPsql(
  server: { major: number; version: string },
  o: SearchOptions,
  note: (message: string) => void,
  outcome?: string,
): ToolInstall {
  const why = `the server runs PostgreSQL ${server.version}`;
  const wanted = Math.max(15, server.major);
  try {
    return findTool('psql', { minMajor: wanted, why, outcome }, o);
  } catch (e) {
    if (wanted === 15) throw e;
  }
  const psql = findTool('psql', { minMajor: 15, why, outcome }, o);
  note(
    `Note: psql ${psql.version} runs SQL against PostgreSQL ${server.major} (plain SQL runs the same across majors). db-backup needs pg_dump ${server.major} or newer: ${installHint(server.major)}.`,
  );
  return psql;
}
