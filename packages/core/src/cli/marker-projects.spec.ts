import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chooseProject, findMarkerProjects, findWorkspaceRoot } from './marker-projects';
import { UsageError } from './schema-options';
import { tempFolder } from '../../test-utils/temp-folder';

const folder = (files: Record<string, string>) => tempFolder(files, 'marker-projects-');

describe('findWorkspaceRoot', () => {
  const repo = folder({
    'nx.json': '{}',
    'package.json': '{ "workspaces": ["apps/*", "!apps/legacy"] }',
    'apps/api/package.json': '{ "name": "api" }',
    'apps/legacy/package.json': '{}',
    'libs/core/project.json': '{ "name": "core" }',
    'tmp/plain/package.json': '{}',
    'tmp/stack/polytope.yml': 'modules: []',
    'pnpm/pnpm-workspace.yaml': "packages:\n  - 'services/*'  # all\nother: 1\n",
    'pnpm/services/web/package.json': '{}',
    'pnpm/services/web/src/x.ts': '',
  });
  it.each([
    ['', ''],
    ['apps/api', ''],
    ['apps/api/src', ''],
    ['libs/core', ''],
    ['apps/legacy', 'apps/legacy'],
    ['tmp/plain', 'tmp/plain'],
    ['tmp/stack', 'tmp/stack'],
    ['pnpm/services/web/src', 'pnpm'],
  ])('from %j: %j', (from, root) => {
    mkdirSync(join(repo, from), { recursive: true });
    expect(findWorkspaceRoot(join(repo, from))).toBe(join(repo, root));
  });
});

describe('chooseProject', () => {
  const root = folder({
    'package.json': '{}',
    'sql/postgres/acme-pg.json': '{ "kind": "database", "module": "postgres" }',
    'sql/analytics/acme-pg.json': '{ "kind": "database", "module": "analytics" }',
    'sql/analytics/project.json': '{ "name": "analytics-db" }',
    'apps/api/acme-pg.json': '{ "kind": "client", "modules": ["postgres"] }',
    'apps/api/package.json': '{ "name": "@shop/api" }',
    'node_modules/x/acme-pg.json': '{ "kind": "database", "module": "x" }',
    // a project of its own inside this one: its markers are not ours
    'vendor/other/package.json': '{ "name": "other" }',
    'vendor/other/polytope.yml': 'modules: []',
    'vendor/other/sql/postgres/acme-pg.json': '{ "kind": "database", "module": "postgres" }',
  });
  const projects = findMarkerProjects(root);
  const choose = (cwd: string, wanted: { project?: string; module?: string } = {}) =>
    chooseProject(root, join(root, cwd), projects, wanted).name;

  it('finds the marked folders, named as their project.json or package.json say', () => {
    expect(projects.map((p) => `${p.name} ${p.root}`).sort()).toEqual([
      '@shop/api apps/api',
      'analytics-db sql/analytics',
      'postgres sql/postgres',
    ]);
  });
  it('takes --project by name or folder, else the project around, else the module', () => {
    expect(choose('', { project: '@shop/api' })).toBe('@shop/api');
    expect(choose('apps', { project: 'api' })).toBe('@shop/api');
    expect(choose('apps/api/src')).toBe('@shop/api');
    expect(choose('', { module: 'analytics' })).toBe('analytics-db');
  });
  it('with several databases and nothing chosen: says which there are', () => {
    expect(() => choose('')).toThrow(
      new UsageError(
        'Several databases here (analytics-db (module analytics), postgres (module postgres)): say which with --project <name> or --module <id>.',
      ),
    );
  });
});

describe('a database folder not named after its module, with no project file (no Nx)', () => {
  const root = folder({
    'package.json': '{}',
    'db/rep/acme-pg.json': '{ "kind": "database", "module": "reports" }',
  });
  it("goes by the module id, which the generator's hints use, and by its folder", () => {
    const projects = findMarkerProjects(root);
    expect(projects.map((p) => p.name)).toEqual(['reports']);
    expect(chooseProject(root, root, projects, { project: 'reports' }).root).toBe('db/rep');
    expect(chooseProject(root, root, projects, { project: 'db/rep' }).root).toBe('db/rep');
  });
});
