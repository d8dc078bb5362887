// The Nx generator is the one of @acme/pg-core, on Nx's Tree and Nx's view of the workspace.
import type { Tree } from '@nx/devkit';
import { initScriptGenerator as generate } from '@acme/pg-core/src/generators/init-script/init-script';
import type { InitScriptGeneratorSchema } from '@acme/pg-core/src/generators/init-script/schema';
import { nxTree } from '../../nx-tree';

export const initScriptGenerator = (
  tree: Tree,
  schema: InitScriptGeneratorSchema,
): ReturnType<typeof generate> => generate(nxTree(tree), schema);
export default initScriptGenerator;
