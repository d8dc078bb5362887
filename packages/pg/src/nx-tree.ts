/**
 * Nx's Tree as the generators of @acme/pg-core see it: the same files, and the workspace as Nx
 * knows it (its project graph, its formatter, its installs, nx.json), through the public devkit.
 */
import {
  addDependenciesToPackageJson,
  addProjectConfiguration,
  formatFiles,
  generateFiles,
  getProjects,
  installPackagesTask,
  readProjectConfiguration,
  ProjectConfiguration,
  Tree,
  updateProjectConfiguration,
  visitNotIgnoredFiles,
} from '@nx/devkit';
import type { ProjectConfig, WorkspaceTree } from '@acme/pg-core/src/tree/workspace-tree';
import { registerPlugin, registerSyncGenerator, shouldAddPlugin } from './workspace/registration';

export function nxTree(tree: Tree): WorkspaceTree {
  return {
    root: tree.root,
    read: ((path: string, encoding?: BufferEncoding) =>
      encoding ? tree.read(path, encoding) : tree.read(path)) as WorkspaceTree['read'],
    write: (path, content, options) => tree.write(path, content, options),
    exists: (path) => tree.exists(path),
    delete: (path) => tree.delete(path),
    rename: (from, to) => tree.rename(from, to),
    isFile: (path) => tree.isFile(path),
    children: (path) => tree.children(path),
    listChanges: () => tree.listChanges(),
    host: {
      projects: () => getProjects(tree) as Map<string, ProjectConfig>,
      readProject: (name) => readProjectConfiguration(tree, name) as ProjectConfig,
      addProject: (name, config) =>
        addProjectConfiguration(tree, name, config as ProjectConfiguration),
      updateProject: (name, config) =>
        updateProjectConfiguration(tree, name, config as ProjectConfiguration),
      addDependencies: (deps, devDeps, path, keep) =>
        addDependenciesToPackageJson(tree, deps, devDeps, path, keep),
      install: () => installPackagesTask(tree),
      generateFiles: (src, target, substitutions) =>
        generateFiles(tree, src, target, substitutions),
      visitNotIgnoredFiles: (dir, visitor) => visitNotIgnoredFiles(tree, dir, visitor),
      format: () => formatFiles(tree),
      shouldAddPlugin: (addPlugin) => shouldAddPlugin(tree, addPlugin),
      registerPlugin: () => registerPlugin(tree),
      registerSyncGenerator: () => registerSyncGenerator(tree),
    },
  };
}
