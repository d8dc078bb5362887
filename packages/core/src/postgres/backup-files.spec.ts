import fc from 'fast-check';
import {
  BackupKind,
  backupName,
  backupsToPrune,
  decodeDatabase,
  derivedDatabaseName,
  encodeDatabase,
  parseBackupName,
  selectBackups,
} from './backup-files';

const LONG = '日本語'.repeat(7); // 63 bytes of UTF-8
const NAMES = ['日本', '中国', 'app db', 'app_db', 'a=b', LONG, '.hidden', '%41', 'A', 'shop'];

function name(
  database: string,
  kind: BackupKind = 'full',
  time = '2026-11-26T18:30:00.123Z',
  id = '0000000a',
  format: 'plain' | 'custom' | 'directory' = 'plain',
): string {
  return backupName({
    database,
    kind,
    format,
    compress: false,
    serverVersion: '15.18 (Debian 15.18-1.pgdg120+1)',
    time: new Date(time),
    id,
  });
}

describe('backup names', () => {
  it('the 63-byte test name is 63 bytes', () => {
    expect(Buffer.byteLength(LONG)).toBe(63);
  });

  it('distinct databases get distinct prefixes: 日本/中国, app db/app_db, a=b, 63 bytes', () => {
    const prefixes = NAMES.map(encodeDatabase);
    expect(new Set(prefixes).size).toBe(NAMES.length);
    expect(encodeDatabase('app_db')).toBe('app_db');
    expect(encodeDatabase('app db')).toBe('app%20db');
    expect(encodeDatabase('a=b')).toBe('a%3Db');
    expect(encodeDatabase('.hidden')).toBe('%2Ehidden');
    for (const n of prefixes) expect(n).toMatch(/^[A-Za-z0-9_%-][A-Za-z0-9_.%-]*$/);
  });

  it('a name records database, kind, format, server version and time, and parses back', () => {
    const n = name('日本', 'schema', '2026-11-26T18:30:00.123Z', 'abcdef01', 'custom');
    expect(n).toBe('%E6%97%A5%E6%9C%AC-20261126T183000.123Z-schema-pg15.18-abcdef01.dump');
    expect(parseBackupName(n)).toMatchObject({
      database: '日本',
      kind: 'schema',
      format: 'custom',
      compress: false,
      serverVersion: '15.18',
      time: new Date('2026-11-26T18:30:00.123Z'),
    });
    // The longest name (63 bytes, all escaped) still fits a file name, partial form included.
    expect(Buffer.byteLength(`.${name(LONG)}.partial`)).toBeLessThan(255);
  });

  it('files that are not ours are ignored', () => {
    for (const n of [
      'shop-20261126T183000Z.sql',
      '.shop-20261126T183000.123Z-full-pg15.18-0000000a.sql.partial',
      'a%3db-20261126T183000.123Z-full-pg15.18-0000000a.sql',
      'notes.txt',
    ])
      expect(parseBackupName(n)).toBeUndefined();
  });

  it('property: the mapping is injective and reversible for any database name', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 63 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 63 }),
        (a, b) => {
          expect(decodeDatabase(encodeDatabase(a))).toBe(a);
          expect(parseBackupName(name(a))?.database).toBe(a);
          if (a !== b) expect(encodeDatabase(a)).not.toBe(encodeDatabase(b));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: a name never parses as another database, whatever the suffix-like name', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES, 'x-20261126T183000.123Z-full-pg15.18-0000000a.sql'),
        fc.constantFrom(...NAMES),
        (a, b) => {
          const picked = selectBackups([name(a), name(b, 'full', undefined, '0000000b')], a);
          expect(picked.every((e) => e.database === a)).toBe(true);
          expect(picked.length).toBe(a === b ? 2 : 1);
        },
      ),
    );
  });
});

describe('listing, newest and pruning', () => {
  const t = (s: number) => new Date(Date.UTC(2026, 10, 26, 18, 30, s)).toISOString();

  it('lists only one database, newest first; 日本 never sees 中国', () => {
    const names = [
      name('日本', 'full', t(1), '00000001'),
      name('中国', 'full', t(5), '00000002'),
      name('日本', 'full', t(3), '00000003'),
      name('app db', 'full', t(4), '00000004'),
      name('app_db', 'full', t(6), '00000005'),
    ];
    expect(selectBackups(names, '日本').map((e) => e.id)).toEqual(['00000003', '00000001']);
    expect(selectBackups(names, '中国').map((e) => e.id)).toEqual(['00000002']);
    expect(selectBackups(names, 'app db').map((e) => e.id)).toEqual(['00000004']);
    expect(selectBackups(names, 'app_db').map((e) => e.id)).toEqual(['00000005']);
  });

  it('the newest full backup ignores newer schema-only and data-only ones', () => {
    const names = [
      name('a=b', 'full', t(1), '00000001'),
      name('a=b', 'schema', t(2), '00000002'),
      name('a=b', 'data', t(3), '00000003'),
    ];
    expect(selectBackups(names, 'a=b', ['full'])[0].id).toBe('00000001');
    expect(selectBackups(names, 'a=b').map((e) => e.kind)).toEqual(['data', 'schema', 'full']);
  });

  it('--keep counts only the same database and kind, and never deletes the file just written', () => {
    const written = name(LONG, 'full', t(10), '0000000f');
    const names = [
      written,
      name(LONG, 'full', t(1), '00000001'),
      name(LONG, 'full', t(2), '00000002'),
      name(LONG, 'full', '2099-01-01T00:00:00.000Z', '00000009'), // a stray from the future
      name(LONG, 'schema', t(3), '00000003'),
      name(LONG, 'data', t(4), '00000004'),
      name('other', 'full', t(0), '00000005'),
    ];
    expect(backupsToPrune(names, written, 1).map((e) => e.id)).toEqual([
      '00000009',
      '00000002',
      '00000001',
    ]);
    expect(backupsToPrune(names, written, 2).map((e) => e.id)).toEqual(['00000002', '00000001']);
    expect(backupsToPrune(names, written, 10)).toEqual([]);
    const schema = names[4];
    expect(backupsToPrune([...names, name(LONG, 'schema', t(9), '0000000e')], schema, 1)).toEqual([
      expect.objectContaining({ id: '0000000e' }),
    ]);
  });
});

describe('derived database names', () => {
  it('fit 63 bytes and keep their suffix, so two long names never meet', () => {
    const a = derivedDatabaseName(LONG, '_restore_00000001');
    const b = derivedDatabaseName(LONG, '_replaced_00000001');
    for (const n of [a, b]) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(63);
    expect(a.endsWith('_restore_00000001')).toBe(true);
    expect(a).not.toBe(b);
    expect(derivedDatabaseName('shop', '_restore_1')).toBe('shop_restore_1');
  });
});
