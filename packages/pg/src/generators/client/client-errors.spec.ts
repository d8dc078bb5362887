import { addProjectConfiguration, Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { snapshot } from '../../../test-utils/tree-snapshot';
import { moduleGenerator } from '../module/module';
import { clientGenerator } from './client';
import { ClientGeneratorSchema } from '@acme/pg-core/src/generators/client/schema';

const POLYTOPE = `modules:
  - id: api
    module: polytope/python
    args:
      image: python:3.13-slim
`;

type Setup = (tree: Tree) => Promise<void> | void;

const file =
  (path: string, text: string | Buffer): Setup =>
  (tree) =>
    tree.write(path, text);
const api =
  (files: Record<string, string | Buffer>): Setup =>
  (tree) => {
    addProjectConfiguration(tree, 'api', { root: 'apps/api', projectType: 'application' });
    for (const [f, text] of Object.entries(files)) tree.write(`apps/api/${f}`, text);
  };
const withModule =
  (id = 'postgres'): Setup =>
  async (tree) => {
    await moduleGenerator(tree, { id, skipFormat: true });
  };
const pythonApi = api({ 'requirements.txt': 'flask\n' });

const cases: [string, Setup[], Partial<ClientGeneratorSchema>, string | RegExp][] = [
  [
    'an unknown project',
    [withModule(), pythonApi],
    { project: 'nope' },
    /^Unknown project 'nope'\. Choose one of this workspace's projects: api, postgres\.$/,
  ],
  [
    'a project name with shell metacharacters',
    [withModule(), pythonApi],
    { project: 'api; rm -rf /' },
    /^Unknown project 'api; rm -rf \/'/,
  ],
  [
    'a language that cannot be derived and is not given',
    [withModule(), api({ 'notes.txt': 'hello' })],
    {},
    "Cannot tell which client 'api' needs from its files; give --language python (psycopg2), asyncpg or node (pg).",
  ],
  [
    'a project with both Python and Node files',
    [withModule(), api({ 'package.json': '{}', 'requirements.txt': '' })],
    {},
    /^Cannot tell which client 'api' needs/,
  ],
  [
    'an unknown --language',
    [withModule(), pythonApi],
    { language: 'ruby' as never },
    "Invalid --language 'ruby': use python (psycopg2), asyncpg or node (pg).",
  ],
  [
    'no PostgreSQL module',
    [pythonApi],
    {},
    'This workspace has no PostgreSQL module yet. Run `nx g @acme/pg:module` first.',
  ],
  [
    'no polytope.yml',
    [withModule(), pythonApi, (t) => t.delete('polytope.yml')],
    {},
    "polytope.yml does not exist, but sql/postgres/acme-pg.json says module 'postgres' is in it. Run `nx g @acme/pg:module --id postgres` to write it.",
  ],
  [
    'a module that was removed from polytope.yml',
    [withModule(), pythonApi, file('polytope.yml', POLYTOPE)],
    {},
    /^Module 'postgres' is recorded in sql\/postgres but missing from polytope\.yml\. Run `nx g @acme\/pg:module --id postgres`/,
  ],
  [
    'a --module that does not exist',
    [withModule(), pythonApi],
    { module: 'analytics' },
    "Unknown --module 'analytics'; the PostgreSQL modules here are: postgres.",
  ],
  [
    'an invalid --module',
    [withModule(), pythonApi],
    { module: 'a"b' },
    "Invalid --module 'a\"b': module ids use only a-z, 0-9, '_' and '-'.",
  ],
  [
    'several modules and no --module',
    [withModule(), withModule('analytics'), pythonApi],
    {},
    'This workspace has several PostgreSQL modules (analytics, postgres); choose one with --module.',
  ],
  [
    'an app module whose env is not a list',
    [
      file('polytope.yml', POLYTOPE.replace('image: python:3.13-slim', 'env: { PORT: 3000 }')),
      withModule(),
      pythonApi,
    ],
    {},
    "polytope.yml:9:12: 'env' of 'api' must be a list of { name, value } entries; fix it and run again.",
  ],
  [
    'a --polytopeModule that does not exist',
    [withModule(), pythonApi],
    { polytopeModule: 'web' },
    "There is no module 'web' in polytope.yml to give the database's env to; check --polytopeModule, or leave it out.",
  ],
  [
    '--polytopeModule naming the database module',
    [withModule(), pythonApi],
    { polytopeModule: 'postgres' },
    "'postgres' in polytope.yml is the PostgreSQL module itself; name the module that runs the app with --polytopeModule.",
  ],
  [
    'the database project itself',
    [withModule(), pythonApi],
    { project: 'postgres', language: 'python' },
    "'postgres' is the project of the database 'postgres' itself; give the app that connects to it.",
  ],
  [
    'an unreadable requirements.txt',
    [withModule(), api({ 'requirements.txt': Buffer.from([0xff, 0xfe, 0x00, 0x41]) })],
    {},
    'apps/api/requirements.txt is not a UTF-8 text file, so it cannot be read or edited; fix or replace it.',
  ],
  [
    'a requirements.txt that is a folder',
    [withModule(), api({ 'requirements.txt/x': '', 'main.py': '' })],
    {},
    'apps/api/requirements.txt is a folder, not a file; remove or rename it.',
  ],
  [
    'a pyproject.toml with dynamic dependencies',
    [
      withModule(),
      api({ 'pyproject.toml': '[project]\nname = "api"\ndynamic = ["dependencies"]\n' }),
    ],
    {},
    /^apps\/api\/pyproject\.toml declares its dependencies as dynamic/,
  ],
  [
    'a pyproject.toml whose dependency list never closes',
    [withModule(), api({ 'pyproject.toml': '[project]\ndependencies = [\n  "flask",\n' })],
    {},
    "apps/api/pyproject.toml:2: [project].dependencies has no closing ']'.",
  ],
  [
    'a malformed polytope.yml',
    [withModule(), pythonApi, file('polytope.yml', 'modules:\n  - id: postgres\n   bad: [\n')],
    {},
    /^polytope\.yml:\d+:\d+: invalid YAML: .+Fix the syntax and run again\.$/,
  ],
  [
    'a --directory outside the workspace',
    [withModule(), pythonApi],
    { directory: '../../..' },
    /^--directory '.*' is outside the workspace/,
  ],
  [
    'a service id that is not a host name',
    [
      withModule(),
      pythonApi,
      (t) =>
        t.write(
          'polytope.yml',
          t.read('polytope.yml', 'utf-8')!.replace('service-id: postgres', "service-id: 'db`$x'"),
        ),
    ],
    {},
    /^polytope\.yml: service-id 'db`\$x' of module 'postgres' is not a host name/,
  ],
  [
    'a foreign acme-pg.json in the app',
    [withModule(), pythonApi, file('apps/api/acme-pg.json', '{"kind":"something"}')],
    {},
    /^apps\/api\/acme-pg\.json is not an @acme\/pg client marker \(no kind 'client' with its modules\): it was left as it is\./,
  ],
  [
    'the database project given as the app',
    [withModule()],
    { project: 'postgres' },
    "'postgres' is the project of the database 'postgres' itself; give the app that connects to it.",
  ],
];

describe('client generator: bad input', () => {
  it.each(cases)('%s: one clear error, no file changed', async (_, setups, options, message) => {
    const tree = createTreeWithEmptyWorkspace();
    tree.delete('.oxfmtrc.json');
    for (const setup of setups) await setup(tree);
    const before = snapshot(tree);
    const attempt = clientGenerator(tree, { project: 'api', skipFormat: true, ...options });
    await expect(attempt).rejects.toThrow(message);
    await attempt.catch((e: Error) => expect(e.message.split('\n')).toHaveLength(1));
    expect(snapshot(tree)).toBe(before);
  });
});
