export { moduleGenerator } from './generators/module/module';
export { initScriptGenerator } from './generators/init-script/init-script';
export { initBundleSyncGenerator } from './generators/init-bundle-sync/init-bundle-sync';
export { clientGenerator } from './generators/client/client';
