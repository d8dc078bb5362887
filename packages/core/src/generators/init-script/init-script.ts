import { logger } from '../../utils/logger';
import {
  formatFiles,
  generateFiles,
  getProjects,
  joinPathFragments,
  readJson,
  Tree,
  writeJson,
} from '../../tree/tree-api';
import { join, posix } from 'node:path';
import { listScripts, nextScriptName, updateBundle } from '../../init-scripts/folder';
import { roleEnvName, roleSecretKey } from '../../polytope/postgres-module';
import { findPostgresModule, setModuleEnv } from '../../polytope/upsert-module';
import { tense } from '../../utils/dry-run';
import { fail } from '../../utils/errors';
import { askChoice, askText, canAsk, Choice } from '../../utils/prompt';
import { chooseDatabase, MARKER_FILE } from '../../workspace/markers';
import { moduleToUse } from '../ask-module';
import { readPolytopeFile } from '../module/normalize-options';
import { InitScriptGeneratorSchema } from './schema';
import { generatorCommand, targetCommand } from '../../utils/commands';

const NAME = /^[a-z0-9][a-z0-9_-]{0,49}$/;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
type Kind = NonNullable<InitScriptGeneratorSchema['kind']>;
export const KINDS: readonly Choice<Kind>[] = [
  { value: 'empty', hint: 'a commented skeleton to fill in' },
  { value: 'database-user', hint: 'a login role and a database it owns, password from a secret' },
  { value: 'schema', hint: 'CREATE SCHEMA, for the app to fill' },
];
const NAME_RULE = "1 to 50 characters from a-z, 0-9, '_' and '-', starting with a letter or digit";

export async function initScriptGenerator(
  tree: Tree,
  schema: InitScriptGeneratorSchema,
): Promise<void> {
  const o = await normalizeOptions(tree, schema);
  generateFiles(tree, join(__dirname, 'files', o.kind), o.db.root, {
    ...o.substitutions,
    fileName: posix.basename(o.path),
    template: '',
  });
  if (o.kind === 'database-user') {
    recordRole(tree, o.db.root, o.substitutions.role, o.substitutions.database);
    const file = readPolytopeFile(tree, o.db.polytopeFile);
    const text = setModuleEnv(file, o.db.module, [
      { name: o.substitutions.envName, value: `pt.secret ${o.substitutions.secretKey}` },
    ]);
    if (text !== file.text) tree.write(file.path, text);
  }
  updateBundle(tree, o.db.root);
  if (!schema.skipFormat) await formatFiles(tree);
  logger.info(
    tense(
      `Added ${o.path}; the init bundle of ${o.db.root} is rebuilt.`,
      `Would add ${o.path}, and rebuild the init bundle of ${o.db.root}.`,
    ),
  );
  logger.info(
    `Init scripts run only when the data volume is empty (the first start). To apply this one to a running database:\n  ${targetCommand(o.project, 'db-psql', `-- -f ${o.path}`)}`,
  );
  if (o.kind === 'database-user') {
    logger.info(
      [
        `The role's password is the secret ${o.substitutions.secretKey}: ${targetCommand(o.project, 'db-values')} sets it (--generatePassword makes one), or pt secrets set ${o.substitutions.secretKey} --stdin.`,
        `db-psql passes it to the script as ${o.substitutions.envName} from the env file (db-values --envFile) or your environment.`,
        connectHint(tree, o.db.root, o.substitutions.role),
      ].join('\n'),
    );
  }
}

/** How to connect an app as the role, with the name of an application of the workspace. */
function connectHint(tree: Tree, dbRoot: string, role: string): string {
  const apps = [...getProjects(tree)]
    .filter(
      ([name, c]) => c.projectType === 'application' && c.root !== dbRoot && !/-e2e$/.test(name),
    )
    .map(([name]) => name)
    .sort();
  if (!apps.length)
    return `Connect an app as the role: ${generatorCommand('client')} with the app's name and --role ${role}.`;
  const others = apps.length > 1 ? ` (or ${apps.slice(1).join(', ')})` : '';
  return `Connect an app as the role, for example ${apps[0]}${others}:\n  ${generatorCommand('client')} ${apps[0]} --role ${role}`;
}

/** The database marker lists the roles its scripts make, for client --role and db-values. */
function recordRole(tree: Tree, root: string, role: string, database: string): void {
  const path = joinPathFragments(root, MARKER_FILE);
  const marker = readJson(tree, path);
  const roles = marker.roles && typeof marker.roles === 'object' ? marker.roles : {};
  writeJson(tree, path, { ...marker, roles: { ...roles, [role]: { database } } });
}

/** What is wrong with a script name (the rule, a suggestion, or the script it clashes with). */
export function nameProblem(tree: Tree, root: string, name: string): string | undefined {
  if (!NAME.test(name)) {
    const slug = name
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^[-_]+|-+$/g, '')
      .slice(0, 50);
    return `Invalid script name '${name}': use ${NAME_RULE}${slug ? ` (for example: ${slug})` : ''}.`;
  }
  const clash = listScripts(tree, root).find((f) => f.replace(/^\d+-/, '') === `${name}.sql`);
  if (clash) return `${root}/${clash} exists already; choose another name, or edit that script.`;
  return undefined;
}

async function normalizeOptions(tree: Tree, schema: InitScriptGeneratorSchema) {
  const db = chooseDatabase(tree, schema.module ?? (await moduleToUse(tree)));
  const file = readPolytopeFile(tree, db.polytopeFile);
  const found = findPostgresModule(file, db.module);
  if (!found) {
    fail(
      `Module '${db.module}' is recorded in ${db.root} but missing from ${db.polytopeFile}. Run \`${generatorCommand('module')} --id ${db.module}\` to add it back.`,
    );
  }
  const name = schema.name ?? (await askName(tree, db.root));
  const problem = nameProblem(tree, db.root, name);
  if (problem) fail(problem);
  if (schema.kind !== undefined && !KINDS.some((k) => k.value === schema.kind))
    fail(`Invalid --kind '${schema.kind}': use empty, database-user or schema.`);
  const kind =
    schema.kind ?? (canAsk() ? await askChoice('What should the script do?', KINDS) : 'empty');

  const ident = name.replace(/-/g, '_');
  const role = schema.role ?? ident;
  const database = schema.database ?? role;
  const schemaName = schema.schema ?? ident;
  for (const [option, value] of [
    ['role', role],
    ['database', database],
    ['schema', schemaName],
  ] as const) {
    if (!IDENTIFIER.test(value)) {
      fail(
        `Invalid --${option} '${value}': use a lower-case identifier (a-z, 0-9, '_', starting with a letter or '_', at most 63 characters).`,
      );
    }
  }
  if (kind === 'database-user') {
    if (found.variant === 'simple')
      fail(
        `Module '${db.module}' is ${found.ref}, which takes no env for the role's password. Turn it into the full module first: ${generatorCommand('module')} --id ${db.module} --convert.`,
      );
    if (role === 'postgres')
      fail(
        "Invalid --role 'postgres': that is the superuser's name; choose a role for the application.",
      );
  }
  const path = nextScriptName(tree, db.root, name);
  const project = [...getProjects(tree)].find(([, c]) => c.root === db.root)?.[0] ?? db.module;
  return {
    kind,
    db,
    path,
    project,
    substitutions: {
      moduleId: db.module,
      project,
      path,
      role,
      database,
      schema: schemaName,
      envName: roleEnvName(role),
      secretKey: roleSecretKey(db.module, role),
    },
  };
}

async function askName(tree: Tree, root: string): Promise<string> {
  if (!canAsk()) fail(`Name the script: ${generatorCommand('init-script')} <name> (${NAME_RULE}).`);
  return askText(`What should the init script be called? (${NAME_RULE})`, (value) =>
    nameProblem(tree, root, value),
  );
}

export default initScriptGenerator;
