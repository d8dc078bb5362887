import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { snapshot } from '../../../test-utils/tree-snapshot';
import { moduleGenerator } from './module';
import { ModuleGeneratorSchema } from '@acme/pg-core/src/generators/module/schema';

const VALID = `templates:
  - id: stack
    run: [api]
modules:
  - id: api
    module: polytope/python
    args: { image: python:3.13 }
`;

const cases: [string, string | null, ModuleGeneratorSchema, RegExp][] = [
  [
    'malformed YAML',
    'modules:\n  - id: a\n   bad: [\n',
    {},
    /^polytope\.yml:\d+:\d+: invalid YAML: .+Fix the syntax/,
  ],
  [
    'a file that is a list',
    '- id: postgres\n',
    {},
    /polytope\.yml is a YAML list; a polytope\.yml must be a map/,
  ],
  ['a file that is a scalar', 'hello\n', {}, /polytope\.yml is a single YAML scalar/],
  [
    'modules that is not a list',
    'modules:\n  postgres: {}\n',
    {},
    /polytope\.yml:1:1: 'modules' must be a list/,
  ],
  [
    'templates that is not a list',
    'templates: stack\nmodules: []\n',
    {},
    /'templates' must be a list/,
  ],
  [
    'duplicate ids',
    'modules:\n  - id: api\n    module: a/b\n  - id: api\n    module: a/c\n',
    {},
    /polytope\.yml:4:9: duplicate module id 'api' \(first at polytope\.yml:2:9\)/,
  ],
  [
    'a module without an id',
    'modules:\n  - module: polytope/python\n',
    {},
    /an entry of 'modules' has no 'id'/,
  ],
  ['two YAML documents', 'modules: []\n---\nmodules: []\n', {}, /holds 2 YAML documents/],
  ['both formats in one file', 'modules: []\ntools: {}\n', {}, /has both 'tools' and 'modules'/],
  [
    "'templates' and 'tools' in one file",
    'templates:\n  - id: stack\n    run: [api]\ntools:\n  api:\n    run:\n      - tool: polytope/python\n',
    {},
    /has both 'tools' and 'templates'; use one format per file/,
  ],
  ['an invalid id', null, { id: 'Bad Id' }, /Invalid --id 'Bad Id'/],
  ['an id with YAML metacharacters', null, { id: 'pg: {x}' }, /Invalid --id/],
  [
    'an id taken by another kind of module',
    VALID,
    { id: 'api' },
    /module 'api' is 'polytope\/python', not a PostgreSQL module \(polytope\/postgres or polytope\/postgres!simple\)/,
  ],
  [
    'an id taken by a tool',
    'tools:\n  api:\n    run:\n      - tool: polytope/python\n',
    { id: 'api' },
    /tool 'api' does not run a PostgreSQL module \(polytope\/postgres or polytope\/postgres!simple\)/,
  ],
  ['an image with spaces', null, { image: 'postgres 16' }, /Invalid --image "postgres 16"/],
  [
    'an image with a newline',
    null,
    { image: 'postgres:16\nx: y' },
    /Invalid --image "postgres:16\\nx: y"/,
  ],
  ['trust without --allowTrust', null, { auth: 'trust' }, /--auth=trust .* pass --allowTrust/],
  ['an unknown auth method', null, { auth: 'password' as never }, /Invalid --auth 'password'/],
  [
    'a --polytopeFile outside the workspace',
    null,
    { polytopeFile: '../other/polytope.yml' },
    /--polytopeFile '\.\.\/other\/polytope\.yml' is outside the workspace/,
  ],
  [
    'a --polytopeFile that is not YAML',
    null,
    { polytopeFile: 'stack.json' },
    /must be a \.yml or \.yaml file/,
  ],
  ['a service id with an underscore', null, { serviceId: 'my_db' }, /Invalid --serviceId 'my_db'/],
  ['a bad memory size', null, { sharedBuffers: '1 GB' }, /Invalid --sharedBuffers '1 GB'/],
  ['maxConnections out of range', null, { maxConnections: 0 }, /Invalid --maxConnections '0'/],
  [
    'maxRestarts with restart=always',
    null,
    { restart: 'always', maxRestarts: 3 },
    /--maxRestarts applies only to --restart=on-failure/,
  ],
  [
    'initdb args with shell metacharacters',
    null,
    { initdbArgs: '--data-checksums; rm -rf /' },
    /Invalid --initdbArgs .*evaluates it in a shell/,
  ],
  [
    'a WAL folder outside the volume',
    null,
    { walDir: '/tmp/wal' },
    /Invalid --walDir '\/tmp\/wal'/,
  ],
  ['a WAL folder inside PGDATA', null, { walDir: 'pgdata/wal' }, /must be beside PGDATA/],
  ['an invalid template id', null, { template: 'My Stack' }, /Invalid --template 'My Stack'/],
  [
    'existing scripts whose files are missing',
    'modules:\n  - id: postgres\n    module: polytope/postgres\n    args:\n      scripts:\n        - { type: host, path: ./db/a.sql }\n        - { type: host, path: ./db/b.sql }\n',
    {},
    /runs the init script \.\/db\/a\.sql, which is not in the workspace \(looked at db\/a\.sql\)/,
  ],
  [
    'polytope.yml that is a folder',
    '',
    { polytopeFile: 'deploy' },
    /must be a \.yml or \.yaml file/,
  ],
  ['a flow-style root', '{modules: []}\n', {}, /written as one flow map/],
];

describe('module generator: bad input gives one clear error and writes nothing', () => {
  it.each(cases)('%s', async (_name, file, options, message) => {
    const tree = createTreeWithEmptyWorkspace();
    if (file !== null) tree.write('polytope.yml', file);
    const before = snapshot(tree);
    const error = await moduleGenerator(tree, options).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n    at ');
    expect(snapshot(tree)).toBe(before);
  });

  it('refuses a --polytopeFile that is a folder', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('deploy.yml/readme.md', 'x');
    const before = snapshot(tree);
    await expect(moduleGenerator(tree, { polytopeFile: 'deploy.yml' })).rejects.toThrow(
      'deploy.yml is a folder; --polytopeFile must name a file.',
    );
    expect(snapshot(tree)).toBe(before);
  });

  it('refuses projects <id> and <id>-db when both are taken', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('a/project.json', JSON.stringify({ name: 'postgres', root: 'a' }));
    tree.write('b/project.json', JSON.stringify({ name: 'postgres-db', root: 'b' }));
    const before = snapshot(tree);
    await expect(moduleGenerator(tree, {})).rejects.toThrow(
      "Projects 'postgres' and 'postgres-db' both exist already",
    );
    expect(snapshot(tree)).toBe(before);
  });
});

describe('module generator: one database project per module', () => {
  it('refuses a new --scriptsDir for a module that has its folder, and says how to move it', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await moduleGenerator(tree, { template: 'none' });
    const before = snapshot(tree);
    await expect(
      moduleGenerator(tree, { scriptsDir: 'db/main', template: 'none' }),
    ).rejects.toThrow(
      /^Module 'postgres' has its database project in sql\/postgres already; --scriptsDir db\/main would make a second one\. To move it, move the folder \(git mv sql\/postgres db\/main\), then run .+ --scriptsDir db\/main\. Nothing was changed\.$/,
    );
    expect(snapshot(tree)).toBe(before);
  });

  it('takes the folder as moved: the mounts follow it, and no second project appears', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await moduleGenerator(tree, { template: 'none', migrations: true });
    expect(tree.read('polytope.yml', 'utf-8')).toContain('sql/postgres/migrations');
    for (const path of tree.listChanges().map((c) => c.path))
      if (path.startsWith('sql/postgres/')) {
        tree.write(path.replace('sql/postgres/', 'db/main/'), tree.read(path)!);
        tree.delete(path);
      }
    await moduleGenerator(tree, { scriptsDir: 'db/main', template: 'none', migrations: true });
    const yml = tree.read('polytope.yml', 'utf-8')!;
    expect(yml).toContain('db/main/_init-bundle.sql');
    expect(yml).toContain('db/main/migrations');
    expect(yml).not.toContain('sql/postgres');
    const markers = tree
      .listChanges()
      .map((c) => c.path)
      .filter((p) => p.endsWith('/acme-pg.json') && tree.exists(p));
    expect(markers).toEqual(['db/main/acme-pg.json']);
  });
});
