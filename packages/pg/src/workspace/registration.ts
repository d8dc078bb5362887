/** Workspace-level settings the generators keep: the sync generator in nx.json, the formatters' ignore list. */
import { readNxJson, Tree, updateNxJson } from '@nx/devkit';
import { defaultPluginOptions } from '../plugin/targets';

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

// Nx formats with Prettier or oxfmt; both read .prettierignore.
const FORMATTER_CONFIGS = [
  '.oxfmtrc.json',
  '.oxfmtrc.jsonc',
  '.prettierrc',
  '.prettierrc.json',
  '.prettierrc.yml',
  '.prettierrc.yaml',
  '.prettierrc.js',
  '.prettierrc.cjs',
  'prettier.config.js',
  'prettier.config.cjs',
  'prettier.config.mjs',
];

/** polytope.yml is edited byte for byte; a formatter must not re-flow it. */
export function keepOutOfFormatters(tree: Tree, path: string): void {
  const ignore = tree.read('.prettierignore', 'utf-8');
  if (ignore === null && !FORMATTER_CONFIGS.some((f) => tree.exists(f))) return;
  const lines = (ignore ?? '').split(/\r?\n/).map((l) => l.trim());
  if (lines.includes(path) || lines.includes(`/${path}`)) return;
  const sep = ignore && !ignore.endsWith('\n') ? '\n' : '';
  tree.write(
    '.prettierignore',
    `${ignore ?? ''}${sep}# Edited in place by @acme/pg: keep its layout byte for byte.\n/${path}\n`,
  );
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
