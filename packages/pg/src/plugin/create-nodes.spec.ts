import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ts from 'typescript';
import { createNodes, createNodesV2 } from './create-nodes';

let root: string;
const context = () => ({ nxJsonConfiguration: {}, workspaceRoot: root });

function write(files: Record<string, string>) {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'acme-pg-nodes-'));
  write({
    'sql/postgres/project.json': '{}',
    'sql/postgres/acme-pg.json':
      '{"kind":"database","module":"postgres","polytopeFile":"polytope.yml"}',
    'apps/api/project.json': '{}',
    'apps/api/acme-pg.json': '{"kind":"client","modules":["postgres","analytics"]}',
    'apps/web/package.json': '{}',
    'apps/web/acme-pg.json': '{"kind":"client","modules":["analytics"]}',
    'notes/acme-pg.json': '{"kind":"client","modules":["postgres"]}',
    'apps/broken/project.json': '{}',
    'apps/broken/acme-pg.json': '{not json',
    'apps/other/project.json': '{}',
    'apps/other/acme-pg.json': '{"kind":"something"}',
  });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const files = [
  'sql/postgres/acme-pg.json',
  'apps/api/acme-pg.json',
  'apps/web/acme-pg.json',
  'notes/acme-pg.json',
  'apps/broken/acme-pg.json',
  'apps/other/acme-pg.json',
];

async function infer(options?: Record<string, string>) {
  const results = await createNodes[1](files, options, context());
  return Object.fromEntries(
    results.map(([file, r]) => [dirname(file), r.projects?.[dirname(file)]?.targets]),
  );
}

describe('createNodes', () => {
  it('matches the marker file, and is also exported as createNodesV2 for Nx 21 and 22', () => {
    expect(createNodes[0]).toBe('**/acme-pg.json');
    expect(createNodesV2).toBe(createNodes);
  });

  it("gives the database's project its targets and each app those of its databases", async () => {
    const t = await infer();
    // db-up is an ordinary task (its failures fail the run); db-serve is the continuous one.
    expect(t['sql/postgres']!['db-up'].continuous).toBeUndefined();
    expect(t['sql/postgres']!['db-up'].syncGenerators).toEqual(['@acme/pg:init-bundle-sync']);
    expect(t['sql/postgres']!['db-serve']).toMatchObject({
      executor: '@acme/pg:db-up',
      options: { module: 'postgres', foreground: true },
      continuous: true,
      dependsOn: [{ target: 'db-up', params: 'forward' }],
      syncGenerators: ['@acme/pg:init-bundle-sync'],
    });
    expect(Object.keys(t['sql/postgres']!)).toEqual([
      'db-up',
      'db-serve',
      'db-down',
      'db-values',
      'db-check',
      'db-backup',
      'db-restore',
      'db-psql',
      'db-migrate',
      'db-seed',
      'db-reset',
    ]);
    expect(Object.keys(t['apps/api']!)).toEqual(['db-check', 'db-backup', 'db-restore', 'db-psql']);
    expect(t['apps/api']!['db-check']).toEqual({
      executor: '@acme/pg:db-check',
      options: { module: 'postgres' },
      configurations: { postgres: { module: 'postgres' }, analytics: { module: 'analytics' } },
      cache: false,
      metadata: {
        description: "Test the connection to the module's database and report its health.",
        technologies: ['postgresql'],
      },
    });
    expect(t['apps/web']!['db-backup'].options).toEqual({ module: 'analytics' });
    for (const target of Object.values(t['sql/postgres']!)) {
      expect(target.cache).toBe(false);
      expect(typeof target.metadata?.description).toBe('string');
    }
  });

  it('gives nothing to a folder that is not a project, or to a marker it cannot read', async () => {
    const t = await infer();
    expect(t['notes']).toBeUndefined();
    expect(t['apps/broken']).toBeUndefined();
    expect(t['apps/other']).toBeUndefined();
  });

  it('takes the target names from the plugin options', async () => {
    const t = await infer({ dbCheckTargetName: 'db:check', dbValuesTargetName: 'secrets' });
    expect(Object.keys(t['sql/postgres']!)).toEqual([
      'db-up',
      'db-serve',
      'db-down',
      'secrets',
      'db:check',
      'db-backup',
      'db-restore',
      'db-psql',
      'db-migrate',
      'db-seed',
      'db-reset',
    ]);
    expect(t['sql/postgres']!['db:check'].executor).toBe('@acme/pg:db-check');
  });
});

describe('with the real nx CLI on a temporary workspace', () => {
  it('explicit targets in project.json win over the inferred ones', () => {
    // The plugin's source and its targets, compiled as they are for the packages.
    const repo = join(__dirname, '../../../..');
    // A workspace of its own: one app with a marker and an explicit db-check.
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root);
    const plugin = join(root, 'plugin');
    mkdirSync(plugin, { recursive: true });
    // The targets come from @acme/pg-core, which the repo's node_modules does not hold: beside it.
    const sources = {
      'create-nodes': join(__dirname, 'create-nodes.ts'),
      targets: join(repo, 'packages/core/src/workspace/targets.ts'),
    };
    for (const [f, path] of Object.entries(sources)) {
      const out = ts.transpileModule(readFileSync(path, 'utf-8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
      });
      const text = out.outputText.replace(/@acme\/pg-core\/src\/workspace\/targets/g, './targets');
      writeFileSync(join(plugin, `${f}.js`), text);
    }
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
    write({
      'package.json': '{ "name": "t", "private": true }',
      'nx.json': JSON.stringify({ plugins: [join(plugin, 'create-nodes.js')] }),
      'apps/api/project.json': JSON.stringify({
        name: 'api',
        targets: { 'db-check': { executor: '@acme/pg:db-check', options: { timeout: 9 } } },
      }),
      'apps/api/acme-pg.json': '{"kind":"client","modules":["postgres"]}',
    });
    const show = spawnSync(
      join(root, 'node_modules/.bin/nx'),
      ['show', 'project', 'api', '--json'],
      {
        cwd: root,
        encoding: 'utf-8',
        env: {
          ...process.env,
          NX_DAEMON: 'false',
          NX_NO_CLOUD: 'true',
          NX_CACHE_PROJECT_GRAPH: 'false',
        },
      },
    );
    expect(show.stderr).not.toMatch(/Failed to load/);
    if (!show.stdout) throw new Error(show.stderr);
    const targets = JSON.parse(show.stdout).targets;
    // Your options win; what you leave out comes from the inferred target.
    expect(targets['db-check'].options).toEqual({ module: 'postgres', timeout: 9 });
    expect(targets['db-backup'].executor).toBe('@acme/pg:db-backup');
  });
});
