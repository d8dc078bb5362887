// The Nx generator is the one of @acme/pg-core, on Nx's Tree and Nx's view of the workspace.
import type { Tree } from '@nx/devkit';
import { migrationGenerator as generate } from '@acme/pg-core/src/generators/migration/migration';
import type { MigrationGeneratorSchema } from '@acme/pg-core/src/generators/migration/schema';
import { nxTree } from '../../nx-tree';

export const migrationGenerator = (
  tree: Tree,
  schema: MigrationGeneratorSchema,
): ReturnType<typeof generate> => generate(nxTree(tree), schema);
export default migrationGenerator;
