import { getProjects, logger, Tree } from '@nx/devkit';
import { posix } from 'node:path';
import { BUNDLE_FILE } from '../../init-scripts/bundle';
import { IMAGE_PATTERN } from '../../polytope/image';
import { ID_PATTERN, parsePolytopeFile, PolytopeFile } from '../../polytope/polytope-file';
import {
  AuthMethod,
  AUTH_METHODS,
  DATA_MOUNT,
  envValue,
  ModuleSettings,
  PGDATA,
  RESTART_POLICIES,
} from '../../polytope/postgres-module';
import { findPostgresModule, FoundModule } from '../../polytope/upsert-module';
import { fail } from '../../utils/errors';
import { workspacePath } from '../../utils/paths';
import { findDatabaseProjects } from '../../workspace/markers';
import { ModuleGeneratorSchema } from './schema';

export interface NormalizedModuleOptions {
  settings: ModuleSettings;
  file: PolytopeFile;
  found: FoundModule | undefined;
  template: string | null;
  scriptsDir: string;
  projectName: string;
  projectExists: boolean;
  warnings: string[];
  skipFormat: boolean;
  addPlugin?: boolean;
}

const MEMORY = /^\d+(kB|MB|GB|TB)?$/;
const SERVICE_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const INITDB_ARGS = /^[A-Za-z0-9=_.,:/+ -]*$/;

export function readPolytopeFile(tree: Tree, path: string): PolytopeFile {
  if (tree.exists(path) && !tree.isFile(path))
    fail(`${path} is a folder; --polytopeFile must name a file.`);
  return parsePolytopeFile(path, tree.read(path, 'utf-8') ?? '');
}

export function normalizeOptions(
  tree: Tree,
  schema: ModuleGeneratorSchema,
): NormalizedModuleOptions {
  const id = schema.id ?? 'postgres';
  if (!ID_PATTERN.test(id) || id.length > 63) {
    fail(
      `Invalid --id '${id}': use 1 to 63 characters from a-z, 0-9, '_' and '-' (for example: analytics).`,
    );
  }
  const warnings: string[] = [];
  const recorded = findDatabaseProjects(tree).filter((r) => r.module === id);
  const polytopeFile = schema.polytopeFile
    ? workspacePath(tree.root, schema.polytopeFile, 'polytopeFile')
    : (recorded[0]?.polytopeFile ?? 'polytope.yml');
  if (!/\.ya?ml$/.test(polytopeFile))
    fail(`--polytopeFile '${schema.polytopeFile}' must be a .yml or .yaml file.`);
  const file = readPolytopeFile(tree, polytopeFile);
  const found = findPostgresModule(file, id);
  const record = recorded.find((r) => r.polytopeFile === polytopeFile);

  const scriptsDir = schema.scriptsDir
    ? workspacePath(tree.root, schema.scriptsDir, 'scriptsDir')
    : (record?.root ?? posix.join(posix.dirname(polytopeFile), 'sql', id));
  if (scriptsDir === '')
    fail('--scriptsDir cannot be the workspace root; give a folder such as sql/postgres.');
  const bundlePath = posix.relative(
    posix.dirname(polytopeFile),
    posix.join(scriptsDir, BUNDLE_FILE),
  );
  checkScripts(found, bundlePath, polytopeFile, id);

  const image = schema.image;
  if (image !== undefined && (!IMAGE_PATTERN.test(image) || image.length > 255)) {
    fail(
      `Invalid --image ${JSON.stringify(image)}: an image reference has no spaces or control characters (for example: postgres:16.2).`,
    );
  }
  if (schema.serviceId !== undefined && !SERVICE_ID.test(schema.serviceId)) {
    fail(
      `Invalid --serviceId '${schema.serviceId}': it is a host name, so use a-z, 0-9 and '-', starting and ending with a letter or digit.`,
    );
  }
  if (schema.volumeId !== undefined && !ID_PATTERN.test(schema.volumeId)) {
    fail(`Invalid --volumeId '${schema.volumeId}': use a-z, 0-9, '_' and '-'.`);
  }

  const auth = resolveAuth(
    schema,
    envValue(found?.existing ?? null, 'POSTGRES_HOST_AUTH_METHOD'),
    warnings,
  );
  if (schema.restart !== undefined && !RESTART_POLICIES.includes(schema.restart)) {
    fail(`Invalid --restart '${schema.restart}': use on-failure or always.`);
  }
  const policy =
    schema.restart ?? (found?.existing.restart?.['policy'] as string | undefined) ?? 'on-failure';
  if (schema.maxRestarts !== undefined) {
    if (!Number.isInteger(schema.maxRestarts) || schema.maxRestarts < 0)
      fail(`Invalid --maxRestarts '${schema.maxRestarts}': give a whole number, 0 or more.`);
    if (policy !== 'on-failure') fail('--maxRestarts applies only to --restart=on-failure.');
  }

  const tuning: Record<string, string> = {};
  for (const [option, setting] of [
    ['sharedBuffers', 'shared_buffers'],
    ['workMem', 'work_mem'],
  ] as const) {
    const v = schema[option];
    if (v === undefined) continue;
    if (!MEMORY.test(String(v)))
      fail(`Invalid --${option} '${v}': give a size such as 128MB (units kB, MB, GB, TB).`);
    tuning[setting] = String(v);
  }
  if (schema.maxConnections !== undefined) {
    if (
      !Number.isInteger(schema.maxConnections) ||
      schema.maxConnections < 1 ||
      schema.maxConnections > 262143
    ) {
      fail(
        `Invalid --maxConnections '${schema.maxConnections}': give a whole number from 1 to 262143.`,
      );
    }
    tuning['max_connections'] = String(schema.maxConnections);
  }
  if (schema.initdbArgs !== undefined && !INITDB_ARGS.test(schema.initdbArgs)) {
    fail(
      `Invalid --initdbArgs ${JSON.stringify(schema.initdbArgs)}: the image's entrypoint evaluates it in a shell, so only letters, digits, spaces and = _ . , : / + - are allowed.`,
    );
  }

  const template =
    schema.template === undefined ? 'stack' : schema.template === 'none' ? null : schema.template;
  if (template !== null && !ID_PATTERN.test(template))
    fail(
      `Invalid --template '${schema.template}': use a template id (a-z, 0-9, '_', '-') or none.`,
    );

  const { projectName, projectExists } = chooseProject(tree, id, scriptsDir);
  const settings: ModuleSettings = {
    id,
    image,
    serviceId: schema.serviceId,
    volumeId: schema.volumeId,
    auth,
    restart: schema.restart,
    maxRestarts: schema.maxRestarts,
    tuning,
    initdbArgs: schema.initdbArgs,
    walDir: schema.walDir === undefined ? undefined : walDirPath(schema.walDir),
    bundlePath,
    extraEnv: [],
  };
  return {
    settings,
    file,
    found,
    template,
    scriptsDir,
    projectName,
    projectExists,
    warnings,
    skipFormat: !!schema.skipFormat,
    addPlugin: schema.addPlugin,
  };
}

function resolveAuth(
  schema: ModuleGeneratorSchema,
  existing: string | undefined,
  warnings: string[],
): AuthMethod {
  const given = schema.auth;
  if (given !== undefined && !AUTH_METHODS.includes(given))
    fail(`Invalid --auth '${given}': use scram-sha-256, md5 or trust.`);
  if (given === 'trust' && !schema.allowTrust) {
    fail(
      '--auth=trust lets anyone connect without a password; pass --allowTrust as well if you really want it (never in production).',
    );
  }
  if (given) return given;
  if (existing === 'trust' && !schema.allowTrust) {
    warnings.push(
      'The module used POSTGRES_HOST_AUTH_METHOD=trust; it now uses scram-sha-256 with the password secret. Keep trust with --auth=trust --allowTrust.',
    );
    return 'scram-sha-256';
  }
  return AUTH_METHODS.includes(existing as AuthMethod) ? (existing as AuthMethod) : 'scram-sha-256';
}

function walDirPath(given: string): string {
  const path = given.startsWith('/') ? posix.normalize(given) : posix.join(DATA_MOUNT, given);
  const inside = path.startsWith(`${DATA_MOUNT}/`) && !given.split('/').includes('..');
  if (!inside || !/^[A-Za-z0-9._/-]+$/.test(path)) {
    fail(
      `Invalid --walDir '${given}': give a folder inside the data volume (${DATA_MOUNT}), such as pgwal, so the WAL persists with the data.`,
    );
  }
  if (path === PGDATA || path.startsWith(`${PGDATA}/`))
    fail(`Invalid --walDir '${given}': it must be beside PGDATA (${PGDATA}), not in it.`);
  return path;
}

function checkScripts(
  found: FoundModule | undefined,
  bundlePath: string,
  file: string,
  id: string,
): void {
  const scripts = found?.existing.scripts;
  if (scripts === undefined || scripts === null) return;
  const entries = Array.isArray(scripts) ? scripts : [scripts];
  const others = entries.filter(
    (e) => !(e && typeof e === 'object' && (e as Record<string, unknown>)['path'] === bundlePath),
  );
  if (others.length === 0) return;
  const names = others.map((e) =>
    e && typeof e === 'object'
      ? String((e as Record<string, unknown>)['path'] ?? (e as Record<string, unknown>)['type'])
      : String(e),
  );
  fail(
    `Module '${id}' in ${file} already mounts init scripts (${names.join(', ')}). polytope/postgres mounts every entry at one path, so only one would run; ` +
      `@acme/pg mounts one bundle of its init-script folder instead. Move those files into that folder (as 001-….sql), remove the 'scripts' entry, and run again.`,
  );
}

function chooseProject(
  tree: Tree,
  id: string,
  root: string,
): { projectName: string; projectExists: boolean } {
  const projects = getProjects(tree);
  for (const [name, config] of projects)
    if (config.root === root) return { projectName: name, projectExists: true };
  for (const name of [id, `${id}-db`])
    if (!projects.has(name)) return { projectName: name, projectExists: false };
  fail(
    `Projects '${id}' and '${id}-db' both exist already; rename one of them or choose another --id.`,
  );
}

export function logWarnings(warnings: string[]): void {
  for (const w of warnings) logger.warn(w);
}
