import { Tree } from '@nx/devkit';
import { logger } from '@acme/pg-core/src/utils/logger';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { polytopeFileErrors } from '@acme/pg-core/test-utils/polytope-validation';
import { DBMATE_IMAGE, DBMATE_VERSION } from '@acme/pg-core/src/polytope/migration-step';
import { moduleGenerator } from './module';

type Doc = {
  templates?: { id: string; run: unknown[] }[];
  modules?: { id: string; module: string; args: Record<string, any> }[];
  tools?: Record<string, { run: { tool: string; args?: Record<string, any> }[] }>;
};
const doc = (tree: Tree, path = 'polytope.yml') => parse(tree.read(path, 'utf-8')!) as Doc;
const step = (tree: Tree, path = 'polytope.yml') =>
  doc(tree, path).modules?.find((m) => m.id === 'postgres-migrate');

describe('module generator --migrations: the stack migration step', () => {
  let tree: Tree;
  let info: jest.SpyInstance;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    tree.delete('.oxfmtrc.json');
    tree.write('.prettierrc', '{}');
    info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  });
  afterEach(() => info.mockRestore());
  const said = () => info.mock.calls.map((c) => String(c[0])).join('\n');

  it('pins the image to the npm dbmate release db-migrate runs', () => {
    const pkg = JSON.parse(
      readFileSync(
        join(require.resolve('@dbmate/linux-x64/package.json', { paths: [__dirname] })),
        'utf-8',
      ),
    );
    expect(pkg.version).toBe(DBMATE_VERSION);
    expect(DBMATE_IMAGE).toBe(`ghcr.io/amacneil/dbmate:${pkg.version}`);
  });

  it('adds a dbmate container beside the database, in the same template, with no after:, valid against schema and params', async () => {
    await moduleGenerator(tree, { migrations: true });
    const text = tree.read('polytope.yml', 'utf-8')!;
    expect(polytopeFileErrors(text)).toEqual([]);
    const d = doc(tree);
    // Beside the database: a polytope/container step completes only when its container exits.
    expect(d.templates).toEqual([{ id: 'stack', run: ['postgres', 'postgres-migrate'] }]);
    const s = step(tree)!;
    expect(s.module).toBe('polytope/container');
    expect(s.args['image']).toBe(DBMATE_IMAGE);
    expect(s.args['entrypoint']).toEqual(['/bin/sh', '-c']);
    expect(s.args['mounts']).toEqual([
      { path: '/db/migrations', source: { type: 'host', path: 'sql/postgres/migrations' } },
    ]);
    expect(s.args['env']).toEqual([
      { name: 'PGHOST', value: 'pt.value postgres-host' },
      { name: 'PGPORT', value: 'pt.value postgres-port' },
      { name: 'PGDATABASE', value: 'pt.value postgres-database' },
      { name: 'PGUSER', value: 'pt.secret postgres-username' },
      { name: 'PGPASSWORD', value: 'pt.secret postgres-password' },
    ]);
    expect(s.args['cmd'][0]).toContain('dbmate --wait');
    expect(s.args['cmd'][0]).toContain('--no-dump-schema up');
    // Polytope reads {…} in strings as interpolation.
    expect(s.args['cmd'][0]).not.toMatch(/[{}]/);
    expect(tree.exists('sql/postgres/migrations/.gitkeep')).toBe(true);
    expect(said()).toContain("added the migration step 'postgres-migrate'");
  });

  it('re-runs change nothing, keep a user edit of the step, and never remove it', async () => {
    await moduleGenerator(tree, { migrations: true });
    const edited = tree
      .read('polytope.yml', 'utf-8')!
      .replace('--wait-timeout 5m', '--wait-timeout 20m')
      .replace('restart: { policy: never }', 'restart: { policy: on-failure, max-restarts: 2 }');
    tree.write('polytope.yml', edited);
    await moduleGenerator(tree, { migrations: true });
    expect(tree.read('polytope.yml', 'utf-8')).toBe(edited);
    await moduleGenerator(tree, {});
    expect(tree.read('polytope.yml', 'utf-8')).toBe(edited);
    await moduleGenerator(tree, { migrations: false });
    expect(tree.read('polytope.yml', 'utf-8')).toBe(edited);
    expect(said()).toContain("The migration step 'postgres-migrate' in polytope.yml stays");
  });

  it('--migrations puts back a run entry removed by hand; a re-run without it leaves it out', async () => {
    await moduleGenerator(tree, { migrations: true });
    const text = tree
      .read('polytope.yml', 'utf-8')!
      .replace('run: [postgres, postgres-migrate]', 'run: [postgres]');
    tree.write('polytope.yml', text);
    await moduleGenerator(tree, {});
    expect(doc(tree).templates![0].run).toEqual(['postgres']);
    await moduleGenerator(tree, { migrations: true });
    expect(doc(tree).templates![0].run).toEqual(['postgres', 'postgres-migrate']);
  });

  it('is off by default, except for a new module whose folder holds migrations', async () => {
    await moduleGenerator(tree, {});
    expect(step(tree)).toBeUndefined();
    const other = createTreeWithEmptyWorkspace();
    other.write('sql/orders/migrations/20261201100000_a.sql', '-- migrate:up\nSELECT 1;\n');
    await moduleGenerator(other, { id: 'orders' });
    expect(doc(other).modules!.map((m) => m.id)).toEqual(['orders', 'orders-migrate']);
    expect(other.exists('sql/orders/migrations/.gitkeep')).toBe(false);
    expect(polytopeFileErrors(other.read('polytope.yml', 'utf-8')!)).toEqual([]);
  });

  it('reuses the references the database module has, and sends no password under trust', async () => {
    tree.write(
      'polytope.yml',
      `templates:
  - id: stack
    run: [db]
modules:
  - id: db
    module: polytope/postgres
    args:
      env:
        - { name: POSTGRES_DB, value: pt.value shop-db-name }
        - { name: POSTGRES_USER, value: pt.secret shop-admin }
`,
    );
    await moduleGenerator(tree, { id: 'db', migrations: true, auth: 'trust', allowTrust: true });
    const s = doc(tree).modules!.find((m) => m.id === 'db-migrate')!;
    expect(s.args['env']).toEqual([
      { name: 'PGHOST', value: 'pt.value db-host' },
      { name: 'PGPORT', value: 'pt.value db-port' },
      { name: 'PGDATABASE', value: 'pt.value shop-db-name' },
      { name: 'PGUSER', value: 'pt.secret shop-admin' },
    ]);
    expect(polytopeFileErrors(tree.read('polytope.yml', 'utf-8')!)).toEqual([]);
  });

  it('in the tools: format, an included file: the step beside the tool, joined to the stack tool', async () => {
    tree.write(
      'polytope.yml',
      'include:\n  - services\ntools:\n  stack:\n    run:\n      - tool: web\n',
    );
    tree.write('services/polytope.yml', 'tools:\n  web:\n    run:\n      - tool: polytope/node\n');
    await moduleGenerator(tree, { migrations: true });
    const root = doc(tree);
    expect(root.tools!['stack'].run).toEqual([
      { tool: 'web' },
      { tool: 'postgres' },
      { tool: 'postgres-migrate' },
    ]);
    const file = 'postgres/polytope.yml';
    const tool = doc(tree, file).tools!['postgres-migrate'];
    expect(tool.run[0].tool).toBe('polytope/container');
    // Included files name host paths from the stack's root folder, as `./…`.
    expect(tool.run[0].args!['mounts'][0].source).toEqual({
      type: 'host',
      path: './sql/postgres/migrations',
    });
    expect(polytopeFileErrors(tree.read(file, 'utf-8')!)).toEqual([]);
  });

  it('in the tools: format, a moved database folder: the step mounts it where it went, and says so', async () => {
    tree.write(
      'polytope.yml',
      'include:\n  - services\ntools:\n  stack:\n    run:\n      - tool: web\n',
    );
    tree.write('services/polytope.yml', 'tools:\n  web:\n    run:\n      - tool: polytope/node\n');
    await moduleGenerator(tree, { migrations: true });
    for (const c of tree.listChanges())
      if (c.path.startsWith('sql/postgres/') && tree.exists(c.path)) {
        tree.write(c.path.replace('sql/postgres/', 'db/pg/'), tree.read(c.path)!);
        tree.delete(c.path);
      }
    const before = tree.read('postgres/polytope.yml', 'utf-8')!;
    await moduleGenerator(tree, { migrations: true, scriptsDir: 'db/pg' });
    const after = tree.read('postgres/polytope.yml', 'utf-8')!;
    const tool = doc(tree, 'postgres/polytope.yml').tools!['postgres-migrate'];
    expect(tool.run[0].args!['mounts']).toEqual([
      { path: '/db/migrations', source: { type: 'host', path: './db/pg/migrations' } },
    ]);
    // Only the two paths changed, byte for byte elsewhere.
    expect(after).toBe(before.replaceAll('./sql/postgres/', './db/pg/'));
    expect(said()).toContain(
      "The migration step 'postgres-migrate' mounted ./sql/postgres/migrations, which is gone: it mounts ./db/pg/migrations now",
    );
  });

  it('a module the database is not run by: the step is written, not run, and it says so', async () => {
    await moduleGenerator(tree, { migrations: true, template: 'none' });
    expect(step(tree)).toBeDefined();
    expect(doc(tree).templates).toBeUndefined();
    expect(said()).toContain(
      "Nothing in the stack runs 'postgres', so its migration step is not run either",
    );
  });
});
