/**
 * What every executor starts from: the module it works on (its option, else the project's
 * acme-pg.json), the module's service id from polytope.yml, and the resolved connection settings.
 */
import { ExecutorContext, logger } from '@nx/devkit';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolytopeFile, PolytopeFile } from '../polytope/polytope-file';
import { ExistingArgs } from '../polytope/postgres-module';
import { findPostgresModule } from '../polytope/upsert-module';
import { ConnectionError } from '../postgres/connect';
import { readEnvFile } from '../postgres/env-file';
import { ConnectionOptions, ConnectionSettings, resolveConnection } from '../postgres/settings';
import { fail, PgPluginError } from '../utils/errors';
import { isLive } from '../postgres/local-server';
import { readLocalState } from '../workspace/local-state';
import { MARKER_FILE } from '../workspace/markers';

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
  /** The module's args as polytope.yml has them, when it holds the module. */
  module?: ExistingArgs;
  /** The variables of the module's env file, when one is recorded. */
  envFile?: Record<string, string>;
  settings: ConnectionSettings;
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

function moduleOf(options: TargetOptions, context: ExecutorContext): string {
  if (options.module) return options.module;
  const project = context.projectName
    ? context.projectsConfigurations?.projects[context.projectName]
    : undefined;
  const marker = project ? readMarker(context.root, project.root) : undefined;
  if (marker?.['kind'] === 'database' && typeof marker['module'] === 'string')
    return marker['module'];
  if (marker?.['kind'] === 'client' && Array.isArray(marker['modules']) && marker['modules'][0])
    return String(marker['modules'][0]);
  fail(
    `Project '${context.projectName}' does not say which PostgreSQL module it uses; give --module <id> (or run nx g @acme/pg:client for it).`,
  );
}

/** What the database project's marker records: polytope.yml, and the env file once written. */
export interface DatabaseRecord {
  projectRoot: string;
  polytopeFile: string;
  envFile?: string;
}

export function databaseRecordOf(
  moduleId: string,
  context: ExecutorContext,
): DatabaseRecord | undefined {
  for (const p of Object.values(context.projectsConfigurations?.projects ?? {})) {
    const marker = readMarker(context.root, p.root);
    if (marker?.['kind'] === 'database' && marker['module'] === moduleId) {
      return {
        projectRoot: p.root,
        polytopeFile: String(marker['polytopeFile']),
        envFile: typeof marker['envFile'] === 'string' ? marker['envFile'] : undefined,
      };
    }
  }
  return undefined;
}

/** Records the env file in the database project's marker, so every executor reads it. */
export function recordEnvFile(
  context: ExecutorContext,
  record: DatabaseRecord,
  envFile: string,
): void {
  const path = join(context.root, record.projectRoot, MARKER_FILE);
  const marker = readMarker(context.root, record.projectRoot) ?? {};
  if (marker['envFile'] === envFile) return;
  writeFileSync(path, `${JSON.stringify({ ...marker, envFile }, null, 2)}\n`);
}

export function resolveTarget(
  options: TargetOptions,
  context: ExecutorContext,
  env: NodeJS.ProcessEnv = process.env,
): ExecutorTarget {
  const moduleId = moduleOf(options, context);
  const record = databaseRecordOf(moduleId, context);
  const polytopeFile = record?.polytopeFile;
  const envFilePath = record?.envFile;
  let serviceId: string | undefined;
  let module: ExistingArgs | undefined;
  let file: PolytopeFile | undefined;
  if (polytopeFile && existsSync(join(context.root, polytopeFile))) {
    file = parsePolytopeFile(polytopeFile, readFileSync(join(context.root, polytopeFile), 'utf-8'));
    module = findPostgresModule(file, moduleId)?.existing;
    serviceId = module?.serviceId ?? moduleId;
  }
  const envFile = envFilePath ? readEnvFile(join(context.root, envFilePath)) : undefined;
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
    localServer: server && isLive(server) ? server : undefined,
  });
  return { moduleId, module, envFile, serviceId, settings, root: context.root, record, file };
}

/**
 * Runs an executor's body: a known failure is printed as its one line, never as a stack trace,
 * and becomes `{ success: false }`.
 */
export async function guarded(body: () => Promise<boolean>): Promise<{ success: boolean }> {
  try {
    return { success: await body() };
  } catch (e) {
    if (e instanceof PgPluginError || e instanceof ConnectionError) logger.error(e.message);
    else logger.error(`@acme/pg: unexpected error: ${(e as Error)?.message ?? String(e)}`);
    return { success: false };
  }
}

/**
 * A progress note for the user. With --json, stdout holds only the JSON result, so notes go to
 * stderr.
 */
export function note(json: boolean | undefined, message: string): void {
  if (json) process.stderr.write(`${message}\n`);
  else logger.info(message);
}
