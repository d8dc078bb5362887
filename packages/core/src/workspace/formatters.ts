/** Files the generators edit byte for byte, kept out of the workspace's formatter. */
import { Tree } from '../tree/tree-api';

// Nx formats with Prettier or oxfmt; both read .prettierignore.
export const FORMATTER_CONFIGS = [
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
