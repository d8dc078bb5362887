import { logger } from '../../utils/logger';
import { joinPathFragments, Tree } from '../../tree/tree-api';
import { newSeedName, SEEDS_DIR, seedTemplate } from '../../migrations/migration-files';
import { tense } from '../../utils/dry-run';
import { chooseDatabase } from '../../workspace/markers';
import { filesIn, projectOf } from '../migration/migration';
import { SeedGeneratorSchema } from './schema';
import { targetCommand } from '../../utils/commands';

export async function seedGenerator(tree: Tree, schema: SeedGeneratorSchema): Promise<void> {
  const db = chooseDatabase(tree, schema.module);
  const dir = joinPathFragments(db.root, SEEDS_DIR);
  const path = joinPathFragments(dir, newSeedName(filesIn(tree, dir), schema.name));
  tree.write(path, seedTemplate(schema.name));
  const project = projectOf(tree, db.root, db.module);
  logger.info(`${tense('Added seed', 'Would add seed')} ${path}: add the rows it should insert.`);
  logger.info(`Run the seeds (all in one transaction):\n  ${targetCommand(project, 'db-seed')}`);
}

export default seedGenerator;
