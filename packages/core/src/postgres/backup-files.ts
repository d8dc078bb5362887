/**
 * Names and places of backups. A name says everything needed to choose a backup without opening it:
 *
 *   <database>-<UTC time>-<kind>-pg<server version>-<random id>.<ext>
 *   shop-20261126T183000.123Z-full-pg15.18-3fa9c2d1.dump
 *
 * The database part is percent-encoded (every byte outside [A-Za-z0-9_.-], '%' itself, and a leading
 * '.'), so distinct database names always give distinct prefixes (日本 and 中国, `app db` and
 * `app_db`), and the name parses back to the database from the right. Safety backups (taken before a
 * restore replaces a database) live apart in `safety/`, are never chosen as the newest and never
 * pruned. A backup being written lives in a hidden `.<name>.partial` folder.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';

export const FORMATS = ['plain', 'custom', 'directory'] as const;
export type BackupFormat = (typeof FORMATS)[number];
export const KINDS = ['full', 'schema', 'data'] as const;
export type BackupKind = (typeof KINDS)[number];
export const SAFETY_DIR = 'safety';

export function extensionOf(format: BackupFormat, compress: boolean): string {
  if (format === 'custom') return 'dump';
  if (format === 'directory') return 'dir';
  return compress ? 'sql.gz' : 'sql';
}

/** 2026-11-26T18:30:00.123Z → 20261126T183000.123Z: sorts as it reads, and is valid in file names. */
export function timestamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '');
}

function fromTimestamp(stamp: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z$/.exec(stamp)!;
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
}

/** A database name as a file-name part: injective, reversible, and readable for plain names. */
export function encodeDatabase(database: string): string {
  let out = '';
  for (const byte of Buffer.from(database, 'utf-8')) {
    const ch = String.fromCharCode(byte);
    const keep = /[A-Za-z0-9_.-]/.test(ch) && !(ch === '.' && out === '');
    out += keep ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeDatabase(encoded: string): string | undefined {
  if (!/^(?:[A-Za-z0-9_.-]|%[0-9A-F]{2})+$/.test(encoded) || encoded.startsWith('.'))
    return undefined;
  try {
    const s = decodeURIComponent(encoded);
    return encodeDatabase(s) === encoded ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Server version for a name: 15.18 from "15.18 (Debian 15.18-1.pgdg120+1)". */
export function versionTag(version: string): string {
  return /^[0-9][0-9A-Za-z.]*/.exec(version)?.[0].replace(/\.+$/, '') || 'unknown';
}

export interface BackupMeta {
  database: string;
  kind: BackupKind;
  format: BackupFormat;
  /** gzip (plain only). */
  compress: boolean;
  serverVersion: string;
  time: Date;
  id: string;
}

export interface BackupEntry extends BackupMeta {
  name: string;
  path: string;
  /** The sortable time part of the name. */
  stamp: string;
}

export function backupName(m: BackupMeta): string {
  return `${encodeDatabase(m.database)}-${timestamp(m.time)}-${m.kind}-pg${versionTag(m.serverVersion)}-${m.id}.${extensionOf(m.format, m.compress)}`;
}

const NAME =
  /^(.+)-(\d{8}T\d{6}\.\d{3}Z)-(full|schema|data)-pg([0-9][0-9A-Za-z.]*)-([0-9a-f]{8})\.(sql|sql\.gz|dump|dir)$/;

/** What a backup's name says, or undefined for a file that is not one of ours. */
export function parseBackupName(name: string): Omit<BackupEntry, 'path'> | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const database = decodeDatabase(m[1]);
  if (database === undefined) return undefined;
  const ext = m[6];
  return {
    name,
    database,
    stamp: m[2],
    time: fromTimestamp(m[2]),
    kind: m[3] as BackupKind,
    serverVersion: m[4],
    id: m[5],
    format: ext === 'dump' ? 'custom' : ext === 'dir' ? 'directory' : 'plain',
    compress: ext === 'sql.gz',
  };
}

/** The backups of `database` among `names`, newest first (of the given kinds; all by default). */
export function selectBackups(
  names: string[],
  database: string,
  kinds: readonly BackupKind[] = KINDS,
): Omit<BackupEntry, 'path'>[] {
  return names
    .map(parseBackupName)
    .filter(
      (e): e is Omit<BackupEntry, 'path'> =>
        e !== undefined && e.database === database && kinds.includes(e.kind),
    )
    .sort((a, b) => b.stamp.localeCompare(a.stamp) || b.id.localeCompare(a.id));
}

function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Finished backups of `database` in `dir`, newest first. */
export function listBackups(
  dir: string,
  database: string,
  kinds: readonly BackupKind[] = KINDS,
): BackupEntry[] {
  return selectBackups(namesIn(dir), database, kinds).map((e) => ({
    ...e,
    path: join(dir, e.name),
  }));
}

/** The newest full backup of `database`: what a restore without --file uses. */
export function newestBackup(dir: string, database: string): BackupEntry | undefined {
  return listBackups(dir, database, ['full'])[0];
}

/**
 * Which backups --keep N deletes: of the same database and kind as the one just written, all but
 * the newest N, counting the one just written first whatever its time (a stray file dated in the
 * future must not push it out).
 */
export function backupsToPrune(
  names: string[],
  written: string,
  keep: number,
): Omit<BackupEntry, 'path'>[] {
  const mine = parseBackupName(written);
  if (!mine) return [];
  const others = selectBackups(names, mine.database, [mine.kind]).filter((e) => e.name !== written);
  return others.slice(Math.max(0, keep - 1));
}

/**
 * Deletes what backupsToPrune names (a backup dated after the one just written, by a wrong clock or
 * a copy, included: it never pushes out the new one); returns the deleted paths, those dated later
 * apart, for a message that does not call them older.
 */
export function pruneBackups(
  dir: string,
  written: string,
  keep: number,
): { older: string[]; later: string[] } {
  const after = parseBackupName(written)?.time.getTime() ?? Infinity;
  const gone = backupsToPrune(namesIn(dir), written, keep);
  for (const b of gone) rmSync(join(dir, b.name), { recursive: true, force: true });
  const paths = (later: boolean) =>
    gone.filter((b) => b.time.getTime() > after === later).map((b) => join(dir, b.name));
  return { older: paths(false), later: paths(true) };
}

/** A path as messages show it: relative to the workspace root when inside it, else absolute. */
export function shownPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Bytes in a file, or in every file of a folder. */
export function sizeOf(path: string): number {
  try {
    const st = statSync(path);
    if (!st.isDirectory()) return st.size;
    return readdirSync(path).reduce((n, f) => n + sizeOf(join(path, f)), 0);
  } catch {
    return 0;
  }
}

/** The backup folder (default backups/<module id>), and how to show it: relative inside the workspace. */
export function outputDirOf(
  o: { outputDir?: string },
  moduleId: string,
  root: string,
): { dir: string; shown: string } {
  const dir = resolve(root, o.outputDir ?? join('backups', moduleId));
  return { dir, shown: shownPath(root, dir) };
}

/**
 * A database name derived from `base` (a staging or replaced copy) that fits PostgreSQL's 63 bytes
 * whatever `base` holds: `base` is cut on a character boundary so that the suffix always survives.
 */
export function derivedDatabaseName(base: string, suffix: string): string {
  const room = 63 - Buffer.byteLength(suffix, 'utf-8');
  let prefix = '';
  for (const ch of base) {
    if (Buffer.byteLength(prefix + ch, 'utf-8') > room) break;
    prefix += ch;
  }
  return prefix + suffix;
}
