/**
 * The commands the client generator prints: how to install the dependency it added, and how to run
 * the connection file as a script against the database this machine sees (the env file that
 * db-values --envFile writes), as the app's role when it has one. Each is printed for, and works
 * on, the workspace it was generated in: a test runs them as printed.
 */
import { joinPathFragments, Tree } from '../../tree/tree-api';
import { posix } from 'node:path';
import { shellQuote } from '../../polytope/pt-cli';
import { LOCAL_STATE_FILE } from '../../workspace/local-state';
import { NormalizedClientOptions } from './normalize-options';

export type PythonManager = 'pip' | 'poetry' | 'uv';

/** Poetry when the project says so (its table or lock file), uv when it has uv's, else pip. */
export function pythonManager(tree: Tree, root: string): PythonManager {
  const pyproject = joinPathFragments(root, 'pyproject.toml');
  const text = tree.exists(pyproject) ? (tree.read(pyproject, 'utf-8') ?? '') : '';
  if (tree.exists(joinPathFragments(root, 'poetry.lock')) || /^\[tool\.poetry[\].]/m.test(text))
    return 'poetry';
  if (tree.exists(joinPathFragments(root, 'uv.lock')) || /^\[tool\.uv[\].]/m.test(text))
    return 'uv';
  return 'pip';
}

/** After a Python dependency was added to `file`: the command that locks and installs it. */
export function installCommand(manager: PythonManager, root: string, file: string): string {
  const inRoot = (cmd: string) => `(cd ${shellQuote(root || '.')} && ${cmd})`;
  if (manager === 'poetry') return inRoot('poetry lock && poetry install');
  if (manager === 'uv') return inRoot('uv lock && uv sync');
  return file.endsWith('requirements.txt')
    ? `pip install -r ${shellQuote(file)}`
    : `pip install -e ${shellQuote(root || '.')}`;
}

/** The env file db-values --envFile recorded for the database on this machine, if any. */
export function recordedEnvFile(tree: Tree, dbRoot: string): string | undefined {
  const path = joinPathFragments(dbRoot, LOCAL_STATE_FILE);
  try {
    const envFile = tree.exists(path) ? JSON.parse(tree.read(path, 'utf-8')!).envFile : undefined;
    return typeof envFile === 'string' ? envFile : undefined;
  } catch {
    return undefined; // a broken local file: the command to write the env file is printed
  }
}

/** How to run the file as a script: it prints `ok <version>`. */
export function runCommand(tree: Tree, o: NormalizedClientOptions, envFile: string): string {
  const q = shellQuote;
  const steps = [`set -a`, `. ${q(envFile.startsWith('/') ? envFile : `./${envFile}`)}`, `set +a`];
  if (o.role) {
    // The env file holds the superuser's view; the app connects as its role.
    steps.push(
      `export ${o.env.user}=${q(o.role.name)} ${o.env.database}=${q(o.role.database)} ${o.env.password}="$${o.role.passwordVar}"`,
    );
  }
  steps.push(...scriptCommand(tree, o));
  return `(${steps.join(' && ')})`;
}

function scriptCommand(tree: Tree, o: NormalizedClientOptions): string[] {
  const q = shellQuote;
  if (o.language !== 'node') {
    const manager = pythonManager(tree, o.root);
    const inRoot = posix.relative(o.root || '.', o.path);
    if (manager === 'poetry') return [`cd ${q(o.root || '.')}`, `poetry run python ${q(inRoot)}`];
    if (manager === 'uv') return [`cd ${q(o.root || '.')}`, `uv run python ${q(inRoot)}`];
    return [`python3 ${q(o.path)}`];
  }
  if (o.template !== 'node-ts') return [`node ${q(o.path)}`];
  // Compiled on its own, beside the package.json that decides CommonJS or ES modules, by the tsc
  // the workspace installed (the generator adds it): npx never downloads, nor asks to.
  const pkgDir = tree.isFile(joinPathFragments(o.root, 'package.json')) ? o.root : '';
  const out = joinPathFragments(pkgDir, 'dist', 'acme-pg-check', pkgDir ? '' : o.project);
  return [
    `npx --no-install tsc ${q(o.path)} --outDir ${q(out)} --module nodenext --target es2022 --types node --skipLibCheck`,
    `node ${q(posix.join(out, posix.basename(o.path).replace(/\.ts$/, '.js')))}`,
  ];
}
