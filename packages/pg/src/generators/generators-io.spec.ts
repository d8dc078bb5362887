import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { addProjectConfiguration } from '@nx/devkit';
import { clientGenerator } from './client/client';
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
  const processes = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync'] as const;
  const spies = [
    ...writes.map((name) => [`fs.${name}`, jest.spyOn(fs, name as never)] as const),
    ...processes.map(
      (name) => [`child_process.${name}`, jest.spyOn(childProcess, name as never)] as const,
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
  addProjectConfiguration(tree, 'api', { root: 'apps/api' });
  tree.write('apps/api/pyproject.toml', '[project]\nname = "api"\n');
  await clientGenerator(tree, { project: 'api', module: 'postgres', skipFormat: true });
  addProjectConfiguration(tree, 'web', { root: 'apps/web' });
  tree.write('apps/web/tsconfig.json', '{}');
  // The install callback is Nx's to run after the tree is flushed; it is not called here.
  await clientGenerator(tree, { project: 'web', module: 'analytics', skipFormat: true });
  tree.write('sql/postgres/002-more.sql', 'SELECT 1;\n');
  await initBundleSyncGenerator(tree);
  // Named, so a failure says which call was made.
  for (const [name, spy] of spies) expect([name, spy.mock.calls.length]).toEqual([name, 0]);
  expect(tree.read('sql/postgres/_init-bundle.sql', 'utf-8')).toContain('002-more.sql');
  expect(tree.exists('apps/api/db.py')).toBe(true);
  expect(tree.exists('apps/web/src/db-analytics.ts')).toBe(true);
});
