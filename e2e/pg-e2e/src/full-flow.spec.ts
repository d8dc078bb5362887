/**
 * Everything a user does, through the real nx CLI, in a fresh workspace where `nx add` installed
 * the packed plugin: the module, init scripts, three apps with their clients, inferred targets, a
 * real PostgreSQL started as the module describes, and the executors against it. On the repo's Nx
 * (create-nx-workspace) and on Nx 24 (a hand-made workspace: there is no create-nx-workspace@24).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { startPostgres, TestServer } from '../../../packages/core/test-utils/real-postgres';
import { freshWorkspace, nx, Pristine, repoRoot } from './workspace';

const POLYTOPE = `templates:
  - id: stack
    run: [api, worker, jobs]

modules:
  - id: api
    module: polytope/node
    args: { image: 'node:20', code: { type: host, path: ./apps/api } }
  - id: worker
    module: polytope/python
    args: { image: 'python:3.13-slim', code: { type: host, path: ./apps/worker } }
  - id: jobs
    module: polytope/python
    args: { image: 'python:3.13-slim', code: { type: host, path: ./apps/jobs } }
`;

const USER = 'app';
const PASSWORD = 'fl0w:p@ss/word';
const ROLE_PASSWORD = 'r0le-secret';

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

function ok(run: { status: number | null; output: string }): string {
  if (run.status !== 0) throw new Error(run.output);
  return run.output;
}

describe.each<[string, Pristine]>([
  ['23', 'pristine'],
  ['24', 'pristine-24'],
])('the whole plugin through the real nx CLI, on Nx %s', (line, from) => {
  let ws: string;
  let server: TestServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    ws = freshWorkspace(`flow-${line}`, from);
    const nxVersion = JSON.parse(readFileSync(join(ws, 'node_modules/nx/package.json'), 'utf-8'));
    expect(nxVersion.version.split('.')[0]).toBe(line);
    server = await startPostgres({ user: USER, password: PASSWORD, database: 'shop' });
    env = {
      POSTGRES_HOST: 'localhost',
      POSTGRES_PORT: String(server.port),
      POSTGRES_DB: 'shop',
      POSTGRES_USER: USER,
      POSTGRES_PASSWORD: PASSWORD,
    };
  });
  afterAll(async () => server?.stop());

  it('nx add installed the packed version and registered the plugin', () => {
    const installed = JSON.parse(
      readFileSync(join(ws, 'node_modules/@acme/pg/package.json'), 'utf-8'),
    );
    const ours = JSON.parse(readFileSync(join(repoRoot, 'packages/pg/package.json'), 'utf-8'));
    expect(installed.version).toBe(ours.version);
    const nxJson = JSON.parse(readFileSync(join(ws, 'nx.json'), 'utf-8'));
    expect(nxJson.plugins).toContainEqual(expect.objectContaining({ plugin: '@acme/pg' }));
  });

  it('module, two init scripts, three apps and their clients', () => {
    writeFileSync(join(ws, 'polytope.yml'), POLYTOPE);
    ok(nx(ws, ['g', '@acme/pg:module', '--image', 'postgres:15', '--no-interactive']));
    ok(nx(ws, ['g', '@acme/pg:init-script', 'app', '--kind', 'schema', '--no-interactive']));
    ok(
      nx(ws, [
        'g',
        '@acme/pg:init-script',
        'app-user',
        '--kind',
        'database-user',
        '--no-interactive',
      ]),
    );
    write(ws, {
      'apps/api/project.json': JSON.stringify({
        name: 'api',
        root: 'apps/api',
        projectType: 'application',
      }),
      'apps/api/src/main.js': "console.log('api');\n",
      'apps/worker/project.json': JSON.stringify({
        name: 'worker',
        root: 'apps/worker',
        projectType: 'application',
      }),
      'apps/worker/requirements.txt': 'fastapi\n',
      'apps/jobs/project.json': JSON.stringify({
        name: 'jobs',
        root: 'apps/jobs',
        projectType: 'application',
      }),
      'apps/jobs/pyproject.toml': '[project]\nname = "jobs"\ndependencies = ["asyncpg>=0.27"]\n',
    });
    ok(nx(ws, ['g', '@acme/pg:client', 'api', '--no-interactive']));
    ok(nx(ws, ['g', '@acme/pg:client', 'worker', '--no-interactive']));
    ok(nx(ws, ['g', '@acme/pg:client', 'jobs', '--no-interactive']));
    expect(readFileSync(join(ws, 'apps/jobs/db.py'), 'utf-8')).toContain('import asyncpg');
    expect(readFileSync(join(ws, 'apps/worker/db.py'), 'utf-8')).toContain('import psycopg2');
    expect(JSON.parse(readFileSync(join(ws, 'package.json'), 'utf-8')).dependencies.pg).toBe(
      '^8.23.1',
    );
    expect(readFileSync(join(ws, 'polytope.yml'), 'utf-8')).toContain(
      '        - { name: PGINIT_APP_USER_PASSWORD, value: pt.secret postgres-role-app_user-secret }',
    );
  });

  it('nx show project lists the inferred targets; an explicit one in project.json wins', () => {
    const show = (p: string) => JSON.parse(nx(ws, ['show', 'project', p, '--json']).stdout);
    const db = show('postgres');
    expect(Object.keys(db.targets)).toEqual(
      expect.arrayContaining(['db-values', 'db-check', 'db-backup', 'db-restore', 'db-psql']),
    );
    const api = show('api');
    expect(api.targets['db-check']).toMatchObject({
      executor: '@acme/pg:db-check',
      options: { module: 'postgres' },
      metadata: { description: expect.any(String) },
    });
    expect(api.targets['db-check'].cache).toBeFalsy();
    expect(api.targets['db-values']).toBeUndefined();
    expect(api.implicitDependencies).toEqual(['postgres']);
    const workerJson = join(ws, 'apps/worker/project.json');
    const config = JSON.parse(readFileSync(workerJson, 'utf-8'));
    config.targets = { 'db-check': { executor: '@acme/pg:db-check', options: { timeout: 9 } } };
    writeFileSync(workerJson, JSON.stringify(config));
    expect(show('worker').targets['db-check'].options).toMatchObject({ timeout: 9 });
  });

  it('a real PostgreSQL started as the module describes runs the one init bundle', async () => {
    // As the image's entrypoint does on an empty volume: psql with ON_ERROR_STOP, the module's env.
    const run = spawnSync(
      'psql',
      [
        '-v',
        'ON_ERROR_STOP=1',
        '--no-psqlrc',
        '--no-password',
        '-f',
        'sql/postgres/_init-bundle.sql',
      ],
      {
        cwd: ws,
        encoding: 'utf-8',
        env: {
          PATH: process.env['PATH'],
          PGHOST: '127.0.0.1',
          PGPORT: String(server.port),
          PGUSER: USER,
          PGDATABASE: 'shop',
          PGPASSWORD: PASSWORD,
          PGINIT_APP_USER_PASSWORD: ROLE_PASSWORD,
        },
      },
    );
    expect(run.stderr).not.toMatch(/ERROR/);
    expect(run.status).toBe(0);
    const role = new Client({
      host: '127.0.0.1',
      port: server.port,
      user: 'app_user',
      password: ROLE_PASSWORD,
      database: 'app_user',
      ssl: false,
    });
    await role.connect();
    await role.end();
  });

  it('db-check, db-backup, db-restore --clean and db-values --dryRun through nx run', () => {
    const check = nx(ws, ['run', 'api:db-check'], env);
    expect(ok(check)).toMatch(
      /PostgreSQL 15\.\d+ at postgresql:\/\/app:\*\*\*\*@localhost:\d+\/shop: ok/,
    );
    ok(
      nx(
        ws,
        [
          'run',
          'api:db-psql',
          '--',
          '-q',
          '-c',
          'CREATE TABLE app.orders (id int); INSERT INTO app.orders VALUES (1), (2), (3)',
        ],
        env,
      ),
    );
    const backup = ok(
      nx(
        ws,
        ['run', 'api:db-backup', '--format', 'custom', '--outputFile', 'tmp/backup.json'],
        env,
      ),
    );
    expect(backup).toMatch(
      /Backup of 'shop' written: backups\/postgres\/shop-\d{8}T\d{6}\.\d{3}Z-full-pg15\.\d+-[0-9a-f]{8}\.dump/,
    );
    // --outputFile is parsed after nx run, whose banner shares stdout.
    const written = JSON.parse(readFileSync(join(ws, 'tmp/backup.json'), 'utf-8'));
    expect(written).toMatchObject({ ok: true, pruned: [] });
    expect(backup).toContain(`written: ${written.file} (`);
    const restore = ok(nx(ws, ['run', 'api:db-restore', '--clean'], env));
    expect(restore).toMatch(
      /Safety backup of the current 'shop': backups\/postgres\/safety\/shop-/,
    );
    expect(restore).toMatch(/Restored 'shop' from backups\/postgres\/\S+: 1 table, 3 rows/);
    const values = ok(nx(ws, ['run', 'postgres:db-values', '--dryRun', '--database', 'shop'], env));
    expect(values).toContain('pt values set postgres-database shop');
    expect(values).toContain('pt secrets set postgres-role-app_user-secret --stdin');
    expect(values).not.toContain("'****' |");
    expect([check.output, backup, restore, values].join('\n')).not.toContain(PASSWORD);
  });

  it.each([
    ['node', process.execPath, 'apps/api/src/db.js'],
    ['psycopg2', '/usr/bin/python3', 'apps/worker/db.py'],
    ['asyncpg', '/usr/bin/python3', 'apps/jobs/db.py'],
  ])('the generated %s client, run as a script, prints ok <version>', (_, cmd, file) => {
    const r = spawnSync(cmd, [file], {
      cwd: ws,
      encoding: 'utf-8',
      env: { PATH: process.env['PATH'], ...env },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ok 15\.\d+/);
  });

  it("each client's connection carries its app's name: db-check --stats lists them, db-restore --clean names them", async () => {
    // Each generated client opens a connection and holds it, as a running app does.
    const holders = [
      [
        process.execPath,
        '-e',
        "require('./apps/api/src/db.js').connect().then(() => console.log('ready'))",
      ],
      [
        '/usr/bin/python3',
        '-c',
        "import sys, time\nsys.path.insert(0, 'apps/worker')\nimport db\nc = db.connect()\nprint('ready', flush=True)\ntime.sleep(120)",
      ],
      [
        '/usr/bin/python3',
        '-c',
        "import asyncio, sys\nsys.path.insert(0, 'apps/jobs')\nimport db\nasync def main():\n    c = await db.connect()\n    print('ready', flush=True)\n    await asyncio.sleep(120)\nasyncio.run(main())",
      ],
    ].map(([cmd, ...args]) =>
      spawn(cmd, args, {
        cwd: ws,
        env: { PATH: process.env['PATH'], ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    try {
      await Promise.all(
        holders.map(
          (h) =>
            new Promise<void>((resolve, reject) => {
              h.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
              h.on('exit', (code) =>
                reject(new Error(`a client exited (${code}) before connecting`)),
              );
            }),
        ),
      );
      const stats = ok(nx(ws, ['run', 'api:db-check', '--stats'], env));
      for (const app of ['api', 'worker', 'jobs'])
        expect(stats).toMatch(
          new RegExp(`by app .*'${app}' \\(user app, from (127\\.0\\.0\\.1|::1)\\)`),
        );
      const refused = nx(ws, ['run', 'api:db-restore', '--clean'], env);
      expect(refused.status).not.toBe(0);
      expect(refused.output).toContain("3 open connection(s) to 'shop' stop it being replaced: ");
      for (const app of ['api', 'worker', 'jobs'])
        expect(refused.output).toContain(`'${app}' (user app, from `);
      expect(refused.output).toContain(
        'Close them (stop those apps), or add --force to end them. Nothing was changed.',
      );
    } finally {
      for (const h of holders) h.kill();
    }
  });
});
