/**
 * The init bundle as db-up finds it on disk, checked against its folder of scripts right before it
 * runs: Nx runs no global sync generator before a task, so a script added by hand would otherwise
 * be left out without a word.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, sep } from 'node:path';
import { fail } from '../utils/errors';
import { buildBundle, BUNDLE_FILE, isSchemaDump, scriptNames } from './bundle';

/**
 * Rebuilds `bundle` from the .sql files beside it when it does not match them, as `nx sync` would,
 * and says whether it did. A file not named like our bundle is the user's own and is left alone.
 */
export function refreshBundle(root: string, bundle: string): boolean {
  if (basename(bundle) !== BUNDLE_FILE) return false;
  const folder = dirname(bundle);
  if (!existsSync(folder)) return false;
  const scripts = scriptNames(readdirSync(folder))
    .map((name) => {
      const content = readFileSync(`${folder}/${name}`, 'utf-8');
      if (content.includes('\0'))
        fail(`${relative(root, folder)}/${name} is not a text file; init scripts are SQL text.`);
      return { name, content };
    })
    // db-migrate --dumpSchema's schema.sql: not an init script.
    .filter((script) => !isSchemaDump(script.content));
  const next = buildBundle(relative(root, folder).split(sep).join('/'), scripts);
  if (existsSync(bundle) && readFileSync(bundle, 'utf-8') === next) return false;
  const tmp = `${bundle}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, next);
    renameSync(tmp, bundle);
  } finally {
    rmSync(tmp, { force: true });
  }
  return true;
}
