import { Tree } from '../../tree/tree-api';
import { updateBundle } from '../../init-scripts/folder';
import { findDatabaseProjects } from '../../workspace/markers';

/**
 * Sync generator: rebuilds each database's init bundle from its folder of scripts. Registered in
 * nx.json (`sync.globalGenerators`), so `nx sync:check` fails while a bundle is stale.
 */
export async function initBundleSyncGenerator(tree: Tree): Promise<{ outOfSyncMessage?: string }> {
  const stale = findDatabaseProjects(tree)
    .filter((db) => tree.exists(db.root) && updateBundle(tree, db.root))
    .map((db) => db.root);
  if (stale.length === 0) return {};
  return {
    outOfSyncMessage: `The init bundle of ${stale.join(', ')} does not match its .sql scripts. Run \`nx sync\` to rebuild it.`,
  };
}

export default initBundleSyncGenerator;
