import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { initBundleSyncGenerator } from './init-bundle-sync/init-bundle-sync';
import { initScriptGenerator } from './init-script/init-script';
import { moduleGenerator } from './module/module';

// The modules' own objects, which every CommonJS caller (devkit included) shares.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const childProcess = require('node:child_process');

// Everything a generator writes goes through the Tree, which is what makes --dry-run and
// all-or-nothing failures work: no disk write and no child process while they run.
it('generators write only through the Tree and start no process', async () => {
  const tree = createTreeWithEmptyWorkspace();
  tree.delete('.oxfmtrc.json');
  const writes = [
    'writeFileSync',
    'writeFile',
    'mkdirSync',
    'rmSync',
    'renameSync',
    'unlinkSync',
    'appendFileSync',
    'copyFileSync',
  ] as const;
  const spies = [
    ...writes.map((name) => jest.spyOn(fs, name as never)),
    ...(['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync'] as const).map(
      (name) => jest.spyOn(childProcess, name as never),
    ),
  ];
  await moduleGenerator(tree, { skipFormat: true });
  await moduleGenerator(tree, {
    id: 'analytics',
    skipFormat: true,
    polytopeFile: 'deploy/polytope.yml',
  });
  await initScriptGenerator(tree, {
    name: 'app-user',
    kind: 'database-user',
    module: 'postgres',
    skipFormat: true,
  });
  tree.write('sql/postgres/002-more.sql', 'SELECT 1;\n');
  await initBundleSyncGenerator(tree);
  for (const spy of spies)
    expect([spy.getMockName(), spy.mock.calls.length]).toEqual([spy.getMockName(), 0]);
  expect(tree.read('sql/postgres/_init-bundle.sql', 'utf-8')).toContain('002-more.sql');
});
