import {
  migrationFiles,
  migrationFolder,
  migrationProblem,
  seedFolder,
  fileLine,
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

  it('orders files by name, as dbmate 2.36 runs them, and ignores other files', () => {
    expect(
      migrationFiles(['10_b.sql', '9_a.sql', 'README.md', 'x_y.sql', '20261201000000_c.sql']).map(
        (f) => f.version,
      ),
    ).toEqual(['10', '20261201000000', '9']);
    // The next version is past the highest, whatever the order.
    expect(
      newMigrationName(['9_a.sql', '20261201000000_c.sql'], 'd', at('2026-01-01T00:00:00Z')),
    ).toBe('20261201000001_d.sql');
  });

  it('a folder: duplicates, names only dbmate would run, and files that are not migrations', () => {
    expect(
      migrationFolder([
        '20261202160003_w3.sql',
        '20261202160003_dup.sql',
        '20261202160004.sql',
        '20261202160005dup.sql',
        'add_nover.sql',
        'X.SQL',
        'README.md',
        '.gitkeep',
      ]),
    ).toEqual({
      files: [
        { version: '20261202160003', file: '20261202160003_dup.sql' },
        { version: '20261202160003', file: '20261202160003_w3.sql' },
      ],
      duplicates: [['20261202160003_dup.sql', '20261202160003_w3.sql']],
      dbmateOnly: ['20261202160004.sql', '20261202160005dup.sql'],
      ignored: ['X.SQL', 'add_nover.sql'],
    });
    expect(
      seedFolder(['002-b.sql', 'notnumbered.sql', '1_x.sql', 'notes.txt', '001-a.sql']),
    ).toEqual({
      seeds: ['001-a.sql', '002-b.sql'],
      ignored: ['1_x.sql', 'notnumbered.sql'],
    });
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
});

describe('migrationProblem: what dbmate would refuse, found before anything runs', () => {
  it.each([
    ['\ufeff-- migrate:up\nSELECT 1;\n-- migrate:down\n', 'starts with a UTF-8 byte order mark'],
    ['SELECT 1;\n', "has no '-- migrate:up' line"],
    ['-- migrate:up\nSELECT 1;\n', "has no '-- migrate:down' line"],
    [
      '-- migrate:down\nSELECT 2;\n-- migrate:up\nSELECT 1;\n',
      "has '-- migrate:down' before '-- migrate:up'",
    ],
    [
      'SELECT 0;\n-- migrate:up\nSELECT 1;\n-- migrate:down\n',
      "has a statement before '-- migrate:up'",
    ],
  ])('%j', (text, problem) => {
    expect(migrationProblem(text)).toContain(problem);
  });

  it('a well-formed file has none; comments and blank lines may come first', () => {
    expect(
      migrationProblem('-- add orders\n\n-- migrate:up\nSELECT 1;\n-- migrate:down\n'),
    ).toBeUndefined();
    expect(
      migrationProblem('-- migrate:up transaction:false\nSELECT 1;\n-- migrate:down\n'),
    ).toBeUndefined();
  });

  it("dbmate's line in a section is a line of the file", () => {
    const text =
      '-- note\n-- migrate:up\nSELECT 1;\nSELEC 2;\n\n-- migrate:down\nDROP x;\nSELEC 3;\n';
    expect(fileLine(text, 'up', 3)).toBe(4);
    expect(fileLine(text, 'down', 3)).toBe(8);
  });
});
