/**
 * What the pack uses of @acme/pg-core, loaded from the installed package at run time (never bundled:
 * turbo gen's esbuild would move the generators' template folders out of reach).
 */
import { dirname } from 'node:path';

/** The part of Nx's Tree the wiring reads and writes. */
export interface FileTreeLike {
  readonly root: string;
  read(path: string, encoding: 'utf-8'): string | null;
  write(path: string, content: string): void;
  exists(path: string): boolean;
  isFile(path: string): boolean;
  children(path: string): string[];
  delete(path: string): void;
  listChanges(): { path: string; type: 'CREATE' | 'UPDATE' | 'DELETE' }[];
}

type Callback = (() => unknown) | void;

interface Generate {
  applyGenerator(
    packageRoot: string,
    name: string,
    tree: FileTreeLike,
    options: Record<string, unknown>,
  ): Promise<Callback>;
  finish(tree: FileTreeLike, callback: Callback): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports */
export function acmePg(): {
  packageRoot: string;
  generate: Generate;
  newTree(root: string): FileTreeLike;
  /** The core's module id rule, for ids that name an npm package: undefined when it is fine. */
  packageIdProblem(id: string, given?: string): string | undefined;
} {
  const packageRoot = dirname(require.resolve('@acme/pg-core/package.json'));
  // The messages of the generators then name turbo's and acme-pg's commands, not Nx's.
  process.env['ACME_PG_FRONT_END'] = 'turbo';
  const generate = require('@acme/pg-core/src/cli/generate') as Generate;
  const { FileTree } = require('@acme/pg-core/src/cli/file-tree') as {
    FileTree: new (root: string) => FileTreeLike;
  };
  const { packageIdProblem } = require('@acme/pg-core/src/generators/module/module-id') as {
    packageIdProblem(id: string, given?: string): string | undefined;
  };
  return { packageRoot, generate, newTree: (root) => new FileTree(root), packageIdProblem };
}
