/**
 * Where a `{ type: host, path }` mount source points. Per the Polytope docs, `./x` is relative to the
 * folder `pt run` works in (the stack's root polytope.yml), and `x` to the file that names it; real
 * included files use `./…` for that reason.
 */
import { posix } from 'node:path';

/** The workspace paths a mount path may mean, the documented one first. */
export function mountPathCandidates(written: string, file: string, root: string): string[] {
  const fromRoot = posix.join(posix.dirname(root), written);
  const fromFile = posix.join(posix.dirname(file), written);
  return [...new Set(written.startsWith('./') ? [fromRoot, fromFile] : [fromFile, fromRoot])];
}

/** How `file` names `target`: plain relative in the root file, `./`-relative to the root elsewhere. */
export function mountPathFor(target: string, file: string, root: string): string {
  if (file === root) return posix.relative(posix.dirname(root), target);
  return `./${posix.relative(posix.dirname(root), target)}`;
}
