import { getProjects, joinPathFragments, readJson, Tree } from '../../tree/tree-api';
import { posix } from 'node:path';
import { hasAppModule } from '../../polytope/app-module';
import { ID_PATTERN, PolytopeFile } from '../../polytope/polytope-file';
import {
  envValue,
  ExistingArgs,
  moduleKeys,
  ModuleKeys,
  roleEnvName,
} from '../../polytope/postgres-module';
import { findPostgresModule } from '../../polytope/upsert-module';
import { connectionEnvNames, ConnectionEnvNames, localHosts } from '../../postgres/env-names';
import { AppRole } from '../../postgres/settings';
import { fail } from '../../utils/errors';
import { workspacePath } from '../../utils/paths';
import { askChoice, canAsk } from '../../utils/prompt';
import {
  chooseDatabase,
  DatabaseProjectRef,
  isAdopted,
  readClientMarker,
} from '../../workspace/markers';
import { moduleToUse } from '../ask-module';
import { readPolytopeFile } from '../module/normalize-options';
import { askProject } from './choose-project';
import { detectLanguage, hasTsConfig, sourceFiles } from './detect-language';
import { LANGUAGES, parseLanguage } from './languages';
import { ClientGeneratorSchema, ClientLanguage } from './schema';
import { generatorCommand } from '../../utils/commands';

const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export interface NormalizedClientOptions {
  project: string;
  root: string;
  language: ClientLanguage;
  /** Which template: python, asyncpg, node-ts or node-js. */
  template: string;
  /** The connection file, relative to the workspace root. */
  path: string;
  db: DatabaseProjectRef;
  databaseProject: string | undefined;
  file: PolytopeFile;
  /** The app's module in polytope.yml, when it has one. */
  appModule: string | undefined;
  trust: boolean;
  /** The keys the module reads (its own names, when it had them): the app's env references these. */
  keys: ModuleKeys;
  /** The module was adopted: its data may exist, made with a password no generated one matches. */
  adopted: boolean;
  env: ConnectionEnvNames;
  /** The least-privilege role it connects as (--role), made by a database-user init script. */
  role?: AppRole;
  substitutions: Record<string, unknown>;
  force: boolean;
  skipDependency: boolean;
  skipFormat: boolean;
  addPlugin?: boolean;
}

export async function normalizeOptions(
  tree: Tree,
  schema: ClientGeneratorSchema,
): Promise<NormalizedClientOptions> {
  const projects = getProjects(tree);
  const asked = schema.project ?? (await askProject(tree, projects));
  const config =
    typeof asked === 'string'
      ? (projects.get(asked) ?? tree.host.folderProject?.(asked))
      : undefined;
  // Given by its folder (an app with no project file, without Nx): named as its folder is.
  const project = config?.name ?? asked;
  if (!config) {
    const names = [...projects.keys()].sort();
    const list = names.length > 15 ? `${names.slice(0, 15).join(', ')}, …` : names.join(', ');
    fail(
      `Unknown project '${project ?? ''}'. Choose one of this workspace's projects${names.length ? `: ${list}` : ' (there are none yet)'}.`,
    );
  }
  if (schema.module !== undefined && !ID_PATTERN.test(schema.module))
    fail(`Invalid --module '${schema.module}': module ids use only a-z, 0-9, '_' and '-'.`);
  if (schema.polytopeModule !== undefined && !ID_PATTERN.test(schema.polytopeModule)) {
    fail(
      `Invalid --polytopeModule '${schema.polytopeModule}': module ids use only a-z, 0-9, '_' and '-'.`,
    );
  }
  const given = schema.language === undefined ? undefined : parseLanguage(schema.language);

  const db = chooseDatabase(
    tree,
    schema.module ??
      (await moduleToUse(tree, () => readClientMarker(tree, config.root)?.modules ?? [])),
  );
  const root = config.root;
  if (root === db.root) {
    fail(
      `'${project}' is the project of the database '${db.module}' itself; give the app that connects to it.`,
    );
  }
  if (!tree.exists(db.polytopeFile)) {
    fail(
      `${db.polytopeFile} does not exist, but ${db.root}/acme-pg.json says module '${db.module}' is in it. Run \`${generatorCommand('module')} --id ${db.module}\` to write it.`,
    );
  }
  const file = readPolytopeFile(tree, db.polytopeFile);
  const found = findPostgresModule(file, db.module);
  if (!found) {
    fail(
      `Module '${db.module}' is recorded in ${db.root} but missing from ${db.polytopeFile}. Run \`${generatorCommand('module')} --id ${db.module}\` to add it back.`,
    );
  }
  const appModule = chooseAppModule(file, schema.polytopeModule, project);
  const role = schema.role === undefined ? undefined : chooseRole(db, found.existing, schema.role);
  const language = given ?? detectLanguage(tree, root) ?? (await askLanguage(project));

  const typescript =
    language === 'node' && (hasTsConfig(tree, root) || sourceFiles(tree, root).typescript);
  const template = language === 'node' ? (typescript ? 'node-ts' : 'node-js') : language;
  const dir =
    schema.directory !== undefined
      ? workspacePath(tree.root, posix.join(root, schema.directory), 'directory')
      : language === 'node'
        ? (config.sourceRoot ?? joinPathFragments(root, 'src'))
        : pythonSourceDir(tree, root, project);
  const serviceId = found.existing.serviceId ?? db.module;
  if (!HOST_NAME.test(serviceId)) {
    fail(
      `${file.path}: service-id '${serviceId}' of module '${db.module}' is not a host name (a-z, 0-9 and '-'); fix it with \`${generatorCommand('module')} --id ${db.module} --serviceId <name>\`.`,
    );
  }
  const env = connectionEnvNames(db.module);
  const path = joinPathFragments(dir, fileName(language, typescript, db.module));
  const databaseProject = [...projects].find(([, c]) => c.root === db.root)?.[0];

  return {
    project,
    root,
    language,
    template,
    path,
    db,
    databaseProject,
    file,
    appModule,
    trust: envValue(found.existing, 'POSTGRES_HOST_AUTH_METHOD') === 'trust',
    keys: moduleKeys(db.module, found.existing.env),
    adopted: isAdopted(db),
    env,
    role,
    substitutions: {
      moduleId: db.module,
      serviceId,
      env,
      localHosts: localHosts(serviceId),
      esm: isEsm(tree, root),
      exp: isEsm(tree, root) ? 'export ' : '',
      fileName: posix.basename(path),
      // application_name: the project's name, as a string literal of each language.
      pythonAppName: pythonAppName(project),
      jsAppName: `'${project.replace(/[\\']/g, (c) => `\\${c}`)}'`,
      template: '',
    },
    force: schema.force ?? false,
    skipDependency: schema.skipDependency ?? false,
    skipFormat: schema.skipFormat ?? false,
    addPlugin: schema.addPlugin,
  };
}

const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;

/** The role an app connects as: one that a database-user init script of the module makes. */
function chooseRole(db: DatabaseProjectRef, module: ExistingArgs, role: string): AppRole {
  if (!ROLE.test(role))
    fail(
      `Invalid --role '${role}': use the lower-case role name of a database-user init script (a-z, 0-9, '_').`,
    );
  const passwordVar = roleEnvName(role);
  const made: { database?: string } | undefined =
    db.roles?.[role] ?? (envValue(module, passwordVar) !== undefined ? {} : undefined);
  if (!made) {
    const known = Object.keys(db.roles ?? {});
    fail(
      `No init script of module '${db.module}' makes the role '${role}'${known.length ? ` (its roles: ${known.join(', ')})` : ''}. Create it first: ${generatorCommand('init-script')} ${role.replace(/_/g, '-')} --kind database-user --role ${role}${db.module === 'postgres' ? '' : ` --module ${db.module}`}`,
    );
  }
  return { name: role, database: made.database ?? role, passwordVar };
}

/** db.py / src/db.ts for the module `postgres`; db_<id>.py / db-<id>.ts for any other. */
function fileName(language: ClientLanguage, typescript: boolean, moduleId: string): string {
  if (language === 'node') {
    const ext = typescript ? 'ts' : 'js';
    return moduleId === 'postgres' ? `db.${ext}` : `db-${moduleId.replace(/_/g, '-')}.${ext}`;
  }
  return moduleId === 'postgres' ? 'db.py' : `db_${moduleId.replace(/-/g, '_')}.py`;
}

function chooseAppModule(
  file: PolytopeFile,
  given: string | undefined,
  project: string,
): string | undefined {
  if (given !== undefined) {
    if (!hasAppModule(file, given)) {
      fail(
        `There is no module '${given}' in ${file.path} to give the database's env to; check --polytopeModule, or leave it out.`,
      );
    }
    return given;
  }
  return ID_PATTERN.test(project) && hasAppModule(file, project) ? project : undefined;
}

/** The app's package (a folder with __init__.py, preferring the project's name), else src, else the root. */
function pythonSourceDir(tree: Tree, root: string, project: string): string {
  const want = project.toLowerCase().replace(/[-.]/g, '_');
  for (const base of [joinPathFragments(root, 'src'), root]) {
    if (!tree.exists(base) || tree.isFile(base)) continue;
    const packages = tree
      .children(base)
      .filter(
        (d) => !/^(tests?|\.|_)/.test(d) && tree.isFile(joinPathFragments(base, d, '__init__.py')),
      )
      .sort();
    const pick =
      packages.find((p) => p === want) ?? (packages.length === 1 ? packages[0] : undefined);
    if (pick) return joinPathFragments(base, pick);
  }
  const src = joinPathFragments(root, 'src');
  return tree.exists(src) && !tree.isFile(src) ? src : root;
}

/** ES modules when the app's package.json (or the workspace's, when it has none) says "type": "module". */
function isEsm(tree: Tree, root: string): boolean {
  for (const path of [joinPathFragments(root, 'package.json'), 'package.json']) {
    if (!tree.isFile(path)) continue;
    try {
      return readJson(tree, path).type === 'module';
    } catch {
      return false;
    }
  }
  return false;
}

async function askLanguage(project: string): Promise<ClientLanguage> {
  if (!canAsk())
    fail(
      `Cannot tell which client '${project}' needs from its files; give --language python (psycopg2), asyncpg or node (pg).`,
    );
  return askChoice(`Which client library should '${project}' use?`, LANGUAGES);
}

/**
 * `"name"` as black writes it (double quotes unless that needs more escapes), and a line flake8
 * passes: a string black cannot split is marked as the one long line it is.
 */
function pythonAppName(name: string): string {
  const json = JSON.stringify(name);
  const literal =
    name.includes('"') && !name.includes("'")
      ? `'${json.slice(1, -1).replace(/\\"/g, '"')}'`
      : json;
  return `APP_NAME = ${literal}`.length > 79 ? `${literal}  # noqa: E501` : literal;
}
