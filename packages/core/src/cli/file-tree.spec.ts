import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileTree } from './file-tree';
import { tempFolder } from '../../test-utils/temp-folder';

const folder = (files: Record<string, string>) => tempFolder(files, 'file-tree-');

describe('FileTree', () => {
  it('reads the disk, keeps writes in memory, and lists them as Nx does', () => {
    const root = folder({ 'polytope.yml': 'modules: []\n', 'sql/a.sql': 'select 1;\n' });
    const tree = new FileTree(root);
    tree.write('polytope.yml', 'modules: [x]\n');
    tree.write('sql/postgres/acme-pg.json', '{}\n');
    tree.write('./sql/a.sql', 'select 1;\n'); // the same content: no change
    tree.delete('sql/a.sql');
    expect(tree.read('polytope.yml', 'utf-8')).toBe('modules: [x]\n');
    expect(readFileSync(join(root, 'polytope.yml'), 'utf-8')).toBe('modules: []\n');
    expect(tree.exists('sql/a.sql')).toBe(false);
    expect(tree.children('sql').sort()).toEqual(['postgres']);
    expect(tree.isFile('sql')).toBe(false);
    expect(tree.exists('sql')).toBe(true);
    expect(
      tree
        .listChanges()
        .map((c) => `${c.type} ${c.path}`)
        .sort(),
    ).toEqual(['CREATE sql/postgres/acme-pg.json', 'DELETE sql/a.sql', 'UPDATE polytope.yml']);
  });

  it('writes nothing until flushed; then each file whole, with no temporary file left', () => {
    const root = folder({ 'keep.txt': 'k' });
    const tree = new FileTree(root);
    tree.write('a/b/c.txt', 'c');
    tree.write('run.sh', '#!/bin/sh\n', { mode: 0o755 });
    tree.rename('keep.txt', 'kept.txt');
    expect(readdirSync(root)).toEqual(['keep.txt']);
    tree.flush();
    expect(readdirSync(root).sort()).toEqual(['a', 'kept.txt', 'run.sh']);
    expect(readFileSync(join(root, 'a/b/c.txt'), 'utf-8')).toBe('c');
    expect(statSync(join(root, 'run.sh')).mode & 0o777).toBe(0o755);
    expect(existsSync(join(root, 'keep.txt'))).toBe(false);
  });

  it('deletes a folder with what is in it, on disk and written', () => {
    const root = folder({ 'd/x': '1', 'd/e/y': '2' });
    const tree = new FileTree(root);
    tree.write('d/z', '3');
    tree.delete('d');
    expect(tree.exists('d')).toBe(false);
    expect(
      tree
        .listChanges()
        .map((c) => `${c.type} ${c.path}`)
        .sort(),
    ).toEqual(['DELETE d/e/y', 'DELETE d/x']);
  });

  it('all or nothing: one file that cannot be written leaves every file as it was, and says which', () => {
    const root = folder({
      'polytope.yml': 'modules: []\n',
      sql: 'a file where a folder is needed',
    });
    const tree = new FileTree(root);
    tree.write('polytope.yml', 'modules: [x]\n');
    tree.write('a-new.txt', 'new');
    tree.write('sql/postgres/acme-pg.json', '{}');
    expect(() => tree.flush()).toThrow(
      /^Cannot write sql\/postgres\/?.*: ENOTDIR\. Nothing was changed\.$/,
    );
    expect(readFileSync(join(root, 'polytope.yml'), 'utf-8')).toBe('modules: []\n');
    expect(readdirSync(root).sort()).toEqual(['polytope.yml', 'sql']);
  });
});
