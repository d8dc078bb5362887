/**
 * The file tree the generators work on, and the workspace around it. Nx's Tree has the same file
 * methods; the host is what differs between monorepo tools: Nx's project graph and Nx's helpers
 * under Nx, our own reading of a plain folder under the command line and Turborepo.
 */
import type { Mode } from 'node:fs';

export interface FileChange {
  path: string;
  type: 'CREATE' | 'UPDATE' | 'DELETE';
  content: Buffer | null;
  options?: { mode?: Mode };
}

export interface FileTree {
  readonly root: string;
  read(filePath: string): Buffer | null;
  read(filePath: string, encoding: BufferEncoding): string | null;
  write(filePath: string, content: Buffer | string, options?: { mode?: Mode }): void;
  exists(filePath: string): boolean;
  delete(filePath: string): void;
  rename(from: string, to: string): void;
  isFile(filePath: string): boolean;
  children(dirPath: string): string[];
  listChanges(): FileChange[];
}

/** A task of a project (an Nx target), as the generators write it out. */
export interface TargetConfig {
  executor?: string;
  command?: string;
  options?: Record<string, unknown>;
  configurations?: Record<string, Record<string, unknown>>;
  dependsOn?: (
    | string
    | {
        target: string;
        projects?: string | string[];
        dependencies?: boolean;
        params?: 'ignore' | 'forward';
      }
  )[];
  continuous?: boolean;
  cache?: boolean;
  outputs?: string[];
  metadata?: Record<string, unknown>;
}

export interface ProjectConfig {
  root: string;
  name?: string;
  projectType?: 'application' | 'library';
  sourceRoot?: string;
  tags?: string[];
  implicitDependencies?: string[];
  targets?: Record<string, TargetConfig>;
  [key: string]: unknown;
}

/** What a generator leaves to do once its files are written (an install). */
export type Callback = () => unknown;

export interface WorkspaceHost {
  /** Every project, by name. */
  projects(): Map<string, ProjectConfig>;
  /**
   * Where a project is just its folder (no Nx plugin to run its targets): the folder at `path` as
   * a project, named by its package.json or its folder's name. Undefined under Nx.
   */
  folderProject?(path: string): ProjectConfig | undefined;
  readProject(name: string): ProjectConfig;
  addProject(name: string, config: ProjectConfig): void;
  updateProject(name: string, config: ProjectConfig): void;
  /**
   * Adds what package.json lacks; keepExisting leaves a version already there as it is. The
   * generators always keep existing versions; the command line's host implements only that.
   */
  addDependencies(
    dependencies: Record<string, string>,
    devDependencies: Record<string, string>,
    packageJsonPath: string,
    keepExisting: boolean,
  ): Callback;
  /** The package manager's install, if package.json changed. */
  install(): void;
  /** Renders a folder of EJS templates into the tree (`__name__` in paths, `.template` dropped). */
  generateFiles(srcFolder: string, target: string, substitutions: Record<string, unknown>): void;
  visitNotIgnoredFiles(dir: string, visitor: (path: string) => void): void;
  /** Formats the changed files the way the workspace formats them, if it does. */
  format(): Promise<void>;
  /** Whether targets are inferred by the Nx plugin (true) or written out in project files. */
  shouldAddPlugin(addPlugin: boolean | undefined): boolean;
  /** Registers the Nx plugin; true when it was added now. */
  registerPlugin(): boolean;
  registerSyncGenerator(): void;
}

export interface WorkspaceTree extends FileTree {
  readonly host: WorkspaceHost;
}
