// @acme/pg-core's API for tools built on it (the Nx plugin, the Turborepo pack, your own scripts):
// the command line, the tree the generators run on, and their types. The commands and generators
// are modules of their own (src/commands/<name>/<name>, src/generators/<name>/<name>).
export type { RunContext } from './commands/run-context';
export type {
  Callback,
  FileChange,
  FileTree,
  ProjectConfig,
  TargetConfig,
  WorkspaceHost,
  WorkspaceTree,
} from './tree/workspace-tree';
export { FileTree as FolderTree, FlushError } from './cli/file-tree';
export { main } from './cli/main';
