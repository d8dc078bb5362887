import { Tree } from '@nx/devkit';

/** Every change the tree holds, so a failed run can be shown to have written nothing. */
export function snapshot(tree: Tree): string {
  return JSON.stringify(
    tree.listChanges().map((c) => [c.path, c.type, c.content?.toString('utf-8')]),
  );
}
