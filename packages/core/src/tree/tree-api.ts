/**
 * The tree helpers the generators use, under the names Nx's devkit gives them, so that a generator
 * reads the same under every tool. File and JSON helpers work on any tree; the rest ask its host.
 */
import { posix } from 'node:path';
import { parse, ParseError, printParseErrorCode } from 'jsonc-parser';
import { Callback, FileTree, ProjectConfig, WorkspaceTree } from './workspace-tree';

export type { Callback as GeneratorCallback, ProjectConfig, WorkspaceTree as Tree, WorkspaceTree };
export type { TargetConfig } from './workspace-tree';

/** Forward slashes, no drive letter: the form tree paths take. */
export function normalizePath(path: string): string {
  return path
    .replace(/^[a-zA-Z]:/, '')
    .split('\\')
    .join('/');
}

export function joinPathFragments(...fragments: string[]): string {
  return posix.join(...fragments.map(normalizePath));
}

/** JSON with comments and trailing commas allowed, as Nx reads its files. */
export function parseJson<T = any>(text: string): T {
  try {
    return JSON.parse(text);
  } catch {
    const errors: ParseError[] = [];
    const value = parse(text, errors, { allowTrailingComma: true });
    if (errors.length) {
      const at = text.slice(0, errors[0].offset).split('\n');
      throw new Error(
        `${printParseErrorCode(errors[0].error)} in JSON at ${at.length}:${at[at.length - 1].length + 1}`,
      );
    }
    return value;
  }
}

export function readJson<T = any>(tree: FileTree, path: string): T {
  const text = tree.read(path, 'utf-8');
  if (text === null) throw new Error(`Cannot find ${path}`);
  try {
    return parseJson(text);
  } catch (e) {
    throw new Error(`Cannot parse ${path}: ${(e as Error).message}`);
  }
}

export function writeJson(tree: FileTree, path: string, value: unknown): void {
  tree.write(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function updateJson<T = any>(tree: FileTree, path: string, update: (json: T) => T): void {
  writeJson(tree, path, update(readJson<T>(tree, path)));
}

export const getProjects = (tree: WorkspaceTree): Map<string, ProjectConfig> =>
  tree.host.projects();

export const readProjectConfiguration = (tree: WorkspaceTree, name: string): ProjectConfig =>
  tree.host.readProject(name);

export const addProjectConfiguration = (
  tree: WorkspaceTree,
  name: string,
  config: ProjectConfig,
): void => tree.host.addProject(name, config);

export const updateProjectConfiguration = (
  tree: WorkspaceTree,
  name: string,
  config: ProjectConfig,
): void => tree.host.updateProject(name, config);

export const addDependenciesToPackageJson = (
  tree: WorkspaceTree,
  dependencies: Record<string, string>,
  devDependencies: Record<string, string>,
  packageJsonPath = 'package.json',
  keepExisting = false,
): Callback =>
  tree.host.addDependencies(dependencies, devDependencies, packageJsonPath, keepExisting);

export const installPackagesTask = (tree: WorkspaceTree): void => tree.host.install();

export const generateFiles = (
  tree: WorkspaceTree,
  srcFolder: string,
  target: string,
  substitutions: Record<string, unknown>,
): void => tree.host.generateFiles(srcFolder, target, substitutions);

export const visitNotIgnoredFiles = (
  tree: WorkspaceTree,
  dir: string,
  visitor: (path: string) => void,
): void => tree.host.visitNotIgnoredFiles(dir, visitor);

export const formatFiles = (tree: WorkspaceTree): Promise<void> => tree.host.format();
