import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parse } from 'yaml';
import { snapshot } from '../../../test-utils/tree-snapshot';
import { moduleGenerator } from './module';

/** Odd but valid existing modules and include entries: each is updated in place, once. */
const cases: [string, Record<string, string>, (docs: Record<string, any>) => void][] = [
  [
    'a module without args',
    { 'polytope.yml': 'modules:\n  - id: postgres\n    module: polytope/postgres\n' },
    (d) =>
      expect(Object.keys(d['polytope.yml'].modules[0])).toEqual(['id', 'info', 'module', 'args']),
  ],
  [
    'empty flow args',
    { 'polytope.yml': 'modules:\n  - id: postgres\n    module: polytope/postgres\n    args: {}\n' },
    (d) => expect(d['polytope.yml'].modules[0].args['service-id']).toBe('postgres'),
  ],
  [
    'args as one flow line',
    {
      'polytope.yml':
        'modules:\n  - id: postgres\n    module: polytope/postgres\n    args: { image: postgres:16, env: [{name: POSTGRES_DB, value: x}], data-volume: {id: v, type: volume, scope: project} }\n',
    },
    (d) =>
      expect(d['polytope.yml'].modules[0].args['data-volume']).toEqual({
        id: 'v',
        type: 'volume',
        scope: 'project',
      }),
  ],
  [
    'a tool step without args, info going first',
    { 'polytope.yml': 'tools:\n  postgres:\n    run:\n      - tool: polytope/postgres\n' },
    (d) => expect(Object.keys(d['polytope.yml'].tools.postgres)).toEqual(['info', 'run']),
  ],
  [
    'a numeric env value',
    {
      'polytope.yml':
        'modules:\n  - id: postgres\n    module: polytope/postgres\n    args:\n      env:\n        - { name: PGPORT, value: 5432 }\n',
    },
    (d) =>
      expect(d['polytope.yml'].modules[0].args.env[0]).toEqual({ name: 'PGPORT', value: 5432 }),
  ],
  [
    'a file include and a folder include with a trailing slash',
    {
      'polytope.yml':
        'include:\n  - implement/polytope.yml\n  - modules/api/\ntools:\n  stack:\n    run:\n      - { tool: api }\n',
      'implement/polytope.yml': 'tools: {}\n',
      'modules/api/polytope.yml': 'tools:\n  api:\n    run:\n      - tool: polytope/python\n',
    },
    (d) => {
      expect(d['polytope.yml'].include).toEqual([
        'implement/polytope.yml',
        'modules/api/',
        'modules/postgres',
      ]);
      expect(d['polytope.yml'].tools.stack.run).toEqual([{ tool: 'api' }, { tool: 'postgres' }]);
      expect(d['modules/postgres/polytope.yml'].tools.postgres.run[0].tool).toBe(
        'polytope/postgres',
      );
    },
  ],
  [
    'a flow include list',
    {
      'polytope.yml': 'include: [services]\ntemplates:\n  - id: stack\n    run: [api]\n',
      'services/polytope.yml': 'modules:\n  - id: api\n    module: polytope/python\n',
    },
    (d) => {
      expect(d['polytope.yml'].include).toEqual(['services', 'postgres']);
      expect(d['polytope.yml'].templates[0].run).toEqual(['api', 'postgres']);
      expect(d['postgres/polytope.yml'].modules[0].id).toBe('postgres');
    },
  ],
];

describe('module generator: odd shapes of real files', () => {
  it.each(cases)('%s', async (_name, files, check) => {
    const tree = createTreeWithEmptyWorkspace();
    for (const [path, text] of Object.entries(files)) tree.write(path, text);
    await moduleGenerator(tree, { skipFormat: true, skipPackageJson: true });
    const docs = Object.fromEntries(
      tree
        .listChanges()
        .filter((c) => c.path.endsWith('.yml'))
        .map((c) => [c.path, parse(c.content!.toString('utf-8'))]),
    );
    check(docs);
    const first = snapshot(tree);
    await moduleGenerator(tree, { skipFormat: true, skipPackageJson: true });
    expect(snapshot(tree)).toBe(first);
  });
});

describe('module generator: --polytopeFile naming an included file', () => {
  it('puts a new module there and its run entry in the root that includes it', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write(
      'polytope.yml',
      'include:\n  - db\ntools:\n  default:\n    run:\n      - tool: "api"\n  api:\n    run:\n      - tool: polytope/python\n',
    );
    tree.write('db/polytope.yml', 'tools:\n  cache:\n    run:\n      - tool: polytope/container\n');
    await moduleGenerator(tree, {
      polytopeFile: 'db/polytope.yml',
      skipFormat: true,
      skipPackageJson: true,
    });
    expect(parse(tree.read('db/polytope.yml', 'utf-8')!).tools.postgres.run[0].tool).toBe(
      'polytope/postgres',
    );
    expect(tree.read('polytope.yml', 'utf-8')).toContain(
      '      - tool: "api"\n      - tool: "postgres"\n',
    );
    expect(tree.exists('postgres/polytope.yml')).toBe(false);
  });
});
