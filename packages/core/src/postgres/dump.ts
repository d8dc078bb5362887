/**
 * Runs pg_dump into a private folder reserved for this run alone (`.<name>.partial/`, made with an
 * exclusive mkdir), and moves the result to its final name only when pg_dump succeeded, without ever
 * replacing a file that is there: so parallel backups never share a file, and a failed or interrupted
 * backup never leaves one that looks finished.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fail, PgPluginError } from '../utils/errors';
import { dumpedFrom } from './backup-inspect';
import {
  BackupFormat,
  BackupKind,
  backupName,
  encodeDatabase,
  shownPath,
  sizeOf,
} from './backup-files';
import { takeSignals } from './interrupt';
import { ConnectionSettings } from './settings';
import { runTool, ToolInstall } from './tools';

export interface DumpRequest {
  install: ToolInstall;
  settings: ConnectionSettings;
  database?: string;
  format: BackupFormat;
  compress: boolean;
  jobs?: number;
  schemaOnly?: boolean;
  dataOnly?: boolean;
  noOwner?: boolean;
  dir: string;
  /** The workspace root, for paths in messages. */
  root?: string;
  /** The server's version for the name; read from the dump's header when not known. */
  serverVersion?: string;
  /** The database the name is for (default: the one dumped). */
  nameFor?: string;
  /** Ctrl-C does not stop it (a safety backup that is the only way back). */
  uninterruptible?: boolean;
  /** Called every half second while writing, with the bytes so far. */
  onProgress?: (bytes: number, seconds: number) => void;
}

export interface DumpResult {
  path: string;
  name: string;
  bytes: number;
  seconds: number;
}

export function dumpArgs(r: DumpRequest, target: string): string[] {
  const args = [`--format=${r.format[0]}`, `--file=${target}`, '--no-password'];
  if (r.format === 'plain' && r.compress) args.push('--compress=6');
  if (r.format === 'directory' && r.jobs && r.jobs > 1) args.push(`--jobs=${r.jobs}`);
  if (r.schemaOnly) args.push('--schema-only');
  if (r.dataOnly) args.push('--data-only');
  if (r.noOwner) args.push('--no-owner', '--no-privileges');
  return args;
}

export function kindOf(r: Pick<DumpRequest, 'schemaOnly' | 'dataOnly'>): BackupKind {
  return r.schemaOnly ? 'schema' : r.dataOnly ? 'data' : 'full';
}

/** pg_dump ran and failed (as opposed to a check of ours). */
export class DumpFailed extends PgPluginError {}

/** Makes the folder (0700 when it is new); returns the folders it made, deepest first. */
export function ensurePrivateDir(dir: string, root?: string): string[] {
  const shown = (p: string) => (root ? shownPath(root, p) : p);
  const made: string[] = [];
  let d = dir;
  for (; !existsSync(d); d = dirname(d)) made.push(d);
  // The nearest thing that exists must be a folder: a file there (polytope.yml) cannot hold one.
  if (!statSync(d).isDirectory())
    fail(`${shown(d)} is a file, not a folder; choose another --outputDir.`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'the file system is read-only'
          : code;
    fail(`Cannot create the backup folder ${shown(dir)} (${why}); choose another --outputDir.`);
  }
  return made;
}

/** Removes folders made for a backup that was not written, if still empty (another run may use them). */
function removeIfEmpty(dirs: string[]): void {
  for (const d of dirs) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

function makePrivate(path: string): void {
  const st = statSync(path);
  chmodSync(path, st.isDirectory() ? 0o700 : 0o600);
  if (st.isDirectory()) for (const f of readdirSync(path)) makePrivate(join(path, f));
}

/**
 * A fresh id and its partial folder, created exclusively: no other run can hold the same one, and
 * the final name (which ends with the id) is free when it is reserved.
 */
export function reserveId(
  dir: string,
  prefix: string,
  finalName: (id: string) => string | undefined,
): { id: string; partial: string } {
  for (let i = 0; i < 100; i++) {
    const id = randomBytes(4).toString('hex');
    const partial = join(dir, `.${prefix}-${id}.partial`);
    try {
      mkdirSync(partial, { mode: 0o700 });
      writeFileSync(join(partial, OWNER_FILE), JSON.stringify(ownerOf(process.pid)));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      fail(`Cannot write in the backup folder ${dir}: ${code}.`);
    }
    const name = finalName(id);
    if (name === undefined || !existsSync(join(dir, name))) return { id, partial };
    rmSync(partial, { recursive: true, force: true });
  }
  fail(`Could not find a free backup name in ${dir}.`);
}

const OWNER_FILE = 'owner.json';

interface Owner {
  host: string;
  pid: number;
  /** The process's start time (Linux: clock ticks since boot), so a reused pid is not taken for it. */
  start?: string;
}

function startOf(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat, counted after the command name (which may hold spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf-8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function ownerOf(pid: number): Owner {
  return { host: hostname(), pid, start: startOf(pid) };
}

function isRunning(o: Owner): boolean {
  try {
    process.kill(o.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  return o.start === undefined || startOf(o.pid) === undefined || startOf(o.pid) === o.start;
}

/**
 * Removes the partial folders of runs that are gone (killed with -9, a machine that crashed): those
 * whose recorded owner, on this machine, no longer runs. A partial of a running backup, of another
 * machine, or without an owner record is left alone. Returns the folders removed.
 */
export function removeAbandonedPartials(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith('.') || !name.endsWith('.partial')) continue;
    const partial = join(dir, name);
    let owner: Owner;
    try {
      owner = JSON.parse(readFileSync(join(partial, OWNER_FILE), 'utf-8'));
    } catch {
      continue;
    }
    if (typeof owner.pid !== 'number' || owner.host !== hostname() || isRunning(owner)) continue;
    rmSync(partial, { recursive: true, force: true });
    removed.push(partial);
  }
  return removed;
}

/** The one line that says which abandoned partial folders were removed, or undefined. */
export function abandonedNote(removed: string[], root: string): string | undefined {
  if (removed.length === 0) return undefined;
  const shown = removed.map((p) => relative(root, p) || p).join(', ');
  return removed.length === 1
    ? `Removed ${shown}, the unfinished backup of a run that is gone (killed or crashed).`
    : `Removed ${removed.length} unfinished backups of runs that are gone (killed or crashed): ${shown}.`;
}

/** Moves `from` to `to`, failing rather than replacing anything at `to`. */
export function moveNoReplace(from: string, to: string): void {
  if (!statSync(from).isDirectory()) {
    try {
      // link(2) fails with EEXIST instead of replacing: the atomic no-replace rename for files.
      linkSync(from, to);
      rmSync(from);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST')
        fail(`${to} appeared while the backup was written; it was left alone.`);
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV'].includes(code ?? '')) throw e;
      // A file system without hard links: check, then rename.
    }
  }
  if (existsSync(to)) fail(`${to} appeared while the backup was written; it was left alone.`);
  renameSync(from, to);
}

export async function dumpDatabase(r: DumpRequest): Promise<DumpResult> {
  const made = ensurePrivateDir(r.dir, r.root);
  const database = r.nameFor ?? r.database ?? r.settings.database;
  const time = new Date();
  const nameWith = (id: string, serverVersion: string) =>
    backupName({
      database,
      kind: kindOf(r),
      format: r.format,
      compress: r.compress,
      serverVersion,
      time,
      id,
    });
  const { id, partial } = reserveId(r.dir, encodeDatabase(database), (i) =>
    r.serverVersion ? nameWith(i, r.serverVersion) : undefined,
  );
  const tmp = join(partial, `dump.${r.format === 'plain' ? 'sql' : r.format}`);
  const started = Date.now();
  let kill: (() => void) | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = sig;
    kill?.();
  };
  // Under a host that exits on Ctrl-C (Nx's task process), the partial folder would stay behind.
  const restoreSignals = r.uninterruptible ? undefined : takeSignals(onSignal);
  const ticker = r.onProgress
    ? setInterval(() => r.onProgress!(sizeOf(tmp), (Date.now() - started) / 1000), 500)
    : undefined;
  let written = false;
  try {
    const run = await runTool(r.install, {
      args: dumpArgs(r, tmp),
      settings: r.settings,
      database: r.database,
      privateFiles: true,
      detached: r.uninterruptible,
      onSpawn: (k) => (kill = k),
    });
    if (interrupted) fail(`Backup interrupted (${interrupted}); no backup was written.`);
    if (run.code !== 0) {
      const detail = run.stderr.trim().split('\n').slice(0, 5).join(' | ');
      throw new DumpFailed(
        `pg_dump failed (exit ${run.code ?? run.signal}): ${detail || 'no message'}. No backup was written.`,
      );
    }
    makePrivate(tmp);
    const name = nameWith(id, r.serverVersion ?? dumpedFrom(tmp) ?? 'unknown');
    const finalPath = join(r.dir, name);
    moveNoReplace(tmp, finalPath);
    written = true;
    return {
      path: finalPath,
      name,
      bytes: sizeOf(finalPath),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    if (ticker) clearInterval(ticker);
    restoreSignals?.();
    rmSync(partial, { recursive: true, force: true });
    if (!written) removeIfEmpty(made);
  }
}
