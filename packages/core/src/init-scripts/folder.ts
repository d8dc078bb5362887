/** The init-script folder of a database project, read and written through the Tree. */
import { joinPathFragments, Tree } from '../tree/tree-api';
import { posix } from 'node:path';
import { fail } from '../utils/errors';
import { buildBundle, BUNDLE_FILE, isSchemaDump, scriptNames } from './bundle';

export function bundlePathOf(folder: string): string {
  return joinPathFragments(folder, BUNDLE_FILE);
}

/** The folder's init scripts: its .sql files but the bundle and a schema dump of db-migrate's. */
export function listScripts(tree: Tree, folder: string): string[] {
  return scriptNames(
    tree.children(folder).filter((name) => tree.isFile(joinPathFragments(folder, name))),
  ).filter((name) => {
    const raw = tree.read(joinPathFragments(folder, name));
    return raw === null || !isSchemaDump(raw);
  });
}

export function renderBundle(tree: Tree, folder: string): string {
  const scripts = listScripts(tree, folder).map((name) => {
    const path = joinPathFragments(folder, name);
    const raw = tree.read(path);
    if (raw === null) fail(`Cannot read init script ${path}.`);
    if (raw.includes(0)) fail(`${path} is not a text file; init scripts are SQL text.`);
    return { name, content: utf8(path, raw) };
  });
  return buildBundle(folder, scripts);
}

/** Rewrites the bundle when it is stale; returns whether it changed. */
export function updateBundle(tree: Tree, folder: string): boolean {
  const path = bundlePathOf(folder);
  const next = renderBundle(tree, folder);
  if (tree.read(path, 'utf-8') === next) return false;
  tree.write(path, next);
  return true;
}

/** The next script's file name: numbered one past the highest, so byte order stays run order. */
export function nextScriptName(tree: Tree, folder: string, name: string): string {
  const numbers = listScripts(tree, folder)
    .map((f) => /^(\d+)-/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null);
  const width = Math.max(3, ...numbers.map((m) => m[1].length));
  const next = Math.max(0, ...numbers.map((m) => Number(m[1]))) + 1;
  const file = `${String(next).padStart(width, '0')}-${name}.sql`;
  if (String(next).length > width)
    fail(`${folder} has run out of ${width}-digit script numbers; renumber its scripts.`);
  return posix.join(folder, file);
}

/**
 * A script's text, which must be UTF-8: any other encoding would reach the bundle with its bytes
 * replaced (U+FFFD), and the database with other data than the script says.
 */
function utf8(path: string, raw: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    fail(
      `${path} is not UTF-8 text, and its bytes would change on their way into the init bundle. Save it as UTF-8 (for Latin-1: iconv -f latin1 -t utf-8), then run again.`,
    );
  }
}
