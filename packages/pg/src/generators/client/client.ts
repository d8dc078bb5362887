import {
  addDependenciesToPackageJson,
  formatFiles,
  generateFiles,
  GeneratorCallback,
  joinPathFragments,
  logger,
  readJson,
  Tree,
} from '@nx/devkit';
import { join, posix } from 'node:path';
import { setAppEnv } from '../../polytope/app-module';
import { EnvEntry, valueKeys } from '../../polytope/postgres-module';
import { ASYNCPG, PG_VERSION, PSYCOPG2, TYPES_PG_VERSION } from '../../utils/versions';
import { addClientToProject } from '../../workspace/client-project';
import { readClientMarker } from '../../workspace/markers';
import { registerPlugin, shouldAddPlugin } from '../../workspace/registration';
import { planPythonDependency } from '../../workspace/python-dependencies';
import { roleKeys } from '../../postgres/role-keys';
import { normalizeOptions, NormalizedClientOptions } from './normalize-options';
import { installCommand, pythonManager, recordedEnvFile, runCommand } from './test-command';
import { ClientGeneratorSchema } from './schema';

export async function clientGenerator(
  tree: Tree,
  schema: ClientGeneratorSchema,
): Promise<GeneratorCallback> {
  const o = await normalizeOptions(tree, schema);
  // Every edit that can fail on a bad file is worked out first: an error then leaves no file changed.
  const polytopeText = o.appModule ? setAppEnv(o.file, o.appModule, appEnv(o)) : o.file.text;
  const pythonEdit =
    o.skipDependency || o.language === 'node'
      ? null
      : planPythonDependency(tree, o.root, o.language === 'asyncpg' ? ASYNCPG : PSYCOPG2);
  readClientMarker(tree, o.root);

  const kept = writeConnectionFile(tree, o);
  if (pythonEdit?.text) tree.write(pythonEdit.path, pythonEdit.text);
  const install = o.skipDependency || o.language !== 'node' ? () => undefined : addPg(tree, o);
  if (polytopeText !== o.file.text) tree.write(o.file.path, polytopeText);
  // With inference the targets come from the app's marker; otherwise they are written out.
  const explicit = !shouldAddPlugin(tree, o.addPlugin);
  if (!explicit) registerPlugin(tree);
  const { foreignTargets } = addClientToProject(
    tree,
    o.project,
    o.db.module,
    o.databaseProject,
    explicit,
    o.role?.name,
  );
  if (!o.skipFormat) await formatFiles(tree);
  report(tree, o, kept, foreignTargets, pythonEdit);
  return install;
}

/** Renders the connection file; an existing one is the user's now, and is replaced only with --force. */
function writeConnectionFile(tree: Tree, o: NormalizedClientOptions): boolean {
  if (tree.exists(o.path) && !o.force) return true;
  generateFiles(tree, join(__dirname, 'files', o.template), posix.dirname(o.path), o.substitutions);
  return false;
}

function addPg(tree: Tree, o: NormalizedClientOptions): GeneratorCallback {
  const appJson = joinPathFragments(o.root, 'package.json');
  const packageJson = tree.isFile(appJson) ? appJson : 'package.json';
  const json = readJson(tree, packageJson);
  const has = (name: string) =>
    ['dependencies', 'devDependencies', 'peerDependencies'].some((k) => json[k]?.[name]);
  const deps: Record<string, string> = has('pg') ? {} : { pg: PG_VERSION };
  const devDeps: Record<string, string> =
    o.template === 'node-ts' && !has('@types/pg') ? { '@types/pg': TYPES_PG_VERSION } : {};
  return addDependenciesToPackageJson(tree, deps, devDeps, packageJson, true);
}

/** The env entries that give the app the database's values and secrets inside the stack. */
function appEnv(o: NormalizedClientOptions): EnvEntry[] {
  const k = valueKeys(o.db.module);
  const base: EnvEntry[] = [
    { name: o.env.host, value: `pt.value ${k.values.host}` },
    { name: o.env.port, value: `pt.value ${k.values.port}` },
  ];
  if (o.role) {
    // Least privilege: the role's own secrets and database, never the superuser's.
    const r = roleKeys(o.db.module, o.role.name);
    return [
      ...base,
      { name: o.env.database, value: `pt.value ${r.database}` },
      { name: o.env.user, value: `pt.secret ${r.username}` },
      { name: o.env.password, value: `pt.secret ${r.password}` },
    ];
  }
  const entries: EnvEntry[] = [
    ...base,
    { name: o.env.database, value: `pt.value ${k.values.database}` },
    { name: o.env.user, value: `pt.secret ${k.secrets.username}` },
  ];
  // A trust module has no password secret to reference.
  if (!o.trust) entries.push({ name: o.env.password, value: `pt.secret ${k.secrets.password}` });
  return entries;
}

function report(
  tree: Tree,
  o: NormalizedClientOptions,
  kept: boolean,
  foreignTargets: string[],
  pythonEdit: { path: string; text: string | null } | null,
): void {
  if (kept) {
    logger.info(`${o.path} exists; it was kept. Use --force to write it afresh.`);
  }
  for (const t of foreignTargets) {
    logger.warn(`Target '${t}' of '${o.project}' runs another executor; it was left as it is.`);
  }
  if (pythonEdit?.text) {
    const manager = pythonManager(tree, o.root);
    logger.info(
      `Added ${o.language === 'asyncpg' ? 'asyncpg' : 'psycopg2-binary'} to ${pythonEdit.path}; lock and install it with: ${installCommand(manager, o.root, pythonEdit.path)}`,
    );
  }
  const envFile = recordedEnvFile(tree, o.db.root);
  const dbProject = o.databaseProject ?? o.db.module;
  const first = envFile
    ? ''
    : `first write this machine's env file: nx run ${dbProject}:db-values --envFile .env.${o.db.module} --exposedPort <port>; then `;
  logger.info(
    `Connection code for '${o.db.module}' in ${o.path}${o.role ? `, as role '${o.role.name}'` : ''}; to test it, ${first}run (it prints "ok <version>"):\n  ${runCommand(tree, o, envFile ?? `.env.${o.db.module}`)}`,
  );
  if (o.appModule) {
    logger.info(`The env of module '${o.appModule}' in ${o.file.path} references the database.`);
  } else {
    const lines = appEnv(o).map((e) => `  - { name: ${e.name}, value: ${e.value} }`);
    logger.info(
      [
        `No module in ${o.file.path} runs '${o.project}' (looked for id '${o.project}'; name it with --polytopeModule). Give the module that runs it this env:`,
        ...lines,
      ].join('\n'),
    );
  }
  if (o.role)
    logger.info(
      `Set the role's keys with: nx run ${dbProject}:db-values (its username, database and password secret).`,
    );
}

export default clientGenerator;
