/**
 * Which PostgreSQL module a generator is for when --module is not given and the workspace has
 * several: the only one of `preferred` (what an app's marker records, read only then), else a choice on a
 * terminal; undefined leaves chooseDatabase to say that --module is needed.
 */
import { Tree } from '../tree/tree-api';
import { askChoice, canAsk } from '../utils/prompt';
import { DatabaseProjectRef, findDatabaseProjects } from '../workspace/markers';

export async function moduleToUse(
  tree: Tree,
  preferred: () => readonly string[] = () => [],
): Promise<string | undefined> {
  const dbs = findDatabaseProjects(tree).sort((a, b) => a.module.localeCompare(b.module));
  if (dbs.length < 2) return undefined;
  const recorded = preferred().filter((m) => dbs.some((d) => d.module === m));
  if (recorded.length === 1) return recorded[0];
  if (!canAsk()) return undefined;
  const first = (d: DatabaseProjectRef) => (recorded.includes(d.module) ? 0 : 1);
  return askChoice(
    'Which PostgreSQL module is it for?',
    [...dbs]
      .sort((a, b) => first(a) - first(b))
      .map((d) => ({
        value: d.module,
        hint: `${first(d) ? '' : 'connected already; '}in ${d.polytopeFile}, init scripts in ${d.root}`,
      })),
  );
}
