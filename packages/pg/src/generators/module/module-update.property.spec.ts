/**
 * Property: on any valid PostgreSQL module (key order, block or flow, comments, which key is last,
 * env forms), an update parses, changes only the module, is idempotent and keeps the data location.
 */
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import fc from 'fast-check';
import { parse } from 'yaml';
import { outsideModule } from '@acme/pg-core/test-utils/outside-module';
import { snapshot } from '../../../test-utils/tree-snapshot';
import { moduleGenerator } from './module';
import { ModuleGeneratorSchema } from '@acme/pg-core/src/generators/module/schema';

type Env = { name: string; value: string };

const envEntry = fc.constantFrom<Env>(
  { name: 'POSTGRES_DB', value: 'idsvr' },
  { name: 'POSTGRES_DB', value: 'pt.value db-database' },
  { name: 'POSTGRES_USER', value: 'admin' },
  { name: 'POSTGRES_USER_FILE', value: '/run/secrets/user' },
  { name: 'POSTGRES_PASSWORD', value: 'pt.secret db-password' },
  { name: 'POSTGRES_PASSWORD', value: 'hunter2' },
  { name: 'POSTGRES_HOST_AUTH_METHOD', value: 'scram-sha-256' },
  { name: 'PGDATA', value: '/var/lib/postgresql/data/custom' },
  { name: 'TZ', value: 'UTC' },
);

const arg = (indent: number) => {
  const pad = ' '.repeat(indent);
  const volume = fc.constantFrom(
    '{ id: db-data, type: volume, scope: project }',
    '{type: host, path: ./data/pg}',
    `\n${pad}  id: db-data\n${pad}  type: volume\n${pad}  scope: project`,
    '{ id: shared-pg, type: volume, scope: project, create: never }',
  );
  const env = fc
    .tuple(
      fc.uniqueArray(envEntry, { selector: (e) => e.name, minLength: 1, maxLength: 5 }),
      fc.constantFrom('flow-items', 'block-items', 'flow-list'),
    )
    .map(([items, style]) => {
      if (style === 'flow-list')
        return ` [${items.map((e) => `{ name: ${e.name}, value: ${e.value} }`).join(', ')}]`;
      if (style === 'flow-items')
        return items.map((e) => `\n${pad}  - { name: ${e.name}, value: ${e.value} }`).join('');
      return items.map((e) => `\n${pad}  - name: ${e.name}\n${pad}    value: ${e.value}`).join('');
    });
  return {
    image: fc.constantFrom(' postgres:16.2', " 'postgres:16.4'", ' "postgres:16"'),
    'data-volume': volume.map((v) => (v.startsWith('\n') ? v : ` ${v}`)),
    env,
    restart: fc.constantFrom(' { policy: on-failure }', `\n${pad}  policy: always`),
    'service-id': fc.constantFrom(' db', ' "db-host"'),
    'data-path': fc.constant(' /var/lib/postgresql/data'),
    cmd: fc.constantFrom(' postgres -c work_mem=8MB', ' [postgres, -c, max_connections=50]'),
  } as Record<string, fc.Arbitrary<string>>;
};

const moduleText = fc
  .record({
    format: fc.constantFrom('modules', 'tools'),
    ref: fc.constantFrom('polytope/postgres', 'polytope/postgres@1.2', 'polytope/postgres!simple'),
    column0: fc.boolean(),
    keys: fc.shuffledSubarray(
      ['image', 'data-volume', 'env', 'restart', 'service-id', 'data-path', 'cmd'],
      { minLength: 1 },
    ),
    comment: fc.option(fc.nat(6), { nil: undefined }),
    trailing: fc.constantFrom('', '   ', '  # trailing'),
  })
  .chain(({ format, ref, column0, keys, comment, trailing }) => {
    const list = column0 ? 0 : 2;
    const argIndent = format === 'tools' ? 10 : list + 4;
    const gens = arg(argIndent);
    return fc.tuple(...keys.map((k) => gens[k])).map((values) => {
      const pad = ' '.repeat(argIndent);
      const lines = keys.map(
        (k, i) => `${pad}${k}:${values[i]}${comment === i ? `\n${pad}# keep this comment` : ''}`,
      );
      if (format === 'tools')
        return [
          'tools:',
          '  stack:',
          '    run:',
          '      - tool: api',
          '      - { tool: db }',
          '  api:',
          `    run:${trailing}`,
          '      - tool: polytope/python',
          '  db:',
          '    run:',
          `      - tool: ${ref}`,
          '        args:',
          ...lines,
          '  web:',
          '    run:',
          '      - tool: polytope/node',
          '# end',
          '',
        ].join('\n');
      const item = ' '.repeat(list);
      return [
        'templates:',
        `${item}- id: stack`,
        `${item}  run: [api, db]`,
        'modules:',
        `${item}- id: api`,
        `${item}  module: polytope/python${trailing}`,
        `${item}  args: { image: python:3.13 }`,
        `${item}- id: db`,
        `${item}  module: ${ref}`,
        `${item}  args:`,
        ...lines,
        `${item}- id: web`,
        `${item}  module: polytope/node`,
        '# end',
        '',
      ].join('\n');
    });
  });

const options = fc.record(
  {
    restart: fc.constantFrom<'on-failure' | 'always'>('on-failure', 'always'),
    image: fc.constantFrom('postgres:16.2', 'postgres:16.9-alpine'),
    sharedBuffers: fc.constantFrom('128MB', '1GB'),
    serviceId: fc.constantFrom('db', 'main-db'),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<ModuleGeneratorSchema>;

function dataOf(text: string) {
  const doc = parse(text);
  const args: Record<string, unknown> | undefined = doc.modules
    ? doc.modules.find((m: { id: string }) => m.id === 'db').args
    : doc.tools.db.run[0].args;
  const env = (args?.['env'] ?? []) as Env[];
  return {
    volume: args?.['data-volume'],
    dataPath: args?.['data-path'],
    pgdata: env.find((e) => e.name === 'PGDATA')?.value,
  };
}

describe('module generator update, property-based', () => {
  it('parses, changes only the module, is idempotent and keeps the data location', async () => {
    await fc.assert(
      fc.asyncProperty(moduleText, options, async (text, opts) => {
        const tree = createTreeWithEmptyWorkspace();
        tree.write('polytope.yml', text);
        // `!simple` takes only image, scripts, data-volume and restart.
        // Without an image it runs the module's default (15.4 for !simple): no major change here.
        const given = text.includes('!simple')
          ? { image: /^\s+image:/m.test(text) ? opts.image : undefined, restart: opts.restart }
          : opts;
        const run = () =>
          moduleGenerator(tree, { id: 'db', skipFormat: true, skipPackageJson: true, ...given });
        await run();
        const after = tree.read('polytope.yml', 'utf-8')!;
        expect(() => parse(after)).not.toThrow();
        expect(outsideModule(after, 'db')).toBe(outsideModule(text, 'db'));
        expect(dataOf(after)).toEqual(dataOf(text));
        const first = snapshot(tree);
        await run();
        expect(snapshot(tree)).toBe(first);
      }),
      { numRuns: 500 },
    );
  }, 300_000);
});
