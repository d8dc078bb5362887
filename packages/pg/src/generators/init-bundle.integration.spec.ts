/**
 * Proves init scripts on a real PostgreSQL, run the way the postgres image's entrypoint runs the one
 * file that polytope/postgres mounts: superuser, password and database from the module's env, then
 * `psql -v ON_ERROR_STOP=1 --no-psqlrc -f` on the bundle.
 */
import { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Client } from 'pg';
import { parse } from 'yaml';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import { initBundleSyncGenerator } from './init-bundle-sync/init-bundle-sync';
import { initScriptGenerator } from './init-script/init-script';
import { moduleGenerator } from './module/module';

// What `pt values set` / `pt secrets set` would hold; a password with URL and shell metacharacters.
const STORE: Record<string, string> = {
  'pt.value postgres-database': 'appdb',
  'pt.secret postgres-username': 'admin',
  'pt.secret postgres-password': 'p@ss:w/rd $x',
  'pt.secret postgres-role-app-secret': "app'secret:@/",
};

async function buildWorkspace(): Promise<Tree> {
  const tree = createTreeWithEmptyWorkspace();
  tree.delete('.oxfmtrc.json');
  await moduleGenerator(tree, { image: 'postgres:15', skipFormat: true });
  await initScriptGenerator(tree, { name: 'app', kind: 'schema', skipFormat: true });
  tree.write(
    'sql/postgres/001-app.sql',
    `${tree.read('sql/postgres/001-app.sql', 'utf-8')}
CREATE TABLE app.accounts (id int PRIMARY KEY, name text NOT NULL);
SET search_path = app;  -- must not leak into the next script
`,
  );
  await initScriptGenerator(tree, {
    name: 'app-user',
    kind: 'database-user',
    role: 'app',
    skipFormat: true,
  });
  // A later script that depends on the first one, and checks the session was reset between them.
  tree.write(
    'sql/postgres/003-items.sql',
    `DO $$ BEGIN
  IF current_setting('search_path') <> '"$user", public' THEN RAISE EXCEPTION 'session state leaked: %', current_setting('search_path'); END IF;
END $$;
INSERT INTO app.accounts VALUES (1, 'first');
CREATE TABLE app.items (id int PRIMARY KEY, account_id int NOT NULL REFERENCES app.accounts(id));
INSERT INTO app.items VALUES (10, 1);
`,
  );
  await initBundleSyncGenerator(tree);
  return tree;
}

describe('init bundle on a real PostgreSQL', () => {
  let tree: Tree;
  let server: TestServer;
  let dir: string;
  let bundle: string;
  let moduleEnv: Record<string, string>;

  beforeAll(async () => {
    tree = await buildWorkspace();
    const module = parse(tree.read('polytope.yml', 'utf-8')!).modules[0];
    moduleEnv = Object.fromEntries(
      (module.args.env as { name: string; value: string }[]).map((e) => [
        e.name,
        STORE[e.value] ?? e.value,
      ]),
    );
    dir = mkdtempSync(join(tmpdir(), 'acme-pg-bundle-'));
    bundle = join(dir, 'data-backup.sql');
    const mounted = posix.join(posix.dirname('polytope.yml'), module.args.scripts[0].path);
    writeFileSync(bundle, tree.read(mounted, 'utf-8')!);
    server = await startPostgres({
      user: moduleEnv['POSTGRES_USER'],
      password: moduleEnv['POSTGRES_PASSWORD'],
      database: moduleEnv['POSTGRES_DB'],
    });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function runEntrypointPsql(database: string, env: Record<string, string>) {
    return spawnSync(
      'psql',
      [
        '-v',
        'ON_ERROR_STOP=1',
        '--username',
        server.user,
        '--no-password',
        '--no-psqlrc',
        '--dbname',
        database,
        '-f',
        bundle,
      ],
      {
        env: {
          ...process.env,
          ...env,
          PGHOST: server.host,
          PGPORT: String(server.port),
          PGPASSWORD: server.password,
        },
        encoding: 'utf-8',
      },
    );
  }

  it('runs every script in order, each in a fresh session', async () => {
    const run = runEntrypointPsql(server.database, moduleEnv);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const c = new Client({ connectionString: server.url });
    await c.connect();
    try {
      const rows = await c.query(
        'SELECT a.name, i.id FROM app.items i JOIN app.accounts a ON a.id = i.account_id',
      );
      expect(rows.rows).toEqual([{ name: 'first', id: 10 }]);
      const owner = await c.query(
        "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'app'",
      );
      expect(owner.rows).toEqual([{ owner: 'app' }]);
    } finally {
      await c.end();
    }
  });

  it('the database-user role logs in with its secret and can create a table', async () => {
    const c = new Client({
      host: server.host,
      port: server.port,
      user: 'app',
      password: STORE['pt.secret postgres-role-app-secret'],
      database: 'app',
    });
    await c.connect();
    try {
      await c.query('CREATE TABLE notes (id serial PRIMARY KEY, body text)');
      await c.query("INSERT INTO notes (body) VALUES ('hello')");
      expect((await c.query('SELECT body FROM notes')).rows).toEqual([{ body: 'hello' }]);
    } finally {
      await c.end();
    }
  });

  it('stops with a clear error when the role secret is missing or empty', async () => {
    const unset = Object.fromEntries(
      Object.entries(moduleEnv).filter(([k]) => k !== 'PGINIT_APP_PASSWORD'),
    );
    const cases = { fresh_unset: unset, fresh_empty: { ...moduleEnv, PGINIT_APP_PASSWORD: '' } };
    for (const [database, env] of Object.entries(cases)) {
      // A new database each time, as an empty volume would be: earlier scripts must not fail first.
      const admin = new Client({ connectionString: server.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      await admin.end();
      const run = runEntrypointPsql(database, env);
      expect([database, run.status]).toEqual([database, 3]);
      expect(run.stderr).toContain(
        'PGINIT_APP_PASSWORD is empty or not one line: set the secret postgres-role-app-secret',
      );
    }
  });
});
