export { createNodes, createNodesV2 } from './plugin/create-nodes';
export type { PgPluginOptions } from './plugin/targets';
export { initGenerator } from './generators/init/init';
export { moduleGenerator } from './generators/module/module';
export { initScriptGenerator } from './generators/init-script/init-script';
export { initBundleSyncGenerator } from './generators/init-bundle-sync/init-bundle-sync';
export { clientGenerator } from './generators/client/client';
