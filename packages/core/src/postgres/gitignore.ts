/**
 * Keeps backup folders, db-up's data, credential files and machine-local state out of git: they must never be
 * committed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';

/** Adds `/<path>/` (`/<path>` for a file) to the workspace's .gitignore unless a line already covers it. Returns true when added. */
export function ignoreInGit(
  root: string,
  dir: string,
  kind: 'folder' | 'data' | 'file' | 'local' = 'folder',
): boolean {
  const rel = relative(root, dir).split('\\').join('/');
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return false;
  const path = join(root, '.gitignore');
  const text = existsSync(path) ? readFileSync(path, 'utf-8') : '';
  const parts = rel.split('/');
  const covering = new Set(parts.map((_, i) => parts.slice(0, i + 1).join('/')));
  const covered = text
    .split(/\r?\n/)
    .map((l) =>
      l
        .trim()
        .replace(/^\//, '')
        .replace(/\/(\*\*?)?$/, ''),
    )
    .some((l) => covering.has(l));
  if (covered) return false;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const sep = text === '' || text.endsWith('\n') ? '' : eol;
  const what = {
    folder: 'database backups',
    data: "the local PostgreSQL server's data (db-up)",
    file: 'database credentials',
    local: "this machine's database state",
  }[kind];
  const line = kind === 'folder' || kind === 'data' ? `/${rel}/` : `/${rel}`;
  writeFileSync(path, `${text}${sep}# ${what} (@acme/pg): never commit them${eol}${line}${eol}`);
  return true;
}
