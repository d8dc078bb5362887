import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseTool, findInstalls, findTool, parseToolVersion } from './tools';

let root: string;

/** A fake installation: a pg_dump that prints its version. */
function install(dir: string, version: string, tools = ['pg_dump', 'pg_restore', 'psql']) {
  mkdirSync(join(root, dir), { recursive: true });
  for (const t of tools) {
    const path = join(root, dir, t);
    writeFileSync(path, `#!/bin/sh\necho "${t} (PostgreSQL) ${version}"\n`);
    chmodSync(path, 0o755);
  }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'acme-pg-bin-'));
  install('lib/postgresql/14/bin', '14.12');
  install('lib/postgresql/15/bin', '15.18 (Debian 15.18-0+deb12u1)');
  install('lib/postgresql/17/bin', '17.6');
  install('brew/postgresql@16/bin', '16.9', ['pg_dump']);
  install('onpath', '13.4');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const search = () => ({
  env: { PATH: join(root, 'onpath') },
  patterns: [join(root, 'lib/postgresql/*/bin'), join(root, 'brew/postgresql@*/bin')],
});

describe('choosing PostgreSQL client tools by version', () => {
  it('parses versions of every era', () => {
    expect(parseToolVersion('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')).toEqual({
      major: 15,
      version: '15.18',
    });
    expect(parseToolVersion('pg_dump (PostgreSQL) 9.6.24')).toEqual({
      major: 9.6,
      version: '9.6.24',
    });
    expect(parseToolVersion('psql (PostgreSQL) 18beta1')).toEqual({ major: 18, version: '18' });
    expect(parseToolVersion('something else')).toBeNull();
  });

  it('finds installations on PATH and in the usual folders', () => {
    const versions = findInstalls('pg_dump', search())
      .map((i) => i.version)
      .sort();
    expect(versions).toEqual(['13.4', '14.12', '15.18', '16.9', '17.6']);
  });

  it('prefers the same major as the server, else the closest newer one', () => {
    const installs = findInstalls('pg_dump', search());
    const pick = (minMajor: number) =>
      chooseTool('pg_dump', installs, { minMajor, why: 'test' }, {}).version;
    expect(pick(15)).toBe('15.18');
    expect(pick(16)).toBe('16.9');
    expect(pick(12)).toBe('13.4');
    expect(findTool('pg_restore', { minMajor: 16, why: 'test' }, search()).version).toBe('17.6');
  });

  it('names the versions found, the need and the fix when none fits', () => {
    expect(() =>
      findTool('pg_dump', { minMajor: 18, why: 'the server runs 18.1' }, search()),
    ).toThrow(
      /^pg_dump 18 or newer is needed \(the server runs 18\.1\), but the pg_dump found on this machine: .*13\.4 .*17\.6 .*Install PostgreSQL 18's client tools \(Debian\/Ubuntu: apt install postgresql-client-18, after adding PostgreSQL's apt repository \(apt\.postgresql\.org, see https:\/\/wiki\.postgresql\.org\/wiki\/Apt\) when apt cannot find it; macOS: brew install postgresql@18\) or point --pgBinDir at their bin folder\. Nothing was written\.$/,
    );
  });

  it('--pgBinDir is the only place looked at', () => {
    const dir = join(root, 'lib/postgresql/14/bin');
    expect(findTool('psql', { minMajor: 14, why: 't' }, { ...search(), pgBinDir: dir }).path).toBe(
      join(dir, 'psql'),
    );
    expect(() =>
      findTool('psql', { minMajor: 15, why: 't' }, { ...search(), pgBinDir: dir }),
    ).toThrow(`but the psql found in --pgBinDir ${dir}: 14.12`);
    expect(() =>
      findTool('psql', { minMajor: 15, why: 't' }, { ...search(), pgBinDir: '/nope' }),
    ).toThrow('--pgBinDir /nope does not exist');
  });
});
