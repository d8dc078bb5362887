import {
  migrationFiles,
  migrationSetProblem,
  migrationTemplate,
  newMigrationName,
  newSeedName,
  seedFiles,
  versionOf,
} from './migration-files';

const at = (iso: string) => new Date(iso);

describe('migration and seed file names', () => {
  it('a migration is named by the UTC second it is made in', () => {
    expect(newMigrationName([], 'add-orders', at('2026-12-01T18:30:05.900Z'))).toBe(
      '20261201183005_add-orders.sql',
    );
    expect(versionOf(at('2026-01-02T03:04:05Z'))).toBe('20260102030405');
  });

  it('two made in one second, or after the clock went back, get distinct names in the order made', () => {
    const now = at('2026-12-01T23:59:59Z');
    const first = newMigrationName([], 'a', now);
    const second = newMigrationName([first], 'b', now);
    const third = newMigrationName([first, second], 'c', at('2026-12-01T00:00:00Z'));
    expect([first, second, third]).toEqual([
      '20261201235959_a.sql',
      '20261202000000_b.sql',
      '20261202000001_c.sql',
    ]);
    expect(migrationFiles([third, first, second]).map((f) => f.file)).toEqual([
      first,
      second,
      third,
    ]);
  });

  it('orders versions as numbers, as dbmate does, and ignores other files', () => {
    expect(
      migrationFiles(['10_b.sql', '9_a.sql', 'README.md', 'x_y.sql', '20261201000000_c.sql']).map(
        (f) => f.version,
      ),
    ).toEqual(['9', '10', '20261201000000']);
  });

  it.each([
    ['', "Invalid migration name ''"],
    ['Orders Table', "Invalid migration name 'Orders Table'"],
    ['日本', "Invalid migration name '日本'"],
    ['a=b', "Invalid migration name 'a=b'"],
    ['../x', "Invalid migration name '../x'"],
    ['x'.repeat(81), 'Invalid migration name'],
  ])('refuses the name %j', (name, message) => {
    expect(() => newMigrationName([], name)).toThrow(message);
    expect(() => newMigrationName([], name)).toThrow(
      "use 1 to 80 characters from a-z, 0-9, '_' and '-', starting with a letter or digit.",
    );
  });

  it('refuses a name used already', () => {
    expect(() => newMigrationName(['20261201000000_orders.sql'], 'orders')).toThrow(
      "A migration named 'orders' exists already (20261201000000_orders.sql)",
    );
  });

  it('seeds are numbered one past the highest and run in byte order', () => {
    expect(newSeedName([], 'customers')).toBe('001-customers.sql');
    expect(newSeedName(['001-a.sql', '002-b.sql', 'notes.txt'], 'c')).toBe('003-c.sql');
    expect(seedFiles(['010-j.sql', '002-b.sql', 'x.sql'])).toEqual(['002-b.sql', '010-j.sql']);
    expect(() => newSeedName(['001-a.sql'], 'a')).toThrow("A seed named 'a' exists already");
  });
});

describe('hasEmptyUpSection', () => {
  it('the untouched template is empty; any statement is not', () => {
    const { hasEmptyUpSection, migrationTemplate } = jest.requireActual('./migration-files');
    expect(hasEmptyUpSection(migrationTemplate('add-orders'))).toBe(true);
    expect(
      hasEmptyUpSection('-- migrate:up\n/* later */\n  \n-- migrate:down\nDROP TABLE x;\n'),
    ).toBe(true);
    expect(
      hasEmptyUpSection('-- migrate:up\nCREATE TABLE x (id int); -- the table\n-- migrate:down\n'),
    ).toBe(false);
    expect(hasEmptyUpSection('-- migrate:up\nSELECT 1\n')).toBe(false);
    expect(hasEmptyUpSection('CREATE TABLE x (id int);\n')).toBe(false);
  });

  it('migrationSetProblem: what stops a whole folder from running on an empty database', () => {
    const ok = '-- migrate:up\nSELECT 1;\n-- migrate:down\n';
    const files: Record<string, string> = { '1_a.sql': ok, '2_b.sql': ok, 'notes.txt': '' };
    const read = (f: string) => {
      if (!(f in files)) throw new Error(`ENOENT: ${f}`);
      return files[f];
    };
    const check = () => migrationSetProblem(Object.keys(files), read, 'm');
    expect(check()).toBeUndefined();
    files['02_c.sql'] = ok;
    expect(check()).toMatch(/^m\/02_c\.sql and m\/2_b\.sql have the same version 2/);
    delete files['02_c.sql'];
    files['3-c.sql'] = ok;
    expect(check()).toMatch(/^m\/3-c\.sql is not named <version>_<name>\.sql/);
    delete files['3-c.sql'];
    files['3_c.sql'] = migrationTemplate('c');
    expect(check()).toMatch(/^m\/3_c\.sql has nothing but comments in -- migrate:up/);
    files['3_c.sql'] = '-- migrate:up\nSELECT 1;\n';
    expect(check()).toMatch(/^m\/3_c\.sql has no -- migrate:down line/);
    files['3_c.sql'] = 'SELECT 1;\n';
    expect(check()).toMatch(/^m\/3_c\.sql has no -- migrate:up line/);
  });
});
