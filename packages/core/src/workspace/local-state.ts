/**
 * Facts that belong to one machine, not to the repository: which env file holds this database's
 * credentials here, and where the local server that db-up started really listens. They live beside
 * the committed marker in `.acme-pg.local.json`, which is git-ignored, so writing them never changes a
 * committed file (and never misses Nx's cache for the apps that use the database).
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ignoreInGit } from '../postgres/gitignore';
import { fail } from '../utils/errors';

export const LOCAL_STATE_FILE = '.acme-pg.local.json';

/** The local server db-up started, as it last recorded it. */
export interface LocalServerState {
  host: string;
  port: number;
  pid: number;
  /** The server's version, e.g. 16.13. */
  version: string;
  /** The cluster folder (PGDATA), absolute. */
  dataDir: string;
  /** The private folder that holds the server's Unix socket, absolute. */
  socketDir?: string;
  /** When it started, ISO 8601. */
  startedAt: string;
  /** The Nx invocation whose db-up started it (its root pid and start time), if one did. */
  startedBy?: string;
}

export interface LocalState {
  /** The env file written by db-values --envFile, relative to the workspace root. */
  envFile?: string;
  server?: LocalServerState;
  /** A password the module had in plain text in polytope.yml, for db-values (module generator). */
  oldPassword?: string;
}

export function localStatePath(root: string, projectRoot: string): string {
  return join(root, projectRoot, LOCAL_STATE_FILE);
}

/** The recorded state, or {} when there is none yet. */
export function readLocalState(root: string, projectRoot: string): LocalState {
  const path = localStatePath(root, projectRoot);
  if (!existsSync(path)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf-8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as LocalState;
  } catch {
    // reported below
  }
  fail(
    `${join(projectRoot, LOCAL_STATE_FILE)} is not valid JSON; delete it (it only holds this machine's facts) and run again.`,
  );
}

/**
 * Merges `patch` into the state (a key set to undefined is removed) and writes it whole through a
 * rename, so a reader never sees half a file; the first write also git-ignores it.
 */
export function updateLocalState(
  root: string,
  projectRoot: string,
  patch: Partial<LocalState>,
): LocalState {
  const path = localStatePath(root, projectRoot);
  const next: LocalState = { ...readLocalState(root, projectRoot), ...patch };
  for (const k of Object.keys(next) as (keyof LocalState)[])
    if (next[k] === undefined) delete next[k];
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
  ignoreInGit(root, path, 'local');
  return next;
}
