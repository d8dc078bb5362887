import { formatFiles, logger, Tree } from '@nx/devkit';
import { addMissingDatabaseProjects } from '@acme/pg-core/src/workspace/database-project';
import { nxTree } from '../../nx-tree';
import { registerPlugin, registerSyncGenerator } from '../../workspace/registration';
import { InitGeneratorSchema } from './schema';

export async function initGenerator(tree: Tree, schema: InitGeneratorSchema = {}): Promise<void> {
  const added = registerPlugin(tree);
  registerSyncGenerator(tree);
  // Database folders made by `acme-pg g module` before @acme/pg was in this workspace have no
  // project file, so Nx would not see them; each gets the project the module generator writes.
  const projects = addMissingDatabaseProjects(nxTree(tree));
  if (!schema.skipFormat) await formatFiles(tree);
  logger.info(
    added
      ? '@acme/pg is registered in nx.json: projects with an acme-pg.json get their db-* targets. Next: nx g @acme/pg:module'
      : '@acme/pg is registered in nx.json already.',
  );
  for (const p of projects)
    logger.info(
      `The database folder ${p.root} is Nx project '${p.name}' now, with its db-* targets.`,
    );
}

export default initGenerator;
