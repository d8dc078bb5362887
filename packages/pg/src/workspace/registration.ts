/** What the generators keep in nx.json: the plugin's registration and the sync generator. */
import { readNxJson, Tree, updateNxJson } from '@nx/devkit';
import { defaultPluginOptions } from '@acme/pg-core/src/workspace/targets';

export const SYNC_GENERATOR = '@acme/pg:init-bundle-sync';

/** `nx sync` then rebuilds init bundles, and `nx sync:check` fails while one is stale. */
export function registerSyncGenerator(tree: Tree): void {
  const nxJson = readNxJson(tree) ?? {};
  const sync = (nxJson.sync ??= {});
  const list = (sync.globalGenerators ??= []);
  if (list.includes(SYNC_GENERATOR)) return;
  list.push(SYNC_GENERATOR);
  updateNxJson(tree, nxJson);
}

export const PLUGIN_NAME = '@acme/pg';

/** Nx's rule: inferred targets unless --addPlugin=false, NX_ADD_PLUGINS=false or useInferencePlugins: false. */
export function shouldAddPlugin(tree: Tree, addPlugin: boolean | undefined): boolean {
  if (addPlugin !== undefined) return addPlugin;
  return (
    process.env['NX_ADD_PLUGINS'] !== 'false' && readNxJson(tree)?.useInferencePlugins !== false
  );
}

/** Registers the plugin in nx.json, once, with its default target names; true when added. */
export function registerPlugin(tree: Tree): boolean {
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  if (plugins.some((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_NAME)) return false;
  nxJson.plugins = [...plugins, { plugin: PLUGIN_NAME, options: defaultPluginOptions() }];
  updateNxJson(tree, nxJson);
  return true;
}
