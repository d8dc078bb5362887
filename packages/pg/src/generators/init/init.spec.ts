import { readNxJson, updateNxJson } from '@nx/devkit';
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
