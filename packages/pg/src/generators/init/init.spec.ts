import { getProjects, readNxJson, updateNxJson } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { initGenerator } from './init';

describe('init generator', () => {
  it('registers the plugin and the sync generator in nx.json, once', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree, { skipFormat: true });
    await initGenerator(tree, { skipFormat: true });
    const nxJson = readNxJson(tree)!;
    expect(nxJson.plugins).toEqual([
      {
        plugin: '@acme/pg',
        options: {
          dbUpTargetName: 'db-up',
          dbServeTargetName: 'db-serve',
          dbDownTargetName: 'db-down',
          dbValuesTargetName: 'db-values',
          dbCheckTargetName: 'db-check',
          dbBackupTargetName: 'db-backup',
          dbRestoreTargetName: 'db-restore',
          dbPsqlTargetName: 'db-psql',
          dbMigrateTargetName: 'db-migrate',
          dbSeedTargetName: 'db-seed',
          dbResetTargetName: 'db-reset',
        },
      },
    ]);
    expect(nxJson.sync?.globalGenerators).toEqual(['@acme/pg:init-bundle-sync']);
  });

  it('keeps an existing registration and other plugins as they are', async () => {
    const tree = createTreeWithEmptyWorkspace();
    const nxJson = readNxJson(tree)!;
    nxJson.plugins = ['@nx/js', { plugin: '@acme/pg', options: { dbCheckTargetName: 'check' } }];
    updateNxJson(tree, nxJson);
    await initGenerator(tree, { skipFormat: true });
    expect(readNxJson(tree)!.plugins).toEqual([
      '@nx/js',
      { plugin: '@acme/pg', options: { dbCheckTargetName: 'check' } },
    ]);
  });
});

describe('init generator: database folders made without Nx', () => {
  const marker = (module: string) =>
    JSON.stringify({ kind: 'database', module, polytopeFile: 'polytope.yml' });

  it('gives each database folder without a project file its project, once', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('sql/postgres/acme-pg.json', marker('postgres'));
    tree.write('db/reports/acme-pg.json', marker('reports'));
    // A project named like the module already: the folder's project takes `<id>-db`.
    tree.write(
      'apps/reports/project.json',
      JSON.stringify({ name: 'reports', root: 'apps/reports' }),
    );
    await initGenerator(tree, { skipFormat: true });
    const after = tree.listChanges().map((c) => [c.path, tree.read(c.path, 'utf-8')]);
    await initGenerator(tree, { skipFormat: true });
    expect(tree.listChanges().map((c) => [c.path, tree.read(c.path, 'utf-8')])).toEqual(after);
    const projects = getProjects(tree);
    expect(projects.get('postgres')).toMatchObject({
      root: 'sql/postgres',
      tags: ['postgres', 'polytope-module:postgres'],
    });
    expect(projects.get('reports-db')).toMatchObject({
      root: 'db/reports',
      tags: ['postgres', 'polytope-module:reports'],
    });
    expect(projects.get('reports')?.root).toBe('apps/reports');
  });

  it('leaves a database folder that has its project as it is', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('sql/postgres/acme-pg.json', marker('postgres'));
    tree.write('sql/postgres/project.json', '{ "name": "db", "root": "sql/postgres" }\n');
    await initGenerator(tree, { skipFormat: true });
    expect(tree.read('sql/postgres/project.json', 'utf-8')).toBe(
      '{ "name": "db", "root": "sql/postgres" }\n',
    );
    expect(getProjects(tree).has('postgres')).toBe(false);
  });
});
