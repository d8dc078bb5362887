import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, isSchemaDump, schemaDumpHeader } from './bundle';
import { refreshBundle } from './bundle-on-disk';

describe('refreshBundle', () => {
  let root: string;
  const dir = () => join(root, 'sql/postgres');
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'acme-pg-bundle-'));
    mkdirSync(dir(), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('leaves a current bundle alone and rebuilds a stale one as nx sync would', () => {
    writeFileSync(join(dir(), '001-a.sql'), 'SELECT 1;\n');
    const current = buildBundle('sql/postgres', [{ name: '001-a.sql', content: 'SELECT 1;\n' }]);
    writeFileSync(join(dir(), '_init-bundle.sql'), current);
    expect(refreshBundle(root, join(dir(), '_init-bundle.sql'))).toBe(false);
    writeFileSync(join(dir(), '002-seed.sql'), 'SELECT 2;\n');
    expect(refreshBundle(root, join(dir(), '_init-bundle.sql'))).toBe(true);
    expect(readFileSync(join(dir(), '_init-bundle.sql'), 'utf-8')).toBe(
      buildBundle('sql/postgres', [
        { name: '001-a.sql', content: 'SELECT 1;\n' },
        { name: '002-seed.sql', content: 'SELECT 2;\n' },
      ]),
    );
  });

  it('never touches a scripts file that is not our bundle, and refuses a binary script', () => {
    writeFileSync(join(dir(), 'init.sql'), 'mine');
    expect(refreshBundle(root, join(dir(), 'init.sql'))).toBe(false);
    expect(readFileSync(join(dir(), 'init.sql'), 'utf-8')).toBe('mine');
    writeFileSync(join(dir(), '003-bin.sql'), 'a\0b');
    expect(() => refreshBundle(root, join(dir(), '_init-bundle.sql'))).toThrow(
      'sql/postgres/003-bin.sql is not a text file; init scripts are SQL text.',
    );
  });

  it("leaves db-migrate --dumpSchema's schema.sql out, but bundles a schema.sql of the user's", () => {
    writeFileSync(join(dir(), '001-a.sql'), 'SELECT 1;\n');
    const header = schemaDumpHeader('we\nird');
    expect(header.split('\n')).toHaveLength(1);
    expect(isSchemaDump(`${header}\r\nINSERT INTO schema_migrations VALUES (1);\n`)).toBe(true);
    writeFileSync(
      join(dir(), 'schema.sql'),
      `${header}\nINSERT INTO schema_migrations VALUES (1);\n`,
    );
    expect(refreshBundle(root, join(dir(), '_init-bundle.sql'))).toBe(true);
    expect(readFileSync(join(dir(), '_init-bundle.sql'), 'utf-8')).toBe(
      buildBundle('sql/postgres', [{ name: '001-a.sql', content: 'SELECT 1;\n' }]),
    );
    // Our header further down is not our header.
    writeFileSync(join(dir(), 'schema.sql'), `-- mine\n${header}\n`);
    expect(refreshBundle(root, join(dir(), '_init-bundle.sql'))).toBe(true);
    expect(readFileSync(join(dir(), '_init-bundle.sql'), 'utf-8')).toContain('-- mine');
  });
});
