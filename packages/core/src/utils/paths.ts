import { normalizePath } from '../tree/tree-api';
import { isAbsolute, posix, relative } from 'node:path';
import { fail } from './errors';

/**
 * A path given by the user, as a normalised path relative to the workspace root. Absolute paths
 * inside the workspace are accepted; anything that leaves it is an error.
 */
export function workspacePath(root: string, given: string, option: string): string {
  if (/[\0\n\r]/.test(given) || given.trim() === '')
    fail(`--${option} must be a path without control characters.`);
  const rel = isAbsolute(given) ? relative(root, given) : given;
  const norm = posix.normalize(normalizePath(rel)).replace(/\/$/, '');
  if (norm === '..' || norm.startsWith('../') || isAbsolute(norm)) {
    fail(`--${option} '${given}' is outside the workspace (${root}); give a path inside it.`);
  }
  return norm === '.' ? '' : norm;
}
