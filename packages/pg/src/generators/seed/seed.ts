// The Nx generator is the one of @acme/pg-core, on Nx's Tree and Nx's view of the workspace.
import type { Tree } from '@nx/devkit';
import { seedGenerator as generate } from '@acme/pg-core/src/generators/seed/seed';
import type { SeedGeneratorSchema } from '@acme/pg-core/src/generators/seed/schema';
import { nxTree } from '../../nx-tree';

export const seedGenerator = (
  tree: Tree,
  schema: SeedGeneratorSchema,
): ReturnType<typeof generate> => generate(nxTree(tree), schema);
export default seedGenerator;
