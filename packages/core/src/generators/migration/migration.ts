import { logger } from '../../utils/logger';
import { getProjects, joinPathFragments, Tree } from '../../tree/tree-api';
import {
  MIGRATIONS_DIR,
  migrationTemplate,
  newMigrationName,
} from '../../migrations/migration-files';
import { tense } from '../../utils/dry-run';
import { chooseDatabase } from '../../workspace/markers';
import { MigrationGeneratorSchema } from './schema';
import { targetCommand } from '../../utils/commands';

/** The files in a folder of the Tree (none when it does not exist yet). */
export function filesIn(tree: Tree, dir: string): string[] {
  return tree.exists(dir)
    ? tree.children(dir).filter((n) => tree.isFile(joinPathFragments(dir, n)))
    : [];
}

export function projectOf(tree: Tree, root: string, fallback: string): string {
  return [...getProjects(tree)].find(([, c]) => c.root === root)?.[0] ?? fallback;
}

export async function migrationGenerator(
  tree: Tree,
  schema: MigrationGeneratorSchema,
): Promise<void> {
  const db = chooseDatabase(tree, schema.module);
  const dir = joinPathFragments(db.root, MIGRATIONS_DIR);
  const file = newMigrationName(filesIn(tree, dir), schema.name);
  const path = joinPathFragments(dir, file);
  tree.write(path, migrationTemplate(schema.name));
  const project = projectOf(tree, db.root, db.module);
  logger.info(
    `${tense('Added migration', 'Would add migration')} ${path}: write its -- migrate:up and -- migrate:down sections.`,
  );
  logger.info(
    `Apply it (a safety backup is taken first; --dryRun shows what would run):\n  ${targetCommand(project, 'db-migrate')}`,
  );
}

export default migrationGenerator;
