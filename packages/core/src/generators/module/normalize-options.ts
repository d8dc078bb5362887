import { logger } from '../../utils/logger';
import { Tree } from '../../tree/tree-api';
import { chooseProject } from '../../workspace/database-project';
import { isScalar, visit } from 'yaml';
import { posix } from 'node:path';
import { BUNDLE_FILE } from '../../init-scripts/bundle';
import { IMAGE_PATTERN, imageMajor, unpinnedImageProblem, withMajor } from '../../polytope/image';
import { EMBEDDED_POSTGRES } from '../../utils/versions';
import { ID_PATTERN, parsePolytopeFile, PolytopeFile } from '../../polytope/polytope-file';
import {
  AuthMethod,
  AUTH_METHODS,
  DATA_MOUNT,
  defaultServiceId,
  envValue,
  fullRef,
  moduleInfo,
  MODULE_SERVICE_ID,
  ModuleSettings,
  PGDATA,
  RESTART_POLICIES,
  MODULE_DEFAULT_IMAGE,
  SIMPLE_MODULE,
} from '../../polytope/postgres-module';
import { findPostgresModule, FoundModule, postgresModuleIds } from '../../polytope/upsert-module';
import { chooseEntryPoint, EntryPoint } from '../../polytope/entry-point';
import {
  fileDefining,
  includeTarget,
  isIncludeStyle,
  newModulePlace,
  readStack,
  Stack,
} from '../../polytope/include-graph';
import { envPrefix } from '../../postgres/env-names';
import { mountPathFor } from '../../polytope/mount-path';
import { RawScalar, scalarInStyle } from '../../polytope/yaml-render';
import { fail } from '../../utils/errors';
import { workspacePath } from '../../utils/paths';
import { findDatabaseProjects, isAdopted } from '../../workspace/markers';
import { AdoptedScript, readAdoptedScripts } from './adopt-scripts';
import { dataLocation, FromFiles, KeptDefaults, keptValues } from './existing-data';
import { idProblem } from './module-id';
import { ModuleGeneratorSchema } from './schema';
import { MigrationStepPlan, planMigrationStep } from './migration-step';
import { generatorCommand } from '../../utils/commands';

export interface NormalizedModuleOptions {
  settings: ModuleSettings;
  /** The file that holds (or will hold) the module. */
  file: PolytopeFile;
  /** The root polytope.yml, which `pt run` reads. */
  stack: Stack;
  found: FoundModule | undefined;
  /** The template or tool that gets the run entry, when one is added. */
  entry: EntryPoint | null;
  /** A new included file for the module: the include entry goes into `host`. */
  newInclude?: { host: PolytopeFile; entry: string };
  scriptsDir: string;
  projectName: string;
  projectExists: boolean;
  warnings: string[];
  notes: string[];
  /** Literal settings the module had, which db-values sets as defaults. */
  defaults: KeptDefaults;
  /** Settings the module read from files (`*_FILE`): the keys must be set to those files' content. */
  fromFiles: FromFiles;
  /** A plaintext password the module had: offered to db-values, never written to a tracked file. */
  oldPassword?: string;
  adopted: AdoptedScript[];
  /** The stack's migration step to write (or complete), when one is wanted. */
  migrationStep?: MigrationStepPlan;
  /** The module was there before the generator first ran on it (recorded in its marker). */
  adoptedModule: boolean;
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

const SIMPLE_OPTIONS = [
  'serviceId',
  'auth',
  'allowTrust',
  'sharedBuffers',
  'workMem',
  'maxConnections',
  'initdbArgs',
  'walDir',
] as const;

export function normalizeOptions(
  tree: Tree,
  schema: ModuleGeneratorSchema,
): NormalizedModuleOptions {
  const id = schema.id ?? 'postgres';
  const problem = idProblem(id);
  if (problem) fail(problem);
  const warnings: string[] = [];
  const notes: string[] = [];
  const databases = findDatabaseProjects(tree);
  const recorded = databases.filter((r) => r.module === id);
  let rootPath = schema.polytopeFile
    ? workspacePath(tree.root, schema.polytopeFile, 'polytopeFile')
    : (recorded[0]?.stackFile ?? recorded[0]?.polytopeFile ?? 'polytope.yml');
  if (!/\.ya?ml$/.test(rootPath))
    fail(`--polytopeFile '${schema.polytopeFile}' must be a .yml or .yaml file.`);
  if (tree.exists(rootPath) && !tree.isFile(rootPath))
    fail(`${rootPath} is a folder; --polytopeFile must name a file.`);
  const reader = {
    read: (p: string) => tree.read(p, 'utf-8'),
    isFile: (p: string) => tree.exists(p) && tree.isFile(p),
  };
  // A --polytopeFile that the workspace's polytope.yml includes: that root is the stack.
  const given = rootPath;
  if (schema.polytopeFile && rootPath !== 'polytope.yml' && reader.isFile('polytope.yml')) {
    let top: Stack | undefined;
    try {
      top = readStack(reader, 'polytope.yml');
    } catch {
      top = undefined;
    }
    if (top?.files.some((f) => f.path === given)) rootPath = 'polytope.yml';
  }
  const stack = readStack(reader, rootPath);
  for (const r of stack.remote)
    notes.push(
      `${r.from} includes ${r.repo}, a remote repository: @acme/pg does not read it, so a module defined there is not seen.`,
    );
  const defining = fileDefining(stack, id);
  const found = defining ? findPostgresModule(defining, id) : undefined;
  let file = defining ?? stack.files.find((f) => f.path === given) ?? stack.root;
  let newInclude: NormalizedModuleOptions['newInclude'];
  if (!found && file === stack.root && isIncludeStyle(stack)) {
    newInclude = newModulePlace(stack, id);
    const path = includeTarget(newInclude.host.path, newInclude.entry);
    if (tree.exists(path))
      fail(
        `${path} exists but ${newInclude.host.path} does not include it, so module '${id}' would not run. Include it, or choose another --id.`,
      );
    file = parsePolytopeFile(path, stack.root.format === 'tools' ? 'tools:\n' : '');
  }
  checkPrefixes(stack, databases, id);
  const record = recorded.find((r) => r.polytopeFile === file.path);

  const scriptsDir = schema.scriptsDir
    ? workspacePath(tree.root, schema.scriptsDir, 'scriptsDir')
    : (record?.root ?? posix.join(posix.dirname(stack.root.path), 'sql', id));
  if (scriptsDir === '')
    fail('--scriptsDir cannot be the workspace root; give a folder such as sql/postgres.');
  // Two folders for one module would be two database projects that each executor could take.
  if (record && scriptsDir !== record.root)
    fail(
      `Module '${id}' has its database project in ${record.root} already; --scriptsDir ${scriptsDir} would make a second one. To move it, move the folder (git mv ${record.root} ${scriptsDir}), then run ${generatorCommand('module')} --id ${id} --scriptsDir ${scriptsDir}. Nothing was changed.`,
    );
  const bundlePath = mountPathFor(posix.join(scriptsDir, BUNDLE_FILE), file.path, stack.root.path);

  let image = schema.image;
  if (image !== undefined && (!IMAGE_PATTERN.test(image) || image.length > 255)) {
    fail(
      `Invalid --image ${JSON.stringify(image)}: an image reference has no spaces or control characters (for example: postgres:16.2).`,
    );
  }
  // A new module's data is made by the major it first runs: that must be known, and stay.
  if (image !== undefined && !found && imageMajor(image) === null) {
    fail(
      `${unpinnedImageProblem(image)}. Give the major in the tag: ${generatorCommand('module')} --id ${id} --image ${withMajor(image)} (or the major you need; db-up has embedded-postgres ${Object.keys(EMBEDDED_POSTGRES).join(', ')}). Nothing was changed.`,
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

  // `!simple` is updated within its params, or converted to the full module with --convert.
  let variant = found?.variant ?? 'full';
  let ref = found?.ref;
  if (schema.convert) {
    if (found?.variant !== 'simple')
      fail(
        `--convert turns a ${SIMPLE_MODULE} module into the full polytope/postgres; module '${id}' is ${found ? `already '${found.ref}'` : 'new'}. Leave --convert out.`,
      );
    variant = 'full';
    ref = fullRef(found.ref);
    // Without `image`, !simple runs its own default and the full module another major: written
    // out, the data keeps the major it was made with.
    if (image === undefined && found.existing.image === undefined) {
      image = MODULE_DEFAULT_IMAGE.simple;
      notes.push(
        `Module '${id}' named no image, so it ran ${SIMPLE_MODULE}'s default, ${image}; the full module's default is another major (${MODULE_DEFAULT_IMAGE.full}), so image: ${image} is written out, and its data keeps its major.`,
      );
    }
  } else if (variant === 'simple') {
    // Only what the user gave counts: a flag left at false (or a default Nx filled in) asks for nothing.
    const given = SIMPLE_OPTIONS.filter((o) => schema[o] !== undefined && schema[o] !== false);
    if (given.length)
      fail(
        `Module '${id}' is ${found!.ref}, which takes only image, scripts, data-volume and restart, so ${given.map((o) => `--${o}`).join(', ')} cannot apply. Add --convert to turn it into the full polytope/postgres (its data volume stays), or leave ${given.length > 1 ? 'them' : 'it'} out.`,
      );
  }

  const { projectName, projectExists } = chooseProject(tree, id, scriptsDir);
  const freshVolume = dataLocation(schema, found, id, image, warnings, notes, projectName);
  const existingAuth =
    found?.variant === 'simple'
      ? 'trust'
      : envValue(found?.existing ?? null, 'POSTGRES_HOST_AUTH_METHOD');
  const auth: AuthMethod =
    variant === 'simple' ? 'trust' : resolveAuth(schema, existingAuth, warnings, !!found);
  if (variant === 'simple')
    notes.push(
      `${SIMPLE_MODULE} always uses trust authentication, service id 'postgres', user and database 'postgres'.`,
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

  if (
    schema.template !== undefined &&
    schema.template !== 'none' &&
    !ID_PATTERN.test(schema.template)
  )
    fail(
      `Invalid --template '${schema.template}': use a template id (a-z, 0-9, '_', '-') or none.`,
    );
  const entry = chooseEntryPoint(stack, id, schema.template);

  const kept = keptValues(found, variant, warnings, id);
  // A re-run finds the keys written already; what the data was created with is in the marker.
  const defaults: KeptDefaults = found
    ? { ...(record?.defaults ?? {}), ...kept.defaults }
    : kept.defaults;
  const { oldPassword, fromFiles } = kept;
  const adopted = readAdoptedScripts(tree, found, bundlePath, stack, file, id, !!record);
  // An existing module without `service-id` (and every !simple one) is reached at `postgres`, the
  // module's default: written out, so that apps keep their host name and db-values sets it.
  const serviceId =
    schema.serviceId ??
    (!found ? defaultServiceId(id) : found.existing.serviceId ? undefined : MODULE_SERVICE_ID);
  checkServiceIds(
    stack,
    id,
    variant === 'simple'
      ? MODULE_SERVICE_ID
      : (serviceId ?? found?.existing.serviceId ?? MODULE_SERVICE_ID),
    !found,
    warnings,
  );
  const settings: ModuleSettings = {
    id,
    image,
    serviceId,
    volumeId: schema.volumeId,
    auth,
    restart: schema.restart,
    maxRestarts: schema.maxRestarts,
    tuning,
    initdbArgs: schema.initdbArgs,
    walDir: schema.walDir === undefined ? undefined : walDirPath(schema.walDir),
    bundlePath,
    extraEnv: [],
    info: infoInStyle(stack),
    variant,
    ref,
    freshVolume,
  };
  const migrationStep = planMigrationStep(
    tree,
    { migrations: schema.migrations, id, isNew: !found, scriptsDir, file, stack },
    notes,
  );
  return {
    settings,
    migrationStep,
    file,
    stack,
    found,
    entry,
    newInclude,
    scriptsDir,
    projectName,
    projectExists,
    warnings,
    notes,
    defaults,
    fromFiles,
    oldPassword,
    adopted,
    adoptedModule: record ? isAdopted(record) : !!found,
    skipFormat: !!schema.skipFormat,
    addPlugin: schema.addPlugin,
  };
}

/** Module ids whose env names (and client files) would be the same: `orders-db` and `orders_db`. */
function checkPrefixes(stack: Stack, databases: { module: string }[], id: string): void {
  const others = new Set([
    ...stack.files.flatMap((f) => postgresModuleIds(f)),
    ...databases.map((d) => d.module),
  ]);
  for (const other of others) {
    if (other !== id && envPrefix(other) === envPrefix(id))
      fail(
        `Module id '${id}' and the existing module '${other}' both name their settings ${envPrefix(id) || '(no prefix)'}POSTGRES_… (and the same client file), so an app could connect to the wrong database. Choose another --id.`,
      );
  }
}

/**
 * Two servers in one stack cannot answer to one host name. A new module the generator would put on
 * a taken service id is refused; an existing clash is named, with the way out.
 */
function checkServiceIds(
  stack: Stack,
  id: string,
  serviceId: string,
  isNew: boolean,
  warnings: string[],
): void {
  for (const f of stack.files) {
    for (const other of postgresModuleIds(f)) {
      if (other === id) continue;
      const m = findPostgresModule(f, other);
      const theirs =
        !m || m.variant === 'simple'
          ? MODULE_SERVICE_ID
          : (m.existing.serviceId ?? MODULE_SERVICE_ID);
      if (theirs !== serviceId) continue;
      const fix = `${generatorCommand('module')} ${id} --serviceId ${defaultServiceId(id) === serviceId ? `${defaultServiceId(id)}-db` : defaultServiceId(id)}`;
      if (isNew)
        fail(
          `Module '${id}' would get service id '${serviceId}', which module '${other}' (${f.path}) has already: two servers cannot share one host name in a stack. Give it its own: ${fix}. Nothing was changed.`,
        );
      warnings.push(
        `Modules '${id}' and '${other}' (${f.path}) both have service id '${serviceId}': in one stack they clash, and apps may reach the wrong server. Give '${id}' its own with ${fix} (then point its apps' ${id}-host value at it), or change the service-id of '${other}'.`,
      );
    }
  }
}

/** The module's `info`, quoted as the file's other `info` lines are. */
function infoInStyle(stack: Stack): RawScalar {
  const text = moduleInfo();
  const styles: (string | undefined)[] = [];
  for (const f of stack.files) {
    if (!f.root) continue;
    visit(f.root, {
      Pair(_, pair) {
        if (isScalar(pair.key) && pair.key.value === 'info' && isScalar(pair.value))
          styles.push(pair.value.type);
      },
    });
  }
  const single = styles.filter((s) => s === 'QUOTE_SINGLE').length;
  const double = styles.filter((s) => s === 'QUOTE_DOUBLE').length;
  return scalarInStyle(text, single > double ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE');
}

function resolveAuth(
  schema: ModuleGeneratorSchema,
  existing: string | undefined,
  warnings: string[],
  hasData = false,
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
      'The module used POSTGRES_HOST_AUTH_METHOD=trust; it now uses scram-sha-256 with the password secret. Keep trust with --auth=trust --allowTrust.' +
        (hasData
          ? ' The image applies it only to a new data volume: an existing one keeps its pg_hba.conf (trust) and may have no superuser password; set one with db-values --rotatePassword, then change pg_hba.conf.'
          : ''),
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

export function logWarnings(warnings: string[]): void {
  for (const w of warnings) logger.warn(w);
}
