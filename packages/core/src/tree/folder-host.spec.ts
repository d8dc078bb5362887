import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { FileTree } from '../cli/file-tree';
import { tempFolder } from '../../test-utils/temp-folder';

const folder = (files: Record<string, string>) => tempFolder(files, 'folder-host-');

const changes = (t: FileTree) => t.listChanges().map((c) => `${c.type} ${c.path}`);

describe('FolderHost', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
  const make = (files: Record<string, string>) => {
    const root = folder(files);
    roots.push(root);
    return new FileTree(root);
  };

  it('without Nx writes no Nx file: no project.json, no `nx` key, and targets stay inferred', () => {
    const tree = make({
      'package.json': '{ "name": "shop", "private": true, "workspaces": ["apps/*"] }\n',
      'apps/api/package.json': '{ "name": "api" }\n',
    });
    expect(tree.host.nx()).toBe('none');
    expect(tree.host.shouldAddPlugin(false)).toBe(true);
    tree.host.addProject('postgres', { root: 'sql/postgres', targets: {} });
    tree.host.updateProject('api', {
      root: 'apps/api',
      targets: {},
      implicitDependencies: ['postgres'],
    });
    expect(changes(tree)).toEqual([]);
    expect([...tree.host.projects().keys()]).toEqual(['api']);
  });

  it('in an Nx workspace without @acme/pg: no Nx target is written either', () => {
    const tree = make({ 'package.json': '{ "name": "shop" }\n', 'nx.json': '{}\n' });
    expect(tree.host.nx()).toBe('without-plugin');
    tree.host.addProject('postgres', { root: 'sql/postgres', targets: { x: { command: 'y' } } });
    expect(changes(tree)).toEqual([]);
  });

  it('in an Nx workspace with @acme/pg: project.json as Nx writes it; targets inferred once registered', () => {
    const files = {
      'package.json': '{ "name": "shop" }\n',
      'node_modules/@acme/pg/package.json': '{ "name": "@acme/pg", "version": "0.1.0" }\n',
    };
    const bare = make({ ...files, 'nx.json': '{}\n' });
    expect(bare.host.nx()).toBe('with-plugin');
    expect(bare.host.shouldAddPlugin(undefined)).toBe(false);
    const registered = make({ ...files, 'nx.json': '{ "plugins": [{ "plugin": "@acme/pg" }] }\n' });
    expect(registered.host.shouldAddPlugin(undefined)).toBe(true);
    registered.host.addProject('postgres', {
      root: 'sql/postgres',
      projectType: 'application',
      tags: ['postgres'],
      targets: {},
    });
    expect(registered.read('sql/postgres/project.json', 'utf-8')).toBe(
      `${JSON.stringify(
        {
          name: 'postgres',
          $schema: '../../node_modules/nx/schemas/project-schema.json',
          projectType: 'application',
          tags: ['postgres'],
          '// targets': 'to see all targets run: nx show project postgres --web',
          targets: {},
        },
        null,
        2,
      )}\n`,
    );
  });

  it('does not format a workspace that has no formatter config, even with Prettier installed', async () => {
    // A Prettier that only sits in node_modules (hoisted from some package) is nobody's choice:
    // the user's files keep their layout.
    const root = folder({ 'package.json': '{}\n', 'polytope.yml': "modules: [ {id: 'x'} ]\n" });
    roots.push(root);
    mkdirSync(join(root, 'node_modules'), { recursive: true });
    symlinkSync(
      join(__dirname, '../../../../node_modules/prettier'),
      join(root, 'node_modules/prettier'),
    );
    const tree = new FileTree(root);
    const ugly = 'const a = {b:1}\n';
    tree.write('src/a.ts', ugly);
    tree.write('polytope.yml', "modules: [ {id: 'x'}, {id: 'y'} ]\n");
    await tree.host.format();
    expect(tree.read('src/a.ts', 'utf-8')).toBe(ugly);
    expect(tree.read('polytope.yml', 'utf-8')).toBe("modules: [ {id: 'x'}, {id: 'y'} ]\n");
  });

  it('two folders claiming one project name: one line naming both, as Nx refuses it', () => {
    const tree = make({
      'package.json': '{ "name": "shop", "workspaces": ["apps/*", "libs/*"] }\n',
      'apps/api/package.json': '{ "name": "api" }\n',
      'libs/api/project.json': '{ "name": "api" }\n',
    });
    expect(() => tree.host.projects()).toThrow(
      `Two projects are named 'api': apps/api and libs/api. Rename one (its package.json or project.json "name"), then run this again.`,
    );
  });

  it('never moves a version package.json has, and adds the rest in order', () => {
    const tree = make({
      'package.json': '{ "name": "shop", "devDependencies": { "pg": "^8.0.0" } }\n',
    });
    tree.host.addDependencies(
      { pg: '^8.23.1', yaml: '^2.9.0' },
      { '@types/pg': '^8.15.0' },
      'package.json',
      false,
    );
    expect(JSON.parse(tree.read('package.json', 'utf-8')!)).toEqual({
      name: 'shop',
      devDependencies: { '@types/pg': '^8.15.0', pg: '^8.0.0' },
      dependencies: { yaml: '^2.9.0' },
    });
  });
});

describe('an app without package.json, on the command line', () => {
  it('is wired by its folder, and is a project by its marker from then on', async () => {
    // Lazy: the generators are heavy, and only this test needs them.
    const { moduleGenerator } = await import('../generators/module/module');
    const { clientGenerator } = await import('../generators/client/client');
    const { logger } = await import('../utils/logger');
    const quiet = (['info', 'warn'] as const).map((l) =>
      jest.spyOn(logger, l).mockImplementation(() => undefined),
    );
    const root = folder({
      'package.json': '{ "name": "shop", "private": true, "workspaces": ["apps/*"] }\n',
      'apps/worker/requirements.txt': 'flask\n',
      'apps/worker/main.py': 'print(1)\n',
    });
    try {
      let tree = new FileTree(root);
      await moduleGenerator(tree, { id: 'postgres', template: 'none', skipPackageJson: true });
      tree.flush();
      tree = new FileTree(root);
      expect(tree.host.projects().has('worker')).toBe(false);
      await clientGenerator(tree, { project: './apps/worker', skipDependency: true });
      tree.flush();
      tree = new FileTree(root);
      expect(tree.read('apps/worker/acme-pg.json', 'utf-8')).toContain('"kind": "client"');
      expect(tree.host.projects().get('worker')?.root).toBe('apps/worker');
      // By name now, and again: nothing changes.
      await clientGenerator(tree, { project: 'worker', skipDependency: true });
      expect(tree.listChanges()).toEqual([]);
      // Not a folder of the workspace: the usual refusal.
      await expect(clientGenerator(tree, { project: '../elsewhere' })).rejects.toThrow(
        /^Unknown project '\.\.\/elsewhere'/,
      );
    } finally {
      quiet.forEach((s) => s.mockRestore());
      rmSync(root, { recursive: true, force: true });
    }
  });
});
