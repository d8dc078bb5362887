import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempFolder } from '../../test-utils/temp-folder';
import { main } from './main';

/** A plain folder with one database project whose bundle was never built. */
function workspace(): string {
  return tempFolder(
    {
      'package.json': '{ "name": "shop", "private": true }\n',
      'polytope.yml': 'modules: []\n',
      'sql/postgres/acme-pg.json':
        '{ "kind": "database", "module": "postgres", "polytopeFile": "polytope.yml" }\n',
      'sql/postgres/001-orders.sql': 'CREATE TABLE orders (id int);\n',
    },
    'acme-pg-sync-',
  );
}

function run(args: string[], cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((c) => !!out.push(String(c)));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((c) => !!err.push(String(c)));
  return main(args, cwd)
    .then(
      (code) => ({ code, stdout: out.join(''), stderr: err.join('') }),
      () => ({ code: -1, stdout: out.join(''), stderr: err.join('') }),
    )
    .finally(() => {
      o.mockRestore();
      e.mockRestore();
    });
}

describe('acme-pg sync', () => {
  let root: string;
  beforeEach(() => (root = workspace()));
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const bundle = () => join(root, 'sql/postgres/_init-bundle.sql');

  it('--check fails while a bundle is stale and writes nothing; sync rebuilds it; then --check passes', async () => {
    const check = await run(['sync', '--check'], root);
    expect(check.code).toBe(1);
    expect(check.stderr).toBe(
      'acme-pg sync: sql/postgres/_init-bundle.sql does not match its .sql scripts: run acme-pg sync to rebuild it.\n',
    );
    expect(() => readFileSync(bundle())).toThrow();

    const dry = await run(['sync', '--dry-run'], root);
    expect(dry).toEqual({
      code: 0,
      stdout: 'CREATE sql/postgres/_init-bundle.sql\n\nDry run: nothing was written.\n',
      stderr: '',
    });
    expect(() => readFileSync(bundle())).toThrow();

    expect(await run(['sync'], root)).toEqual({
      code: 0,
      stdout: 'CREATE sql/postgres/_init-bundle.sql\n',
      stderr: '',
    });
    expect(readFileSync(bundle(), 'utf-8')).toContain('CREATE TABLE orders (id int);');
    expect((await run(['sync', '--check'], root)).code).toBe(0);

    // A script edited by hand makes it stale again.
    writeFileSync(join(root, 'sql/postgres/002-items.sql'), 'CREATE TABLE items (id int);\n');
    expect((await run(['sync', '--check'], root)).code).toBe(1);
    await run(['sync'], root);
    expect(readFileSync(bundle(), 'utf-8')).toContain('CREATE TABLE items (id int);');
  });

  it('a wrong option: exit 2, one line, nothing written', async () => {
    const r = await run(['sync', '--chek'], root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^acme-pg sync: Unknown option '--chek'.* See acme-pg sync --help\.\n$/,
    );
    expect(() => readFileSync(bundle())).toThrow();
  });

  it('a marker it cannot read, or no database at all: --check fails with one line, it never passes by skipping', async () => {
    writeFileSync(join(root, 'sql/postgres/_init-bundle.sql'), 'stale\n');
    const marker = join(root, 'sql/postgres/acme-pg.json');
    writeFileSync(marker, '{ "kind": "database", ');
    const broken = await run(['sync', '--check'], root);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe(
      'acme-pg sync: sql/postgres/acme-pg.json is not valid JSON; fix it (or run acme-pg g module again), then run acme-pg sync again. Nothing was written.\n',
    );
    writeFileSync(marker, '{ "kind": "database" }\n');
    expect((await run(['sync', '--check'], root)).stderr).toMatch(
      /names no module or polytopeFile/,
    );
    rmSync(marker);
    const none = await run(['sync', '--check'], root);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /^acme-pg sync: no PostgreSQL module here: no acme-pg\.json of kind database under /,
    );
    expect(readFileSync(join(root, 'sql/postgres/_init-bundle.sql'), 'utf-8')).toBe('stale\n');
  });

  it('a script that is not UTF-8: one line, nothing written, never a changed byte in the bundle', async () => {
    writeFileSync(
      join(root, 'sql/postgres/002-latin1.sql'),
      Buffer.from("INSERT INTO t VALUES ('caf\xe9');\n", 'latin1'),
    );
    const r = await run(['sync'], root);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'acme-pg sync: sql/postgres/002-latin1.sql is not UTF-8 text, and its bytes would change on their way into the init bundle. Save it as UTF-8 (for Latin-1: iconv -f latin1 -t utf-8), then run again.\n',
    );
    expect(() => readFileSync(bundle())).toThrow();
  });
});
