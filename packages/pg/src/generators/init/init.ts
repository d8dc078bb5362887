import { formatFiles, logger, Tree } from '@nx/devkit';
import { registerPlugin, registerSyncGenerator } from '../../workspace/registration';
import { InitGeneratorSchema } from './schema';

export async function initGenerator(tree: Tree, schema: InitGeneratorSchema = {}): Promise<void> {
  const added = registerPlugin(tree);
  registerSyncGenerator(tree);
  if (!schema.skipFormat) await formatFiles(tree);
  logger.info(
    added
      ? '@acme/pg is registered in nx.json: projects with an acme-pg.json get their db-* targets. Next: nx g @acme/pg:module'
      : '@acme/pg is registered in nx.json already.',
  );
}

export default initGenerator;
