/**
 * Which client an app needs, read from its files: Python projects have pyproject.toml or
 * requirements.txt (asyncpg when they already depend on it), Node projects package.json, a tsconfig
 * or .ts/.js sources. Returns undefined when the files do not say, or say both.
 */
import { joinPathFragments, Tree } from '../../tree/tree-api';
import { posix } from 'node:path';
import { ClientLanguage } from './schema';

const PYTHON_FILES = ['pyproject.toml', 'requirements.txt', 'setup.py', 'setup.cfg', 'Pipfile'];
const SKIP_DIRS = new Set(['node_modules', '.venv', 'venv', '__pycache__', 'dist', '.git', '.nx']);

export interface SourceFiles {
  python: boolean;
  typescript: boolean;
  javascript: boolean;
}

/** The kinds of source file under `root` (not in dependency or build folders). */
export function sourceFiles(tree: Tree, root: string): SourceFiles {
  const found: SourceFiles = { python: false, typescript: false, javascript: false };
  const walk = (dir: string, depth: number) => {
    if (depth > 6) return;
    for (const entry of tree.children(dir)) {
      const path = joinPathFragments(dir, entry);
      if (tree.isFile(path)) {
        if (entry.endsWith('.py')) found.python = true;
        else if (/\.(ts|tsx|mts|cts)$/.test(entry) && !entry.endsWith('.d.ts'))
          found.typescript = true;
        else if (/\.(js|mjs|cjs|jsx)$/.test(entry) && !/\.config\.[cm]?js$/.test(entry))
          found.javascript = true;
      } else if (!SKIP_DIRS.has(entry)) {
        walk(path, depth + 1);
      }
    }
  };
  walk(root, 0);
  return found;
}

export function hasTsConfig(tree: Tree, root: string): boolean {
  return tree.children(root).some((f) => /^tsconfig.*\.json$/.test(f));
}

function mentionsAsyncpg(tree: Tree, root: string): boolean {
  return ['requirements.txt', 'pyproject.toml'].some((f) => {
    const path = posix.join(root, f);
    if (!tree.isFile(path)) return false;
    const text = tree.read(path, 'utf-8') ?? '';
    // A requirement line, or an entry of a TOML list or table.
    const names = (name: string) => new RegExp(`(^|["'\\s,\\[])${name}([\\s"'<>=!~;,\\]]|$)`, 'im');
    return names('asyncpg').test(text) && !names('psycopg2(-binary)?').test(text);
  });
}

export function detectLanguage(tree: Tree, root: string): ClientLanguage | undefined {
  const has = (f: string) => tree.isFile(posix.join(root, f));
  const python = PYTHON_FILES.some(has);
  const node = has('package.json') || hasTsConfig(tree, root);
  if (python && !node) return mentionsAsyncpg(tree, root) ? 'asyncpg' : 'python';
  if (node && !python) return 'node';
  if (python && node) return undefined;
  const src = sourceFiles(tree, root);
  const js = src.typescript || src.javascript;
  if (src.python && !js) return 'python';
  if (js && !src.python) return 'node';
  return undefined;
}
