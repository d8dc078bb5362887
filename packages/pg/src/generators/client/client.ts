// The Nx generator is the one of @acme/pg-core, on Nx's Tree and Nx's view of the workspace.
import type { Tree } from '@nx/devkit';
import { clientGenerator as generate } from '@acme/pg-core/src/generators/client/client';
import type { ClientGeneratorSchema } from '@acme/pg-core/src/generators/client/schema';
import { nxTree } from '../../nx-tree';

export const clientGenerator = (
  tree: Tree,
  schema: ClientGeneratorSchema,
): ReturnType<typeof generate> => generate(nxTree(tree), schema);
export default clientGenerator;
