import { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { snapshot } from '../../../test-utils/tree-snapshot';
import { parse } from 'yaml';
import { polytopeFileErrors } from '@acme/pg-core/test-utils/polytope-validation';
import { initBundleSyncGenerator } from '../init-bundle-sync/init-bundle-sync';
import { moduleGenerator } from '../module/module';
import { initScriptGenerator } from './init-script';
import { nxTree } from '../../nx-tree';
import { nameProblem } from '@acme/pg-core/src/generators/init-script/init-script';

describe('init-script generator', () => {
  let tree: Tree;
  beforeEach(async () => {
    tree = createTreeWithEmptyWorkspace();
    tree.delete('.oxfmtrc.json');
    await moduleGenerator(tree, { skipFormat: true });
  });

  it('numbers scripts so that byte order is run order, and rebuilds the bundle', async () => {
    await initScriptGenerator(tree, { name: 'extensions' });
    await initScriptGenerator(tree, { name: 'app', kind: 'schema' });
    expect(tree.children('sql/postgres').sort()).toEqual([
      '001-extensions.sql',
      '002-app.sql',
      '_init-bundle.sql',
      'acme-pg.json',
      'project.json',
    ]);
    expect(tree.read('sql/postgres/002-app.sql', 'utf-8')).toContain(
      'CREATE SCHEMA IF NOT EXISTS "app";',
    );
    const bundle = tree.read('sql/postgres/_init-bundle.sql', 'utf-8')!;
    expect(bundle.indexOf('-- @acme/pg source: 001-extensions.sql')).toBeLessThan(
      bundle.indexOf('-- @acme/pg source: 002-app.sql'),
    );
    expect(bundle).toContain('\\connect :"acme_pg_init_db" :"acme_pg_init_user"');
    expect(await initBundleSyncGenerator(tree)).toEqual({});
  });

  it('continues numbering after the highest number and keeps its width', async () => {
    tree.write('sql/postgres/0009-old.sql', 'SELECT 1;\n');
    await initScriptGenerator(tree, { name: 'next' });
    expect(tree.exists('sql/postgres/0010-next.sql')).toBe(true);
  });

  it('database-user: a role and a database, the password from a secret wired into the module', async () => {
    const before = tree.read('polytope.yml', 'utf-8')!;
    await initScriptGenerator(tree, {
      name: 'app-user',
      kind: 'database-user',
      role: 'app',
      database: 'app_db',
    });
    const sql = tree.read('sql/postgres/001-app-user.sql', 'utf-8')!;
    expect(sql).toContain(
      "\\copy acme_pg_secret FROM PROGRAM 'printenv PGINIT_APP_PASSWORD || true'",
    );
    // The password is never interpolated into a statement the server would log.
    expect(sql).not.toMatch(/PASSWORD :'/);
    expect(JSON.parse(tree.read('sql/postgres/acme-pg.json', 'utf-8')!).roles).toEqual({
      app: { database: 'app_db' },
    });
    expect(sql).toContain("format('CREATE DATABASE %I OWNER %I', 'app_db', 'app')");
    const after = tree.read('polytope.yml', 'utf-8')!;
    const added = after.split('\n').filter((l) => !before.split('\n').includes(l));
    expect(added).toEqual([
      '        - { name: PGINIT_APP_PASSWORD, value: pt.secret postgres-role-app-secret }',
    ]);
    expect(polytopeFileErrors(after)).toEqual([]);
    await initScriptGenerator(tree, {
      name: 'app-user-again',
      kind: 'database-user',
      role: 'app',
      database: 'app_db',
    });
    expect(
      parse(tree.read('polytope.yml', 'utf-8')!).modules[0].args.env.filter(
        (e: { name: string }) => e.name === 'PGINIT_APP_PASSWORD',
      ),
    ).toHaveLength(1);
  });

  it('the sync generator notices added, edited, deleted and renamed scripts', async () => {
    await initScriptGenerator(tree, { name: 'one' });
    const edits: [string, (t: Tree) => void][] = [
      ['add', (t) => t.write('sql/postgres/002-two.sql', 'CREATE TABLE two (id int);\n')],
      ['edit', (t) => t.write('sql/postgres/001-one.sql', 'CREATE TABLE one (id int);\n')],
      ['rename', (t) => t.rename('sql/postgres/002-two.sql', 'sql/postgres/000-two.sql')],
      ['delete', (t) => t.delete('sql/postgres/000-two.sql')],
    ];
    for (const [what, edit] of edits) {
      edit(tree);
      const result = await initBundleSyncGenerator(tree);
      expect([what, result.outOfSyncMessage]).toEqual([
        what,
        expect.stringContaining('Run `nx sync`'),
      ]);
      expect(await initBundleSyncGenerator(tree)).toEqual({});
    }
    const bundle = tree.read('sql/postgres/_init-bundle.sql', 'utf-8')!;
    expect(bundle).toContain('CREATE TABLE one (id int);');
    expect(bundle).not.toContain('two');
  });

  const bad: [string, Parameters<typeof initScriptGenerator>[1], RegExp][] = [
    [
      'an unknown --module',
      { name: 'x', module: 'nope' },
      /Unknown --module 'nope'; the PostgreSQL modules here are: postgres\./,
    ],
    ['a name with shell metacharacters', { name: 'x;rm -rf' }, /Invalid script name 'x;rm -rf'/],
    ['a name with a path', { name: '../x' }, /Invalid script name/],
    [
      'a name with a space, with the rule and a suggestion',
      { name: 'Orders Table' },
      /^Invalid script name 'Orders Table': use 1 to 50 characters from a-z, 0-9, '_' and '-', starting with a letter or digit \(for example: orders-table\)\.$/,
    ],
    [
      'no name and no terminal',
      {},
      /^Name the script: nx g @acme\/pg:init-script <name> \(1 to 50 characters/,
    ],
    ['an unknown kind', { name: 'x', kind: 'table' as never }, /Invalid --kind 'table'/],
    [
      'a role with a quote',
      { name: 'x', kind: 'database-user', role: 'a"b' },
      /Invalid --role 'a"b'/,
    ],
    [
      'the superuser as role',
      { name: 'x', kind: 'database-user', role: 'postgres' },
      /Invalid --role 'postgres'/,
    ],
  ];
  it.each(bad)('refuses %s and writes nothing', async (_n, options, message) => {
    const before = snapshot(tree);
    await expect(initScriptGenerator(tree, options)).rejects.toThrow(message);
    expect(snapshot(tree)).toBe(before);
  });

  it('checks a typed name against the rule and the scripts already there', async () => {
    await initScriptGenerator(tree, { name: 'orders' });
    expect(nameProblem(nxTree(tree), 'sql/postgres', 'orders-table')).toBeUndefined();
    expect(nameProblem(nxTree(tree), 'sql/postgres', 'orders')).toBe(
      'sql/postgres/001-orders.sql exists already; choose another name, or edit that script.',
    );
    expect(nameProblem(nxTree(tree), 'sql/postgres', '-x')).toMatch(
      /^Invalid script name '-x'.*\(for example: x\)\.$/,
    );
    expect(nameProblem(nxTree(tree), 'sql/postgres', '日本')).toMatch(
      /^Invalid script name '日本': use [^(]*\.$/,
    );
  });

  it('database-user works on images older than PostgreSQL 15 (no \\getenv needed)', async () => {
    await moduleGenerator(tree, {
      image: 'postgres:14.9',
      allowMajorUpgrade: true,
      skipFormat: true,
    });
    await initScriptGenerator(tree, { name: 'app', kind: 'database-user' });
    expect(tree.exists('sql/postgres/001-app.sql')).toBe(true);
  });

  it('asks for --module when there are several, and says to run the module generator when there is none', async () => {
    await moduleGenerator(tree, { id: 'analytics', skipFormat: true });
    await expect(initScriptGenerator(tree, { name: 'x' })).rejects.toThrow(
      'several PostgreSQL modules (analytics, postgres); choose one with --module',
    );
    await initScriptGenerator(tree, { name: 'x', module: 'analytics' });
    expect(tree.exists('sql/analytics/001-x.sql')).toBe(true);
    await expect(
      initScriptGenerator(createTreeWithEmptyWorkspace(), { name: 'x' }),
    ).rejects.toThrow('Run `nx g @acme/pg:module` first');
  });
});
