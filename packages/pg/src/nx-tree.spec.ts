/**
 * The command line's project files in an Nx workspace (FolderHost, in @acme/pg-core) are the ones
 * Nx's devkit writes for the same calls: the same bytes, so `acme-pg g` and `nx g` leave an Nx
 * workspace alike.
 */
import {
  addProjectConfiguration,
  readProjectConfiguration,
  Tree,
  updateProjectConfiguration,
} from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { rmSync } from 'node:fs';
import { FileTree } from '@acme/pg-core/src/cli/file-tree';
import { tempFolder } from '@acme/pg-core/test-utils/temp-folder';

const START = {
  'nx.json': '{ "plugins": [{ "plugin": "@acme/pg" }] }\n',
  'node_modules/@acme/pg/package.json': '{ "name": "@acme/pg", "version": "0.1.0" }\n',
  'apps/api/project.json':
    '{\n  "name": "api",\n  "$schema": "../../node_modules/nx/schemas/project-schema.json",\n  "projectType": "application",\n  "targets": { "build": { "command": "echo build" } }\n}\n',
  'apps/web/package.json': '{ "name": "web", "version": "0.0.0" }\n',
};

let root: string;
afterAll(() => rmSync(root, { recursive: true, force: true }));

function edits(t: {
  add: (n: string, c: object) => void;
  read: (n: string) => Record<string, unknown>;
  update: (n: string, c: object) => void;
}): void {
  t.add('postgres', {
    root: 'sql/postgres',
    projectType: 'application',
    tags: ['postgres', 'polytope-module:postgres'],
    targets: {},
  });
  t.update('api', { ...t.read('api'), implicitDependencies: ['postgres'] });
  t.update('web', {
    root: 'apps/web',
    name: 'web',
    targets: {},
    implicitDependencies: ['postgres'],
  });
}

it('addProject and updateProject write what addProjectConfiguration and updateProjectConfiguration write', () => {
  const nx: Tree = createTreeWithEmptyWorkspace();
  for (const [path, text] of Object.entries(START)) nx.write(path, text);
  edits({
    add: (n, c) => addProjectConfiguration(nx, n, c as never),
    read: (n) => readProjectConfiguration(nx, n) as never,
    update: (n, c) => updateProjectConfiguration(nx, n, c as never),
  });

  root = tempFolder({ ...START, 'package.json': '{}\n' }, 'nx-tree-');
  const ours = new FileTree(root);
  edits({
    add: (n, c) => ours.host.addProject(n, c as never),
    read: (n) => ours.host.readProject(n) as never,
    update: (n, c) => ours.host.updateProject(n, c as never),
  });

  for (const path of [
    'sql/postgres/project.json',
    'apps/api/project.json',
    'apps/web/package.json',
  ])
    expect([path, ours.read(path, 'utf-8')]).toEqual([path, nx.read(path, 'utf-8')]);
});
