import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { snapshot } from '../../../test-utils/tree-snapshot';
import { moduleGenerator } from './module';
import { ModuleGeneratorSchema } from '@acme/pg-core/src/generators/module/schema';

const PG = (
  id: string,
  args = '      image: postgres:16.2\n      data-volume: { id: d, type: volume, scope: project }\n',
) => `  - id: ${id}\n    module: polytope/postgres\n    args:\n${args}`;

const SIMPLE_TOOL =
  'tools:\n  postgres:\n    run:\n      - tool: polytope/postgres!simple\n        args:\n          data-volume: { id: pg, type: volume, scope: project }\n';

/** Real-stack inputs that must be refused with one message, writing nothing. */
const cases: [string, Record<string, string>, ModuleGeneratorSchema, RegExp][] = [
  [
    'a module that is a plain container',
    {
      'polytope.yml':
        'modules:\n  - id: db\n    module: polytope/container\n    args: { image: postgres:16 }\n',
    },
    { id: 'db' },
    /module 'db' is 'polytope\/container', not a PostgreSQL module \(polytope\/postgres or polytope\/postgres!simple\)/,
  ],
  [
    'a major-version change without --allowMajorUpgrade',
    { 'polytope.yml': `modules:\n${PG('postgres')}` },
    { image: 'postgres:17.2' },
    /would move module 'postgres' from PostgreSQL 16 to 17.*db-backup.*--allowMajorUpgrade.*db-restore/,
  ],
  [
    'an image whose major version cannot be told',
    { 'polytope.yml': `modules:\n${PG('postgres')}` },
    { image: 'postgres:latest' },
    /from postgres:16\.2 to postgres:latest, and the major version of postgres:latest is not in its tag/,
  ],
  [
    'ids that map to the same env prefix',
    { 'polytope.yml': `modules:\n${PG('orders-db')}` },
    { id: 'orders_db' },
    /Module id 'orders_db' and the existing module 'orders-db' both name their settings ORDERS_DB_POSTGRES_/,
  ],
  [
    'an include cycle',
    {
      'polytope.yml': 'include:\n  - a\n',
      'a/polytope.yml': 'include:\n  - ../b\n',
      'b/polytope.yml': 'include:\n  - ../a\n',
    },
    {},
    /include cycle: a\/polytope\.yml → b\/polytope\.yml → a\/polytope\.yml/,
  ],
  [
    'a missing included file',
    {
      'polytope.yml':
        'include:\n  - modules/postgres\ntools:\n  default:\n    run:\n      - tool: postgres\n',
    },
    {},
    /polytope\.yml:2:5: include 'modules\/postgres' names modules\/postgres\/polytope\.yml, which does not exist/,
  ],
  [
    'an include outside the workspace',
    { 'polytope.yml': 'include:\n  - ../shared\n' },
    {},
    /include '\.\.\/shared' is outside the workspace/,
  ],
  [
    'an included file that is not valid YAML',
    { 'polytope.yml': 'include:\n  - db\n', 'db/polytope.yml': 'tools:\n  pg: [\n' },
    {},
    /^db\/polytope\.yml:\d+:\d+: invalid YAML/,
  ],
  [
    'an id defined twice in the include tree',
    {
      'polytope.yml': `include:\n  - db\nmodules:\n${PG('postgres')}`,
      'db/polytope.yml': `modules:\n${PG('postgres')}`,
    },
    {},
    /'postgres' is defined in polytope\.yml and db\/polytope\.yml; Polytope needs one definition/,
  ],
  [
    'an option that polytope/postgres!simple does not take',
    { 'polytope.yml': SIMPLE_TOOL },
    { sharedBuffers: '256MB', serviceId: 'db' },
    /is polytope\/postgres!simple, which takes only image, scripts, data-volume and restart, so --serviceId, --sharedBuffers cannot apply\. Add --convert/,
  ],
  [
    '--convert on a module that is already the full one',
    { 'polytope.yml': `modules:\n${PG('postgres')}` },
    { convert: true },
    /--convert turns a polytope\/postgres!simple module into the full polytope\/postgres; module 'postgres' is already 'polytope\/postgres'/,
  ],
  [
    'several entry points and no --template',
    {
      'polytope.yml':
        'templates:\n  - id: stack-rest-local\n    run: [api]\n  - id: prod\n    run: [api]\nmodules:\n  - id: api\n    module: polytope/python\n',
    },
    {},
    /several entry points \('stack-rest-local', 'prod'\) and none is called stack or default; .*--template/,
  ],
  [
    'a new database-only template beside the entry points',
    {
      'polytope.yml':
        'templates:\n  - id: stack\n    run: [api]\nmodules:\n  - id: api\n    module: polytope/python\n',
    },
    { template: 'db-only' },
    /There is no template 'db-only' in the stack; its entry points are 'stack'/,
  ],
  [
    'a --volumeId that would move existing data',
    { 'polytope.yml': `modules:\n${PG('postgres')}` },
    { volumeId: 'other' },
    /--volumeId other would move module 'postgres' off its data/,
  ],
  [
    '--allowMajorUpgrade onto the volume in use',
    { 'polytope.yml': `modules:\n${PG('postgres')}` },
    { image: 'postgres:17', allowMajorUpgrade: true, volumeId: 'd' },
    /--volumeId d is the volume module 'postgres' uses now; a major upgrade needs a new, empty one/,
  ],
  [
    'a scripts entry that cannot be copied',
    {
      'polytope.yml': `modules:\n${PG('postgres', '      scripts:\n        - { type: repo, path: db.sql }\n')}`,
    },
    {},
    /has a 'scripts' entry @acme\/pg cannot copy \(\{"type":"repo","path":"db\.sql"\}\)/,
  ],
  [
    'a scripts file that is missing',
    {
      'polytope.yml': `modules:\n${PG('postgres', '      scripts:\n        - { type: host, path: ./conf/db.sql }\n')}`,
    },
    {},
    /runs the init script \.\/conf\/db\.sql, which is not in the workspace/,
  ],
  [
    'a new module whose included file exists but is not included',
    {
      'polytope.yml':
        'include:\n  - modules/api\ntools:\n  default:\n    run:\n      - tool: api\n',
      'modules/api/polytope.yml': 'tools:\n  api:\n    run:\n      - tool: polytope/python\n',
      'modules/postgres/polytope.yml': 'tools: {}\n',
    },
    {},
    /modules\/postgres\/polytope\.yml exists but polytope\.yml does not include it/,
  ],
];

describe('module generator on real stacks: bad input gives one clear error and writes nothing', () => {
  it.each(cases)('%s', async (_name, files, options, message) => {
    const tree = createTreeWithEmptyWorkspace();
    for (const [path, text] of Object.entries(files)) tree.write(path, text);
    const before = snapshot(tree);
    const error = await moduleGenerator(tree, { skipFormat: true, ...options }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
    expect(snapshot(tree)).toBe(before);
  });
});
