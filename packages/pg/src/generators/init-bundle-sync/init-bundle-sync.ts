// The sync generator of @acme/pg-core, which `nx sync` runs on Nx's Tree.
import type { Tree } from '@nx/devkit';
import { initBundleSyncGenerator as generate } from '@acme/pg-core/src/generators/init-bundle-sync/init-bundle-sync';
import { nxTree } from '../../nx-tree';

export const initBundleSyncGenerator = (tree: Tree): ReturnType<typeof generate> =>
  generate(nxTree(tree));
export default initBundleSyncGenerator;
