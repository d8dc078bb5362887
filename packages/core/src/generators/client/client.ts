import { logger } from '../../utils/logger';
import {
  addDependenciesToPackageJson,
  readJson,
  updateJson,
  formatFiles,
  generateFiles,
  GeneratorCallback,
  Tree,
} from '../../tree/tree-api';
import { join, posix } from 'node:path';
import { setAppEnv } from '../../polytope/app-module';
import { EnvEntry, refTo } from '../../polytope/postgres-module';
import {
  ASYNCPG,
  PG_VERSION,
  PSYCOPG2,
  TYPES_NODE_VERSION,
  TYPES_PG_VERSION,
  TYPESCRIPT_VERSION,
} from '../../utils/versions';
import {
  appPackageJson,
  declaredVersion,
  installedPackageJson,
} from '../../workspace/node-dependencies';
import { addClientToProject } from '../../workspace/client-project';
import { readClientMarker } from '../../workspace/markers';
import { planPythonDependency } from '../../workspace/python-dependencies';
import { roleKeys } from '../../postgres/role-keys';
import { tense } from '../../utils/dry-run';
import { normalizeOptions, NormalizedClientOptions } from './normalize-options';
import { installCommand, pythonManager, recordedEnvFile, runCommand } from './test-command';
import { ClientGeneratorSchema } from './schema';
import { targetCommand } from '../../utils/commands';

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
  const explicit = !tree.host.shouldAddPlugin(o.addPlugin);
  if (!explicit) tree.host.registerPlugin();
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

/**
 * pg for the app, and what the printed TypeScript check needs (typescript, @types/node, @types/pg),
 * in the package.json the install at the root really installs. An app's own package.json outside
 * the workspaces lists pg too, as its dependency; the root's gets the same version.
 */
function addPg(tree: Tree, o: NormalizedClientOptions): GeneratorCallback {
  const installed = installedPackageJson(tree, o.root);
  const own = appPackageJson(tree, o.root);
  const missing = (versions: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(versions).filter(([name]) => !declaredVersion(tree, installed, name)),
    );
  const dev: Record<string, string> =
    o.template === 'node-ts'
      ? {
          typescript: TYPESCRIPT_VERSION,
          '@types/node': TYPES_NODE_VERSION,
          '@types/pg': TYPES_PG_VERSION,
        }
      : {};
  let pg = PG_VERSION;
  const files = [...new Set([installed, ...(own ? [own] : [])])];
  const hadKeys = files.map((f) => Object.keys(readJson(tree, f)));
  if (own && own !== installed) {
    const ownPg = declaredVersion(tree, own, 'pg');
    if (ownPg) pg = ownPg;
    else addDependenciesToPackageJson(tree, { pg }, {}, own, true);
  }
  const install = addDependenciesToPackageJson(
    tree,
    missing({ pg }),
    missing(dev),
    installed,
    true,
  );
  // Nx adds both dependency lists even when one stays empty: a `{}` the file did not have goes.
  files.forEach((f, i) =>
    updateJson(tree, f, (json) => {
      for (const key of ['dependencies', 'devDependencies'])
        if (!hadKeys[i].includes(key) && JSON.stringify(json[key]) === '{}') delete json[key];
      return json;
    }),
  );
  return install;
}

/** The env entries that give the app the database's values and secrets inside the stack. */
function appEnv(o: NormalizedClientOptions): EnvEntry[] {
  // The keys the server reads, by the names the module gives them.
  const k = o.keys;
  const base: EnvEntry[] = [
    { name: o.env.host, value: refTo(k.host) },
    { name: o.env.port, value: refTo(k.port) },
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
    { name: o.env.database, value: refTo(k.database) },
    { name: o.env.user, value: refTo(k.username) },
  ];
  // A trust module has no password secret to reference.
  if (!o.trust) entries.push({ name: o.env.password, value: refTo(k.password) });
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
    logger.info(
      `${o.path} exists; ${tense('it was kept', 'it would be kept')}. Use --force to write it afresh.`,
    );
  }
  for (const t of foreignTargets) {
    logger.warn(
      `Target '${t}' of '${o.project}' runs another executor; ${tense('it was left as it is', 'it would be left as it is')}.`,
    );
  }
  if (pythonEdit?.text) {
    const manager = pythonManager(tree, o.root);
    logger.info(
      `${tense('Added', 'Would add')} ${o.language === 'asyncpg' ? 'asyncpg' : 'psycopg2-binary'} to ${pythonEdit.path}; then lock and install it with: ${installCommand(manager, o.root, pythonEdit.path)}`,
    );
  }
  const envFile = recordedEnvFile(tree, o.db.root);
  const dbProject = o.databaseProject ?? o.db.module;
  // An adopted module's data may have a password already: the env file must hold that one, since
  // db-values later gives the stack the env file's password (a generated one would lock it out).
  if (!envFile)
    logger.info(
      `No env file is recorded for '${o.db.module}' on this machine yet. Write one and start the database here (port 5432; db-values --exposedPort gives another):\n  ${targetCommand(dbProject, 'db-values', `--envFile .env.${o.db.module} --noPt${o.adopted ? '' : ' --generatePassword'}`)} && ${targetCommand(dbProject, 'db-up')}${o.adopted && !o.trust ? `\n  (the module existed before @acme/pg, so no password is generated: db-values takes the one its data was created with, from ${o.env.password} or its prompt; db-values later sets the stack's password secret, when unset, from the env file, and a generated one would not match that data)` : ''}`,
    );
  logger.info(
    `${kept ? 'Connection code' : tense('Wrote connection code', 'Would write connection code')} for '${o.db.module}' in ${o.path}${o.role ? `, as role '${o.role.name}'` : ''}; to test it, ${envFile ? '' : 'then '}run (it prints "ok <version>"):\n  ${runCommand(tree, o, envFile ?? `.env.${o.db.module}`)}`,
  );
  if (o.appModule) {
    logger.info(
      `The env of module '${o.appModule}' in ${o.file.path} ${tense('references', 'would reference')} the database.`,
    );
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
      `Set the role's keys in pt (its username, database and password secret):\n  ${targetCommand(dbProject, 'db-values')}`,
    );
}

export default clientGenerator;
