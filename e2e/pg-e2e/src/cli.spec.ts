/**
 * The `acme-pg` command line in a folder with no monorepo tool at all (a package.json and, once
 * the module generator has run, a polytope.yml), installed from the packed tarball as a user
 * installs it, in a private (0700) folder: the module generator, a real local server, a JSON
 * check through jq, a backup, and the exit codes of success, failure and wrong usage.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort } from '../../../packages/core/test-utils/real-postgres';
import { e2eTmp, env, fileHashes, tarballPath } from './workspace';

const dir0 = join(e2eTmp, 'plain-cli');
const dir = dir0;
let port: number;
let dataDir: string | undefined;

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(join(dir, 'node_modules', '.bin', 'acme-pg'), args, {
    cwd: dir,
    env: { ...env, CI: '', NX_INTERACTIVE: '' },
    encoding: 'utf-8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A failure: its exit code, its one line, and no stack trace. */
function failed(r: ReturnType<typeof cli>, status: number, line: string): void {
  expect({ status: r.status, stderr: r.stderr }).toEqual({
    status,
    stderr: expect.stringContaining(line),
  });
  expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+\)?/);
}

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, 'package.json'), '{ "name": "plain-shop", "private": true }\n');
  // The command line alone: @acme/pg-core, without Nx.
  execFileSync('npm', ['install', '--no-audit', '--no-fund', tarballPath('pg-core')], {
    cwd: dir,
    env,
    stdio: 'pipe',
  });
  port = await freePort();
});

afterAll(() => {
  cli(['db-down']);
  // As root in a private folder, the data lives in /var/lib/acme-pg/<workspace>-<key>/<id>.
  if (dataDir?.startsWith('/var/lib/acme-pg/'))
    rmSync(dirname(dataDir), { recursive: true, force: true });
});

describe('acme-pg in a folder with no monorepo tool', () => {
  it('installs without Nx: no nx, no @nx package in node_modules', () => {
    const installed = readdirSync(join(dir, 'node_modules'));
    expect(installed).toContain('@acme');
    expect(installed.filter((n) => n === 'nx' || n === '@nx')).toEqual([]);
    expect(readdirSync(join(dir, 'node_modules', '@acme'))).toEqual(['pg-core']);
  });

  it('answers --help, and wrong usage with exit 2 and one line', () => {
    const help = cli(['db-backup', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: acme-pg db-backup [options]');
    expect(help.stdout).toMatch(/--format <value> +plain: a \.sql script/);
    failed(
      cli(['db-backup', '--formt', 'custom']),
      2,
      'Unknown option --formt. Did you mean --format?',
    );
    failed(
      cli(['db-backup', '--format', 'zip']),
      2,
      "--format is one of plain, custom, directory; 'zip' is not.",
    );
    failed(cli(['db-bakup']), 2, "unknown command 'db-bakup'. Did you mean db-backup?");
    // With --json, a usage error is an object on stdout too: `| jq` has something to read.
    const usage = cli(['db-check', '--json', '--timout', '3']);
    expect(usage.status).toBe(2);
    expect(JSON.parse(usage.stdout)).toEqual({
      ok: false,
      usage: true,
      message:
        'acme-pg db-check: Unknown option --timout. Did you mean --timeout? See acme-pg db-check --help.',
    });
    failed(cli(['db-check']), 2, 'No PostgreSQL module here');
  });

  it('g module --dry-run lists the changes and writes nothing', () => {
    const before = fileHashes(dir);
    const r = cli(['g', 'module', '--image', 'postgres:15', '--dry-run']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('CREATE polytope.yml');
    expect(r.stdout).toContain("Would add module 'postgres' in polytope.yml");
    expect(r.stdout).not.toContain('Added module');
    expect(r.stdout).toContain('CREATE sql/postgres/acme-pg.json');
    expect(fileHashes(dir)).toEqual(before);
    expect(existsSync(join(dir, '.nx'))).toBe(false); // not even Nx's cache folder
  });

  it('a generator that refuses: exit 1, its one line, no file written', () => {
    const before = fileHashes(dir);
    failed(cli(['g', 'module', '--image', 'postgres:15;rm']), 1, 'acme-pg g module: ');
    failed(cli(['g', 'module', 'Bad=Id']), 1, 'acme-pg g module: ');
    failed(cli(['g', 'init-script']), 1, 'acme-pg g init-script: ');
    expect(fileHashes(dir)).toEqual(before);
  });

  it('g module writes the module, its folder and its marker', () => {
    const r = cli(['g', 'module', '--image', 'postgres:15']);
    expect(r.status).toBe(0);
    const stack = readFileSync(join(dir, 'polytope.yml'), 'utf-8');
    expect(stack).toMatch(/module: polytope\/postgres/);
    expect(stack).toMatch(/image: postgres:15/);
    expect(JSON.parse(readFileSync(join(dir, 'sql/postgres/acme-pg.json'), 'utf-8'))).toMatchObject(
      {
        kind: 'database',
        module: 'postgres',
      },
    );
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Where there is no Nx, nothing of Nx is written.
    expect(existsSync(join(dir, 'sql/postgres/project.json'))).toBe(false);
    expect(existsSync(join(dir, 'nx.json'))).toBe(false);
  });

  it('db-values, db-up, db-check --json | jq, db-backup: each exits 0', () => {
    const values = cli([
      'db-values',
      '--envFile',
      '.env.postgres',
      '--noPt',
      '--generatePassword',
      '--exposedPort',
      String(port),
    ]);
    expect(values.status).toBe(0);
    const up = cli(['db-up']);
    expect({ status: up.status, out: up.stdout + up.stderr }).toEqual({
      status: 0,
      out: expect.stringContaining(`is up at localhost:${port}`),
    });
    dataDir = /data: ([^,]+), log:/.exec(up.stdout + up.stderr)?.[1];
    const check = spawnSync('sh', ['-c', 'node_modules/.bin/acme-pg db-check --json | jq -e .ok'], {
      cwd: dir,
      env,
      encoding: 'utf-8',
    });
    expect({ status: check.status, stdout: check.stdout.trim() }).toEqual({
      status: 0,
      stdout: 'true',
    });
    const json = cli(['db-check', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      database: 'plain_shop',
      serverVersion: expect.stringMatching(/^15\./),
    });
    const backup = cli(['db-backup', '--format', 'custom']);
    expect(backup.status).toBe(0);
    expect(
      readdirSync(join(dir, 'backups/postgres')).filter((f) =>
        /^plain_shop-.*-full-pg15\.\d+-\w+\.dump$/.test(f),
      ),
    ).toHaveLength(1);
  });

  it('migrations with acme-pg: apply, none left, status, rollback, a failing one, 4 at once, seed, reset', async () => {
    const dir = join(dir0, 'sql/postgres/migrations');
    expect(cli(['g', 'migration', 'orders']).status).toBe(0);
    expect(cli(['g', 'migration', 'items']).status).toBe(0);
    const files = readdirSync(dir).sort();
    expect(files).toEqual([
      expect.stringMatching(/^\d{14}_orders\.sql$/),
      expect.stringMatching(/^\d{14}_items\.sql$/),
    ]);
    writeFileSync(
      join(dir, files[0]),
      '-- migrate:up\nCREATE TABLE orders (id int PRIMARY KEY);\n-- migrate:down\nDROP TABLE orders;\n',
    );
    writeFileSync(
      join(dir, files[1]),
      '-- migrate:up\nCREATE TABLE items (id int PRIMARY KEY);\n-- migrate:down\nDROP TABLE items;\n',
    );
    const first = cli(['db-migrate']);
    expect({ status: first.status, out: first.stdout + first.stderr }).toEqual({
      status: 0,
      out: expect.stringContaining("Applied 2 migration(s) to 'plain_shop'"),
    });
    expect(cli(['db-migrate']).stdout + cli(['db-migrate']).stderr).toContain(
      'no migration to apply',
    );
    const status = cli(['db-migrate', '--status', '--json']);
    expect(JSON.parse(status.stdout)).toEqual({
      database: 'plain_shop',
      applied: files,
      pending: [],
      missing: [],
      ignored: [],
    });
    expect(cli(['db-migrate', '--rollback']).status).toBe(0);
    expect(JSON.parse(cli(['db-migrate', '--status', '--json']).stdout).pending).toEqual([
      files[1],
    ]);
    expect(cli(['g', 'migration', 'broken']).status).toBe(0);
    const broken = readdirSync(dir).sort().pop()!;
    writeFileSync(
      join(dir, broken),
      '-- migrate:up\nCREATE TABLE half (id int);\nINSERT INTO nowhere VALUES (1);\n-- migrate:down\nDROP TABLE half;\n',
    );
    failed(
      cli(['db-migrate', '--noBackup']),
      1,
      `Migration sql/postgres/migrations/${broken} failed`,
    );
    writeFileSync(
      join(dir, broken),
      '-- migrate:up\nSELECT pg_sleep(1);\nCREATE TABLE slow (id int);\n-- migrate:down\nDROP TABLE slow;\n',
    );
    const bin = join(dir0, 'node_modules', '.bin', 'acme-pg');
    const runs = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<number | null>((done) =>
            spawn(bin, ['db-migrate', '--noBackup'], { cwd: dir0, env, stdio: 'ignore' }).on(
              'close',
              done,
            ),
          ),
      ),
    );
    expect(runs).toEqual([0, 0, 0, 0]);
    const after = JSON.parse(cli(['db-migrate', '--status', '--json']).stdout);
    expect(after).toMatchObject({ applied: [...files, broken], pending: [] });
    expect(cli(['g', 'seed', 'orders']).status).toBe(0);
    writeFileSync(
      join(dir0, 'sql/postgres/seeds/001-orders.sql'),
      'INSERT INTO orders VALUES (1), (2);\n',
    );
    failed(cli(['db-reset']), 1, 'add --yes');
    const reset = cli(['db-reset', '--yes']);
    expect({ status: reset.status, out: reset.stdout + reset.stderr }).toEqual({
      status: 0,
      out: expect.stringMatching(
        /Reset 'plain_shop': init scripts, 3 migration\(s\), 1 seed\(s\)\./,
      ),
    });
    const rows = cli(['db-psql', '--', '-XAt', '-c', 'SELECT count(*) FROM orders']);
    expect({ status: rows.status, stdout: rows.stdout.trim() }).toEqual({ status: 0, stdout: '2' });
  });

  it('db-up on an empty folder (--reset) applies the migrations after the init scripts, and says so', () => {
    expect(cli(['g', 'init-script', 'shop', '--kind', 'schema']).status).toBe(0);
    expect(cli(['g', 'migration', 'in-shop']).status).toBe(0);
    const dir = join(dir0, 'sql/postgres/migrations');
    // It needs the init script's schema: it fails unless it runs after it.
    writeFileSync(
      join(dir, readdirSync(dir).sort().pop()!),
      '-- migrate:up\nCREATE TABLE shop.later (id int);\n-- migrate:down\nDROP TABLE shop.later;\n',
    );
    const up = cli(['db-up', '--reset', '--yes']);
    const out = up.stdout + up.stderr;
    expect({ status: up.status, out }).toEqual({
      status: 0,
      out: expect.stringContaining(
        'Applied 4 migration(s) from sql/postgres/migrations after the init scripts',
      ),
    });
    expect(out.indexOf('Applied 4')).toBeGreaterThan(out.indexOf('and ran its init scripts.'));
    const rows = cli([
      'db-psql',
      '--',
      '-XAt',
      '-c',
      "SELECT to_regclass('shop.later') IS NOT NULL",
    ]);
    expect({ status: rows.status, stdout: rows.stdout.trim() }).toEqual({ status: 0, stdout: 't' });
  });

  it('db-down stops it', () => {
    expect(cli(['db-down']).status).toBe(0);
  });

  it('with the server down: db-check, db-check --json and db-backup exit 1 with one line', () => {
    failed(
      cli(['db-check', '--timeout', '1']),
      1,
      `Nothing accepts connections at localhost:${port}`,
    );
    const json = cli(['db-check', '--json', '--timeout', '1']);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: 'refused' });
    failed(cli(['db-backup', '--timeout', '1']), 1, 'No backup was written');
    // --json: one object on stdout even when the command prints none of its own.
    const backupJson = cli(['db-backup', '--json', '--timeout', '1']);
    expect(backupJson.status).toBe(1);
    expect(JSON.parse(backupJson.stdout)).toEqual({
      ok: false,
      message: expect.stringContaining('No backup was written'),
    });
    expect(existsSync(join(dir, 'backups/postgres'))).toBe(true);
  });
});
