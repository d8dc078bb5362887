/** The plop generators: pg-module, pg-init-script and pg-client, each answerable by --args. */
import { posix } from 'node:path';
import { acmePg, FileTreeLike } from './acme-pg';
import { dropNxProjectFile, wireApp, wireDatabasePackage, wireTurboJson } from './turbo-wiring';

/** What the pack uses of plop's API (the `PlopTypes.NodePlopAPI` of @turbo/gen). */
export interface Plop {
  setGenerator(name: string, config: GeneratorConfig): void;
}

interface Prompt {
  type: 'input' | 'list';
  name: string;
  message: string;
  default?: string;
  choices?: { name: string; value: string }[];
  validate?: (value: string) => true | string;
}

type Answers = Record<string, string> & { turbo?: { paths?: { root?: string } } };

interface GeneratorConfig {
  description: string;
  prompts: Prompt[];
  actions: ((answers: Answers) => Promise<string>)[];
}

function rootOf(answers: Answers): string {
  return answers.turbo?.paths?.root ?? process.cwd();
}

/** Runs an @acme/pg generator on the repository, lets `then` add the Turborepo side, writes it all. */
async function run(
  answers: Answers,
  name: string,
  options: Record<string, unknown>,
  then: (tree: FileTreeLike, before: Set<string>) => string[],
): Promise<string> {
  const pg = acmePg();
  const tree = pg.newTree(rootOf(answers));
  const callback = await pg.generate.applyGenerator(pg.packageRoot, name, tree, {
    ...options,
    skipFormat: true,
  });
  const created = new Set(
    tree
      .listChanges()
      .filter((c) => c.type === 'CREATE')
      .map((c) => c.path),
  );
  const notes = then(tree, created);
  await pg.generate.finish(tree, callback);
  return [`@acme/pg:${name} done`, ...notes].join('\n');
}

const moduleArg = (answers: Answers) => answers['module'] || 'postgres';

export function generators(plop: Plop): void {
  plop.setGenerator('pg-module', {
    description:
      'Add or update the PostgreSQL module in polytope.yml; its folder sql/<id> becomes a package with db:* scripts',
    prompts: [
      {
        type: 'input',
        name: 'id',
        message: 'Module id (its folder is sql/<id>)',
        default: 'postgres',
        // The core's rule (the one `acme-pg g module` checks), for a folder that is an npm package.
        validate: (v) => acmePg().packageIdProblem(v, 'id') ?? true,
      },
      {
        type: 'input',
        name: 'image',
        message: 'PostgreSQL image (postgres:<major>; empty: the module default)',
        default: '',
      },
    ],
    actions: [
      (answers) =>
        run(
          answers,
          'module',
          { id: answers['id'], image: answers['image'] || undefined },
          (tree, created) => {
            const folder = databaseFolder(tree, answers['id']);
            dropNxProjectFile(tree, folder, created.has(posix.join(folder, 'project.json')));
            return [...wireDatabasePackage(tree, answers['id'], folder), ...wireTurboJson(tree)];
          },
        ),
    ],
  });

  plop.setGenerator('pg-init-script', {
    description: "Add the next-numbered SQL init script to a PostgreSQL module's folder",
    prompts: [
      {
        type: 'input',
        name: 'name',
        message: 'Script name (lower-case words joined by -)',
        validate: (v) =>
          /^[a-z0-9]+(-[a-z0-9]+)*$/.test(v) ||
          'Use lower-case letters and digits, words joined by - (app-user).',
      },
      {
        type: 'list',
        name: 'kind',
        message: 'What should the script do?',
        choices: [
          { name: 'Nothing yet: a commented skeleton', value: 'empty' },
          { name: 'Create a login role and a database it owns', value: 'database-user' },
          { name: 'Create a schema', value: 'schema' },
        ],
      },
      { type: 'input', name: 'module', message: 'Module id', default: 'postgres' },
    ],
    actions: [
      (answers) =>
        run(
          answers,
          'init-script',
          { name: answers['name'], kind: answers['kind'], module: moduleArg(answers) },
          () => [],
        ),
    ],
  });

  for (const [kind, what] of [
    ['migration', 'a dbmate migration, sql/<id>/migrations/<UTC time>_<name>.sql, for db:migrate'],
    ['seed', 'the next-numbered seed, sql/<id>/seeds/NNN-<name>.sql, for db:seed'],
  ])
    plop.setGenerator(`pg-${kind}`, {
      description: `Add ${what}`,
      prompts: [
        {
          type: 'input',
          name: 'name',
          message: `${kind === 'migration' ? 'Migration' : 'Seed'} name (a-z, 0-9, _ and -)`,
          // The rule of the Nx generator, which checks it again.
          validate: (v) =>
            /^[a-z0-9][a-z0-9_-]{0,79}$/.test(v) ||
            "1 to 80 characters from a-z, 0-9, '_' and '-', starting with a letter or digit.",
        },
        { type: 'input', name: 'module', message: 'Module id', default: 'postgres' },
      ],
      actions: [
        (answers) =>
          run(answers, kind, { name: answers['name'], module: moduleArg(answers) }, () => []),
      ],
    });

  plop.setGenerator('pg-client', {
    description:
      'Give an app its PostgreSQL connection code, its library, its env in polytope.yml and db:* scripts',
    prompts: [
      { type: 'input', name: 'project', message: 'The app: its package name or folder (apps/api)' },
      {
        type: 'list',
        name: 'language',
        message: 'Client library',
        choices: [
          { name: 'node: node-postgres (pg)', value: 'node' },
          { name: 'python: psycopg2', value: 'python' },
          { name: 'asyncpg: Python, asyncio', value: 'asyncpg' },
        ],
      },
      { type: 'input', name: 'module', message: 'Module id', default: 'postgres' },
    ],
    actions: [
      async (answers) => {
        const root = rootOf(answers);
        const pg = acmePg();
        const { name, folder } = appPackage(pg.newTree(root), answers['project']);
        const hadNx = !!JSON.parse(
          pg.newTree(root).read(posix.join(folder, 'package.json'), 'utf-8') ?? '{}',
        )['nx'];
        return run(
          answers,
          'client',
          { project: name, language: answers['language'], module: moduleArg(answers) },
          (tree) => [...wireApp(tree, folder, hadNx), ...wireTurboJson(tree)],
        );
      },
    ],
  });
}

/** The module's database folder: where the generator wrote its marker (sql/<id>, or adopted). */
function databaseFolder(tree: FileTreeLike, id: string): string {
  for (const c of tree.listChanges()) {
    if (posix.basename(c.path) !== 'acme-pg.json' || c.type === 'DELETE') continue;
    const marker = JSON.parse(tree.read(c.path, 'utf-8') ?? '{}');
    if (marker.kind === 'database' && marker.module === id) return posix.dirname(c.path);
  }
  return posix.join('sql', id);
}

/** An app given by package name or folder: its package name (the project) and its folder. */
function appPackage(tree: FileTreeLike, given: string): { name: string; folder: string } {
  const asFolder = given.replace(/^\.\//, '').replace(/\/+$/, '');
  const pkg = tree.read(posix.join(asFolder, 'package.json'), 'utf-8');
  if (pkg !== null) {
    const name = JSON.parse(pkg)['name'];
    if (typeof name !== 'string')
      throw new Error(
        `${asFolder}/package.json has no name; give it one (the app's package name).`,
      );
    return { name, folder: asFolder };
  }
  const root = JSON.parse(tree.read('package.json', 'utf-8') ?? '{}');
  const globs: string[] = Array.isArray(root.workspaces)
    ? root.workspaces
    : (root.workspaces?.packages ?? []);
  for (const glob of globs) {
    const parent = glob.replace(/\/\*+$/, '');
    if (parent.includes('*')) continue;
    for (const child of tree.children(parent)) {
      const text = tree.read(posix.join(parent, child, 'package.json'), 'utf-8');
      if (text && JSON.parse(text)['name'] === given)
        return { name: given, folder: posix.join(parent, child) };
    }
  }
  throw new Error(
    `No app '${given}': give its package name or its folder (a folder with a package.json, like apps/api).`,
  );
}
