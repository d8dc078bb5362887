/**
 * Names and places of backups: `<database>-<UTC timestamp>.<ext>` in the output folder, safety
 * backups (taken before a restore replaces a database) apart in `safety/`, never chosen as the
 * newest and never pruned. A backup being written has a hidden `.partial` name.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';

export const FORMATS = ['plain', 'custom', 'directory'] as const;
export type BackupFormat = (typeof FORMATS)[number];
export const SAFETY_DIR = 'safety';

export function extensionOf(format: BackupFormat, compress: boolean): string {
  if (format === 'custom') return 'dump';
  if (format === 'directory') return 'dir';
  return compress ? 'sql.gz' : 'sql';
}

/** 2026-11-26T18:30:00.123Z → 20261126T183000Z: sorts as it reads, and is valid in file names. */
export function timestamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** A database name made safe for a file name (names may hold any character). */
export function fileSafe(database: string): string {
  return database.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\./, '_') || '_';
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface BackupEntry {
  name: string;
  path: string;
  stamp: string;
}

/** Finished backups of `database` in `dir`, newest first. */
export function listBackups(dir: string, database: string): BackupEntry[] {
  const pattern = new RegExp(
    `^${escapeRegExp(fileSafe(database))}-(\\d{8}T\\d{6}Z)(?:-(\\d+))?\\.(sql|sql\\.gz|dump|dir)$`,
  );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, m: pattern.exec(name) }))
    .filter((e): e is { name: string; m: RegExpExecArray } => e.m !== null)
    .map(({ name, m }) => ({
      name,
      path: join(dir, name),
      stamp: `${m[1]}-${(m[2] ?? '0').padStart(4, '0')}`,
    }))
    .sort((a, b) => b.stamp.localeCompare(a.stamp));
}

/** A name for a new backup that no file has yet. */
export function newBackupName(
  dir: string,
  database: string,
  format: BackupFormat,
  compress: boolean,
  now = new Date(),
): string {
  const base = `${fileSafe(database)}-${timestamp(now)}`;
  const ext = extensionOf(format, compress);
  const taken = new Set(
    (() => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    })(),
  );
  for (let i = 1; ; i++) {
    const name = i === 1 ? `${base}.${ext}` : `${base}-${i}.${ext}`;
    if (!taken.has(name) && !taken.has(partialName(name))) return name;
  }
}

export function partialName(name: string): string {
  return `.${name}.partial`;
}

/** Deletes all but the newest `keep` regular backups of `database`; returns what it deleted. */
export function pruneBackups(dir: string, database: string, keep: number): string[] {
  const old = listBackups(dir, database).slice(keep);
  for (const b of old) rmSync(b.path, { recursive: true, force: true });
  return old.map((b) => b.path);
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
  const rel = relative(root, dir);
  return { dir, shown: rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : dir };
}
