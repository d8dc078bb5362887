/**
 * The marker file `acme-pg.json` says which PostgreSQL module a project belongs to and where its
 * polytope.yml is, so every later command finds them without asking again.
 */
import { joinPathFragments, readJson, Tree, visitNotIgnoredFiles, writeJson } from '@nx/devkit';
import { posix } from 'node:path';

export const MARKER_FILE = 'acme-pg.json';

export interface DatabaseMarker {
  kind: 'database';
  /** The module's id in polytope.yml. */
  module: string;
  /** polytope.yml, relative to the workspace root. */
  polytopeFile: string;
}

export interface DatabaseProjectRef extends DatabaseMarker {
  /** The project's root: the module's init-script folder. */
  root: string;
}

export function writeDatabaseMarker(tree: Tree, root: string, marker: DatabaseMarker): void {
  writeJson(tree, joinPathFragments(root, MARKER_FILE), marker);
}

/** Every database project in the workspace, found by its marker. */
export function findDatabaseProjects(tree: Tree): DatabaseProjectRef[] {
  const found: DatabaseProjectRef[] = [];
  visitNotIgnoredFiles(tree, '', (path) => {
    if (posix.basename(path) !== MARKER_FILE) return;
    let marker: Partial<DatabaseMarker>;
    try {
      marker = readJson(tree, path);
    } catch {
      return;
    }
    if (
      marker.kind === 'database' &&
      typeof marker.module === 'string' &&
      typeof marker.polytopeFile === 'string'
    ) {
      found.push({
        kind: 'database',
        module: marker.module,
        polytopeFile: marker.polytopeFile,
        root: posix.dirname(path),
      });
    }
  });
  return found.sort((a, b) => a.root.localeCompare(b.root));
}
