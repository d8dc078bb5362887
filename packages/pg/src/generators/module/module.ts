// The Nx generator is the one of @acme/pg-core, on Nx's Tree and Nx's view of the workspace.
import type { Tree } from '@nx/devkit';
import { moduleGenerator as generate } from '@acme/pg-core/src/generators/module/module';
import type { ModuleGeneratorSchema } from '@acme/pg-core/src/generators/module/schema';
import { nxTree } from '../../nx-tree';

export const moduleGenerator = (
  tree: Tree,
  schema: ModuleGeneratorSchema,
): ReturnType<typeof generate> => generate(nxTree(tree), schema);
export default moduleGenerator;
