/**
 * The marker file `acme-pg.json` says which PostgreSQL module a project belongs to and where its
 * polytope.yml is, so every later command finds them without asking again.
 */
import {
  joinPathFragments,
  readJson,
  Tree,
  visitNotIgnoredFiles,
  writeJson,
} from '../tree/tree-api';
import { posix } from 'node:path';
import { fail } from '../utils/errors';

import { MARKER_FILE } from './marker-file';
import { generatorCommand } from '../utils/commands';

export { MARKER_FILE };

export interface DatabaseMarker {
  kind: 'database';
  /** The module's id in polytope.yml. */
  module: string;
  /** The polytope.yml that defines the module, relative to the workspace root. */
  polytopeFile: string;
  /** The root polytope.yml of the stack (`pt run` reads it), when it is another file. */
  stackFile?: string;
  /** Settings the module had as literals, which db-values sets as the keys' defaults. */
  defaults?: { database?: string; username?: string; usernameFile?: string; databaseFile?: string };
  /** Roles its database-user init scripts make: role → { database it owns }. */
  roles?: Record<string, { database: string }>;
  /**
   * The module was in polytope.yml before the module generator first ran on it: its data may exist,
   * made with a password that only its user knows, so no hint offers a generated one.
   */
  adopted?: boolean;
}

/** Written in an app's root by the client generator: the databases the app uses. */
export interface ClientMarker {
  kind: 'client';
  /** Module ids, in the order they were added; the first is the targets' default. */
  modules: string[];
  /** The least-privilege role it connects as, per module (client --role). */
  roles?: Record<string, string>;
}

export interface DatabaseProjectRef extends DatabaseMarker {
  /** The project's root: the module's init-script folder. */
  root: string;
}

/**
 * Whether the module's data may have been made before @acme/pg (so with a password only its user
 * knows): recorded by the module generator; a marker written before that was recorded tells it by
 * the literal settings kept from the module (only an adopted module has them).
 */
export function isAdopted(db: Pick<DatabaseMarker, 'adopted' | 'defaults'>): boolean {
  return db.adopted === true || Object.keys(db.defaults ?? {}).length > 0;
}

/**
 * Writes the fields the module generator owns; every other field (an `envFile`, anything a later
 * version or the user added) stays, in its place.
 */
export function writeDatabaseMarker(tree: Tree, root: string, marker: DatabaseMarker): void {
  const path = joinPathFragments(root, MARKER_FILE);
  let current: Record<string, unknown> = {};
  if (tree.exists(path)) {
    try {
      const parsed: unknown = readJson(tree, path);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        current = parsed as Record<string, unknown>;
    } catch {
      fail(`${path} is not valid JSON; fix or delete it and run again.`);
    }
  }
  const next: Record<string, unknown> = { ...current, ...marker };
  if (marker.stackFile === undefined) delete next['stackFile'];
  if (!marker.adopted) delete next['adopted'];
  const defaults = { ...(current['defaults'] as object | undefined), ...marker.defaults };
  if (Object.keys(defaults).length) next['defaults'] = defaults;
  else delete next['defaults'];
  if (JSON.stringify(next) !== JSON.stringify(current)) writeJson(tree, path, next);
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
        stackFile: typeof marker.stackFile === 'string' ? marker.stackFile : undefined,
        defaults:
          marker.defaults && typeof marker.defaults === 'object' ? marker.defaults : undefined,
        ...(marker.roles && typeof marker.roles === 'object' ? { roles: marker.roles } : {}),
        ...(marker.adopted === true ? { adopted: true } : {}),
        root: posix.dirname(path),
      });
    }
  });
  return found.sort((a, b) => a.root.localeCompare(b.root));
}

/** The database a command is for: `module` when given, else the workspace's only one. */
export function chooseDatabase(tree: Tree, module: string | undefined): DatabaseProjectRef {
  const dbs = findDatabaseProjects(tree);
  if (dbs.length === 0)
    fail(
      `This workspace has no PostgreSQL module yet. Run \`${generatorCommand('module')}\` first.`,
    );
  const ids = dbs.map((d) => d.module).join(', ');
  if (module === undefined) {
    if (dbs.length > 1)
      fail(`This workspace has several PostgreSQL modules (${ids}); choose one with --module.`);
    return dbs[0];
  }
  const matches = dbs.filter((d) => d.module === module);
  if (matches.length === 0)
    fail(`Unknown --module '${module}'; the PostgreSQL modules here are: ${ids}.`);
  if (matches.length > 1)
    fail(
      `Module id '${module}' is recorded in several places (${matches.map((m) => m.root).join(', ')}); remove the stale acme-pg.json.`,
    );
  return matches[0];
}

export function readClientMarker(tree: Tree, root: string): ClientMarker | undefined {
  const path = joinPathFragments(root, MARKER_FILE);
  if (!tree.exists(path)) return undefined;
  let marker: Partial<ClientMarker>;
  try {
    marker = readJson(tree, path);
  } catch {
    fail(`${path} is not valid JSON; fix or delete it and run again.`);
  }
  const database = marker as { kind?: unknown; module?: unknown };
  if (database.kind === 'database')
    fail(
      `${root || 'The workspace root'} is the database project of module '${String(database.module)}', not an app: give the app that connects to it (its acme-pg.json stays as it is).`,
    );
  if (marker.kind !== 'client' || !Array.isArray(marker.modules))
    fail(
      `${path} is not an @acme/pg client marker (no kind 'client' with its modules): it was left as it is. If it is yours, move it; if it is a broken one of ours, delete it and run the generator again.`,
    );
  const roles = Object.fromEntries(
    Object.entries(marker.roles && typeof marker.roles === 'object' ? marker.roles : {}).filter(
      ([, r]) => typeof r === 'string',
    ),
  );
  return {
    kind: 'client',
    modules: marker.modules.filter((m) => typeof m === 'string'),
    ...(Object.keys(roles).length ? { roles } : {}),
  };
}

export function writeClientMarker(tree: Tree, root: string, marker: ClientMarker): void {
  writeJson(tree, joinPathFragments(root, MARKER_FILE), marker);
}
