import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
    expect(t['sql/postgres']!['db-up'].continuous).toBe(true);
    expect(Object.keys(t['sql/postgres']!)).toEqual([
      'db-up',
      'db-down',
      'db-values',
      'db-check',
      'db-backup',
      'db-restore',
      'db-psql',
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
      'db-down',
      'secrets',
      'db:check',
      'db-backup',
      'db-restore',
      'db-psql',
    ]);
    expect(t['sql/postgres']!['db:check'].executor).toBe('@acme/pg:db-check');
  });
});
