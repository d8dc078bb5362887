/**
 * What every executor starts from: the module it works on (its option, else the project's
 * acme-pg.json), the module's service id from polytope.yml, and the resolved connection settings.
 */
import type { RunContext } from './run-context';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readStack } from '../polytope/include-graph';
import { parsePolytopeFile, PolytopeFile } from '../polytope/polytope-file';
import { ExistingArgs } from '../polytope/postgres-module';
import { findPostgresModule } from '../polytope/upsert-module';
import { ConnectionError } from '../postgres/connect';
import { readEnvFile } from '../postgres/env-file';
import { roleEnvName } from '../polytope/postgres-module';
import {
  AppRole,
  ConnectionOptions,
  ConnectionSettings,
  resolveConnection,
} from '../postgres/settings';
import { fail, PgPluginError } from '../utils/errors';
import { isLive } from '../postgres/local-server';
import { logger } from '../utils/logger';
import { LOCAL_STATE_FILE, readLocalState, updateLocalState } from '../workspace/local-state';
import { startedBy } from '../polytope/entry-point';
import { MARKER_FILE } from '../workspace/marker-file';
import { nxDotenvLabel } from '../workspace/nx-dotenv';
import { generatorCommand, targetCommand } from '../utils/commands';

/** The options every executor takes: which module, where its database is, how long to wait. */
export interface TargetOptions extends ConnectionOptions {
  module?: string;
  timeout?: number;
}

export interface ExecutorTarget {
  moduleId: string;
  serviceId?: string;
  /** The database project's record, when the workspace has one for the module. */
  record?: DatabaseRecord;
  /** polytope.yml, parsed, when it exists. */
  file?: PolytopeFile;
  /** Every file of the module's stack (its root and what it includes), when the root is recorded. */
  stackFiles?: PolytopeFile[];
  /** The module's args as polytope.yml has them, when it holds the module. */
  module?: ExistingArgs;
  /** The variables of the module's env file, when one is recorded. */
  envFile?: Record<string, string>;
  settings: ConnectionSettings;
  /** The role the project's app is wired to (client --role), when it is. */
  role?: AppRole;
  root: string;
}

function readMarker(root: string, projectRoot: string): Record<string, unknown> | undefined {
  const path = join(root, projectRoot, MARKER_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf-8'));
  } catch {
    fail(`${join(projectRoot, MARKER_FILE)} is not valid JSON; fix it or run the generator again.`);
  }
}

/** The folder of the project the command runs for, when it has one. */
function projectRootOf(context: RunContext): string | undefined {
  return context.projectName
    ? context.projectsConfigurations?.projects[context.projectName]?.root
    : undefined;
}

function moduleOf(options: TargetOptions, context: RunContext): string {
  if (options.module) return options.module;
  const root = projectRootOf(context);
  const marker = root !== undefined ? readMarker(context.root, root) : undefined;
  if (marker?.['kind'] === 'database' && typeof marker['module'] === 'string')
    return marker['module'];
  if (marker?.['kind'] === 'client' && Array.isArray(marker['modules']) && marker['modules'][0])
    return String(marker['modules'][0]);
  fail(
    `Project '${context.projectName}' does not say which PostgreSQL module it uses; give --module <id> (or run ${generatorCommand('client')} for it).`,
  );
}

/** What the database project's marker records (polytope.yml, roles) and this machine's env file. */
export interface DatabaseRecord {
  projectRoot: string;
  polytopeFile: string;
  /** The stack's root polytope.yml, when the module lives in an included file. */
  stackFile?: string;
  envFile?: string;
  /** Literal settings the module had before the generator adopted it (database, username). */
  defaults?: { database?: string; username?: string; usernameFile?: string; databaseFile?: string };
  /** Roles made by its database-user init scripts: role → the database it owns. */
  roles: Record<string, string>;
}

function rolesOf(marker: Record<string, unknown>): Record<string, string> {
  const roles = marker['roles'];
  if (!roles || typeof roles !== 'object') return {};
  return Object.fromEntries(
    Object.entries(roles as Record<string, { database?: unknown }>)
      .filter(([, r]) => typeof r?.database === 'string')
      .map(([name, r]) => [name, String(r.database)]),
  );
}

export function databaseRecordOf(
  moduleId: string,
  context: RunContext,
): DatabaseRecord | undefined {
  for (const p of Object.values(context.projectsConfigurations?.projects ?? {})) {
    const marker = readMarker(context.root, p.root);
    if (marker?.['kind'] === 'database' && marker['module'] === moduleId) {
      // Before 0.2 the env file was recorded in the committed marker; it is read from there still.
      const legacy = typeof marker['envFile'] === 'string' ? marker['envFile'] : undefined;
      return {
        projectRoot: p.root,
        polytopeFile: String(marker['polytopeFile']),
        stackFile: typeof marker['stackFile'] === 'string' ? marker['stackFile'] : undefined,
        envFile: readLocalState(context.root, p.root).envFile ?? legacy,
        defaults:
          marker['defaults'] && typeof marker['defaults'] === 'object'
            ? (marker['defaults'] as DatabaseRecord['defaults'])
            : undefined,
        roles: rolesOf(marker),
      };
    }
  }
  return undefined;
}

/**
 * Records this machine's env file in the git-ignored .acme-pg.local.json beside the database
 * project's marker (never in the committed marker, whose every change misses Nx's cache).
 */
export function recordEnvFile(context: RunContext, record: DatabaseRecord, envFile: string): void {
  if (readLocalState(context.root, record.projectRoot).envFile !== envFile)
    updateLocalState(context.root, record.projectRoot, { envFile });
  const marker = readMarker(context.root, record.projectRoot);
  if (marker && 'envFile' in marker) {
    // Moved out of the committed file once, so an old value can never win over the local one.
    const rest = { ...marker };
    delete rest['envFile'];
    writeFileSync(
      join(context.root, record.projectRoot, MARKER_FILE),
      `${JSON.stringify(rest, null, 2)}\n`,
    );
  }
}

/** The role the project's app uses for the module (client --role), from the app's marker. */
function appRoleOf(
  context: RunContext,
  moduleId: string,
  record: DatabaseRecord | undefined,
): AppRole | undefined {
  const root = projectRootOf(context);
  const marker = root !== undefined ? readMarker(context.root, root) : undefined;
  const roles = marker?.['kind'] === 'client' ? marker['roles'] : undefined;
  const name =
    roles && typeof roles === 'object' ? (roles as Record<string, unknown>)[moduleId] : undefined;
  if (typeof name !== 'string') return undefined;
  return { name, database: record?.roles[name] ?? name, passwordVar: roleEnvName(name) };
}

export function resolveTarget(
  options: TargetOptions,
  context: RunContext,
  env: NodeJS.ProcessEnv = process.env,
  how: {
    /** false for db-values, which manages the superuser's view whatever the project. */
    asAppRole?: boolean;
    /** This env file (relative to the root) instead of the recorded one (db-values --envFile). */
    envFile?: string;
  } = {},
): ExecutorTarget {
  const moduleId = moduleOf(options, context);
  const record = databaseRecordOf(moduleId, context);
  const role = how.asAppRole === false ? undefined : appRoleOf(context, moduleId, record);
  const polytopeFile = record?.polytopeFile;
  const envFilePath = how.envFile ?? record?.envFile;
  let serviceId: string | undefined;
  let module: ExistingArgs | undefined;
  let file: PolytopeFile | undefined;
  if (polytopeFile && existsSync(join(context.root, polytopeFile))) {
    file = parsePolytopeFile(polytopeFile, readFileSync(join(context.root, polytopeFile), 'utf-8'));
    module = findPostgresModule(file, moduleId)?.existing;
    serviceId = module?.serviceId ?? moduleId;
  }
  let stackFiles: PolytopeFile[] | undefined;
  if (file && record?.stackFile) {
    const at = (p: string) => join(context.root, p);
    stackFiles = readStack(
      {
        read: (p) => (existsSync(at(p)) ? readFileSync(at(p), 'utf-8') : null),
        isFile: (p) => existsSync(at(p)),
      },
      record.stackFile,
    ).files;
  }
  const envFile = envFilePath ? readEnvFile(resolve(context.root, envFilePath)) : undefined;
  const server = record ? readLocalState(context.root, record.projectRoot).server : undefined;
  const settings = resolveConnection({
    moduleId,
    serviceId,
    options: {
      host: options.host,
      port: options.port,
      database: options.database,
      user: options.user,
      sslmode: options.sslmode,
    },
    env,
    envFile,
    envFilePath,
    role,
    localServer: server && isLive(server) ? server : undefined,
    envLabel: nxDotenvLabel(context.root, projectRootOf(context), env),
  });
  settings.hints = connectionHints(context, moduleId, record, envFilePath, envFile, [
    ...(stackFiles ?? (file ? [file] : [])),
  ]);
  return {
    moduleId,
    module,
    envFile,
    serviceId,
    settings,
    role,
    root: context.root,
    record,
    file,
    stackFiles,
  };
}

/**
 * The real names for what to type next: the database project's db-up and the stack's entry point,
 * and, when the port falls back to the default, which env file this machine lacks and how to write it.
 */
function connectionHints(
  context: RunContext,
  moduleId: string,
  record: DatabaseRecord | undefined,
  envFilePath: string | undefined,
  envFile: Record<string, string> | undefined,
  stackFiles: PolytopeFile[],
): ConnectionSettings['hints'] {
  if (!record) return undefined;
  const project =
    Object.entries(context.projectsConfigurations?.projects ?? {}).find(
      ([, p]) => p.root === record.projectRoot,
    )?.[0] ?? moduleId;
  const entry = startedBy(stackFiles, moduleId);
  const state = join(record.projectRoot, LOCAL_STATE_FILE);
  const envFileNote = !envFilePath
    ? `no env file is recorded for this machine in ${state}; write one with ${targetCommand(project, 'db-values', `--envFile .env.${moduleId} --noPt --generatePassword`)}`
    : !envFile
      ? `the env file ${envFilePath} recorded in ${state} is missing; write it again with ${targetCommand(project, 'db-values', `--envFile ${envFilePath} --noPt`)}`
      : undefined;
  return {
    start: `${targetCommand(project, 'db-up')}${entry ? `, or pt run ${entry}` : ''}`,
    envFile: envFileNote,
  };
}

/**
 * Runs an executor's body: a known failure is printed as its one line, never as a stack trace,
 * and becomes `{ success: false }`.
 */
export async function guarded(
  body: () => Promise<boolean>,
  onFailure?: (message: string) => void,
): Promise<{ success: boolean }> {
  try {
    return { success: await body() };
  } catch (e) {
    const message =
      e instanceof PgPluginError || e instanceof ConnectionError
        ? e.message
        : `@acme/pg: unexpected error: ${(e as Error)?.message ?? String(e)}`;
    logger.error(message);
    try {
      onFailure?.(message);
    } catch (w) {
      logger.error((w as Error).message);
    }
    return { success: false };
  }
}

/**
 * --outputFile of an executor whose body prints its own result: `{ ok: true, ...result }` when it
 * succeeds, `{ ok: false, message }` when it fails, so a script never reads an older run's file.
 */
export async function guardedWithOutputFile(
  root: string,
  outputFile: string | undefined,
  body: (write: (result: object) => void) => Promise<boolean>,
): Promise<{ success: boolean }> {
  const write = (result: object) => {
    if (outputFile) writeJsonResult(root, outputFile, { ok: true, ...result });
  };
  return guarded(
    () => body(write),
    outputFile ? (message) => writeJsonResult(root, outputFile, { ok: false, message }) : undefined,
  );
}

/**
 * A progress note for the user. With --json, stdout holds only the JSON result, so notes go to
 * stderr.
 */
export function note(json: boolean | undefined, message: string): void {
  if (json) process.stderr.write(`${message}\n`);
  else logger.info(message);
}

/**
 * --outputFile: the JSON result in a file (relative to the workspace root), written whole through
 * a rename, so a reader never sees half of it; Nx prints its banner on stdout, which a file avoids.
 */
export function writeJsonResult(root: string, outputFile: string, result: unknown): void {
  const path = resolve(root, outputFile);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, `${JSON.stringify(result, null, 2)}\n`);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    fail(
      `Cannot write --outputFile ${outputFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; choose a writable path.`,
    );
  }
}
