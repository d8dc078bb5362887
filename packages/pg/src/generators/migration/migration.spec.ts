import { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { moduleGenerator } from '../module/module';
import { seedGenerator } from '../seed/seed';
import { migrationGenerator } from './migration';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateOptsAgainstSchema } from 'nx/src/utils/params';

describe('migration and seed generators', () => {
  let tree: Tree;
  beforeEach(async () => {
    tree = createTreeWithEmptyWorkspace();
    await moduleGenerator(tree, { skipFormat: true });
  });

  it('write a migration with up and down sections, and the next seed, in the database folder', async () => {
    await migrationGenerator(tree, { name: 'add-orders' });
    await migrationGenerator(tree, { name: 'add-items' });
    const files = tree.children('sql/postgres/migrations').sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^\d{14}_add-orders\.sql$/);
    expect(files[1]).toMatch(/^\d{14}_add-items\.sql$/);
    expect(files[0] < files[1]).toBe(true);
    const text = tree.read(`sql/postgres/migrations/${files[0]}`, 'utf-8')!;
    expect(text).toMatch(/^-- migrate:up\n[\s\S]*\n-- migrate:down\n/);
    await seedGenerator(tree, { name: 'customers' });
    await seedGenerator(tree, { name: 'orders' });
    expect(tree.children('sql/postgres/seeds').sort()).toEqual([
      '001-customers.sql',
      '002-orders.sql',
    ]);
  });

  it('a bad name or module is one clear error and changes nothing', async () => {
    const before = tree.listChanges().length;
    await expect(migrationGenerator(tree, { name: 'Orders Table' })).rejects.toThrow(
      "Invalid migration name 'Orders Table'",
    );
    await expect(seedGenerator(tree, { name: 'a b' })).rejects.toThrow("Invalid seed name 'a b'");
    await expect(migrationGenerator(tree, { name: 'x', module: 'nope' })).rejects.toThrow(
      "Unknown --module 'nope'",
    );
    expect(tree.listChanges().length).toBe(before);
    expect(tree.exists('sql/postgres/migrations')).toBe(false);
  });

  it.each([
    ['migration', migrationGenerator, 'Orders Table'],
    ['seed', seedGenerator, 'a b'],
  ] as const)(
    'under Nx, a bad %s name gets our message, not the schema pattern',
    async (kind, generator, name) => {
      // What `nx g` checks before it runs a generator.
      const schema = JSON.parse(readFileSync(join(__dirname, '..', kind, 'schema.json'), 'utf-8'));
      expect(() => validateOptsAgainstSchema({ name }, schema)).not.toThrow();
      await expect(generator(tree, { name })).rejects.toThrow(
        `Invalid ${kind} name '${name}': use 1 to 80 characters from a-z, 0-9, '_' and '-', starting with a letter or digit.`,
      );
    },
  );
});
