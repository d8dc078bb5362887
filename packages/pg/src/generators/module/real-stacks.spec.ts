import { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { outsideModule } from '@acme/pg-core/test-utils/outside-module';
import { snapshot } from '../../../test-utils/tree-snapshot';
import { fileDefining, readStack } from '@acme/pg-core/src/polytope/include-graph';
import { envValue } from '@acme/pg-core/src/polytope/postgres-module';
import { findPostgresModule } from '@acme/pg-core/src/polytope/upsert-module';
import { moduleGenerator } from './module';
import { ModuleGeneratorSchema } from '@acme/pg-core/src/generators/module/schema';

const CORPUS = join(__dirname, 'fixtures', 'real-stacks');

/** Each stack of the corpus, with the PostgreSQL module it already has. */
const CASES: { dir: string; existing?: string }[] = [
  { dir: 'scrive-modules', existing: 'curity-db' },
  { dir: 'playground-modules', existing: 'postgres' },
  { dir: 'chatbot-simple', existing: 'postgres' },
  { dir: 'carbonbridge-tools', existing: 'postgres' },
  { dir: 'gigaflow-include', existing: 'postgres' },
  { dir: 'bluetext-templates' },
  { dir: 'blueprint-comments', existing: 'postgres' },
  { dir: 'block-env-last', existing: 'curity-db' },
  { dir: 'flow-env-file', existing: 'db' },
  { dir: 'plaintext-password', existing: 'postgres' },
  { dir: 'custom-pgdata', existing: 'analytics' },
  { dir: 'host-path-volume', existing: 'orders' },
  { dir: 'three-scripts', existing: 'postgres' },
  { dir: 'default-template' },
];

function filesOf(dir: string, base = dir): [string, string][] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory()
      ? filesOf(path, base)
      : [[relative(base, path), readFileSync(path, 'utf-8')] as [string, string]];
  });
}

function load(dir: string): { tree: Tree; before: Map<string, string> } {
  const tree = createTreeWithEmptyWorkspace();
  const before = new Map(filesOf(join(CORPUS, dir)));
  for (const [path, text] of before) tree.write(path, text);
  return { tree, before };
}

function stackOf(tree: Tree) {
  return readStack(
    { read: (p) => tree.read(p, 'utf-8'), isFile: (p) => tree.exists(p) && tree.isFile(p) },
    'polytope.yml',
  );
}

/** Where the module's data lives: what an update must never change. */
function dataLocation(tree: Tree, id: string) {
  const file = fileDefining(stackOf(tree), id)!;
  const found = findPostgresModule(file, id)!;
  const args = ((found.argsHolder.get('args') as { toJSON(): Record<string, unknown> }).toJSON() ??
    {}) as Record<string, unknown>;
  return {
    file: file.path,
    volume: args['data-volume'],
    dataPath: args['data-path'],
    pgdata: envValue(found.existing, 'PGDATA'),
  };
}

/** Runs the generator and checks what every run must keep; returns the files it changed. */
async function runAndCheck(
  tree: Tree,
  before: Map<string, string>,
  options: ModuleGeneratorSchema,
): Promise<string[]> {
  const id = options.id!;
  await moduleGenerator(tree, { skipFormat: true, skipPackageJson: true, ...options });
  // The stack reads back, with the module defined exactly once.
  const stack = stackOf(tree);
  expect(fileDefining(stack, id)).toBeDefined();
  const changed: string[] = [];
  for (const [path, text] of before) {
    if (!/\.ya?ml$/.test(path)) {
      // Files the module named are copied, never moved or changed.
      expect(tree.read(path, 'utf-8')).toBe(text);
      continue;
    }
    const after = tree.read(path, 'utf-8')!;
    if (after === text) continue;
    changed.push(path);
    const include = stack.includes.get(path)?.find((e) => !before.has(e.target))?.written;
    expect(outsideModule(after, id, include)).toBe(outsideModule(text, id, include));
  }
  // A second run changes nothing at all.
  const first = snapshot(tree);
  await moduleGenerator(tree, { skipFormat: true, skipPackageJson: true, ...options });
  expect(snapshot(tree)).toBe(first);
  return changed;
}

describe('module generator on the real-stack corpus', () => {
  it('has at least 12 stacks', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(12);
    expect(
      readdirSync(CORPUS)
        .filter((d) => d !== 'README.md')
        .sort(),
    ).toEqual(CASES.map((c) => c.dir).sort());
  });

  describe.each(CASES)('$dir', ({ dir, existing }) => {
    it('adds a new module: its own lines and one run entry, nothing else', async () => {
      const { tree, before } = load(dir);
      const changed = await runAndCheck(tree, before, { id: 'ledger' });
      expect(changed.length).toBeGreaterThan(0);
      const stack = stackOf(tree);
      const runs = stack.files.some((f) => /(^|[\s[,{:"'-])ledger["']?\s*[,\]}\n]/.test(f.text));
      expect(runs).toBe(true);
      expect(dataLocation(tree, 'ledger').volume).toEqual({
        id: 'ledger-data',
        type: 'volume',
        scope: 'project',
      });
    });

    if (existing) {
      it(`updates '${existing}' in place, keeping where its data lives`, async () => {
        const { tree, before } = load(dir);
        const location = dataLocation(tree, existing);
        const changed = await runAndCheck(tree, before, { id: existing, restart: 'always' });
        expect(changed).toEqual([location.file]);
        expect(dataLocation(tree, existing)).toEqual(location);
      });

      it(`re-runs on '${existing}' with no options change nothing after the first`, async () => {
        const { tree, before } = load(dir);
        const location = dataLocation(tree, existing);
        await runAndCheck(tree, before, { id: existing });
        expect(dataLocation(tree, existing)).toEqual(location);
      });
    }
  });

  it('adopts one scripts entry: copied, numbered, the original kept, the bundle mounted', async () => {
    const { tree } = load('scrive-modules');
    await moduleGenerator(tree, { id: 'curity-db', skipFormat: true, skipPackageJson: true });
    expect(tree.read('sql/curity-db/001-curity-db.sql', 'utf-8')).toBe(
      tree.read('conf/curity-db.sql', 'utf-8'),
    );
    expect(tree.read('sql/curity-db/_init-bundle.sql', 'utf-8')).toContain(
      'CREATE TABLE delegations',
    );
    expect(tree.read('polytope.yml', 'utf-8')).toContain(
      '      scripts:\n        - { type: host, path: sql/curity-db/_init-bundle.sql }\n      restart: { policy: on-failure }\n',
    );
  });

  it('writes new env entries like their siblings: block maps after block maps', async () => {
    const { tree } = load('block-env-last');
    await moduleGenerator(tree, { id: 'curity-db', skipFormat: true, skipPackageJson: true });
    expect(tree.read('polytope.yml', 'utf-8')).toContain(
      '        - name: POSTGRES_USER\n          value: pt.secret curity-db-username\n        - name: POSTGRES_PASSWORD\n          value: pt.secret curity-db-password\n',
    );
  });

  it('adopts three scripts entries in their listed order', async () => {
    const { tree } = load('three-scripts');
    await moduleGenerator(tree, { skipFormat: true, skipPackageJson: true });
    expect(tree.children('sql/postgres').filter((f) => /^\d/.test(f))).toEqual([
      '001-01-schema.sql',
      '002-02-roles.sql',
      '003-03-seed.sql',
    ]);
    const bundle = tree.read('sql/postgres/_init-bundle.sql', 'utf-8')!;
    expect(bundle.indexOf('CREATE TABLE items')).toBeLessThan(bundle.indexOf('CREATE ROLE reader'));
    expect(bundle.indexOf('CREATE ROLE reader')).toBeLessThan(bundle.indexOf('INSERT INTO items'));
  });

  it('resolves ./ script paths of an included file from the stack root', async () => {
    const { tree } = load('carbonbridge-tools');
    await moduleGenerator(tree, { skipFormat: true, skipPackageJson: true });
    expect(tree.read('sql/postgres/001-db.sql', 'utf-8')).toBe(
      tree.read('services/curity/db.sql', 'utf-8'),
    );
    expect(tree.read('services/postgres/polytope.yml', 'utf-8')).toContain(
      '          scripts:\n            - { type: host, path: ./sql/postgres/_init-bundle.sql }\n            \n  pgweb:',
    );
  });
});
