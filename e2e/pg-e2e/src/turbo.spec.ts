/**
 * Turborepo: a repository made by hand as create-turbo would (npm workspaces, turbo.json, turbo
 * and @turbo/gen 2.11.9), with the packed @acme/pg and @acme/turbo-pg and the three-line
 * turbo/generators/config.ts. The generators run non-interactively through the @turbo/gen bin
 * (which, unlike `turbo gen`, exits 1 when a generator fails), the db:* tasks through the real
 * `turbo run`, against a real local server, and each generated client runs as a script. The
 * same inputs through Nx give byte-identical polytope.yml and SQL files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort } from '../../../packages/core/test-utils/real-postgres';
import { e2eTmp, env, fileHashes, freshWorkspace, nx, tarballPath } from './workspace';

const dir = join(e2eTmp, 'turbo-shop');
const turboEnv = {
  ...env,
  TURBO_TELEMETRY_DISABLED: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
  DO_NOT_TRACK: '1',
};
let port: number;
let dataDir: string | undefined;

function run(cmd: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(cmd, args, { cwd: dir, env: turboEnv, encoding: 'utf-8' });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '') };
}
const gen = (name: string, ...args: string[]) =>
  run('npx', ['gen', 'run', name, '--args', ...args]);
const turbo = (task: string, filter: string, ...args: string[]) =>
  run('npx', [
    'turbo',
    'run',
    task,
    `--filter=${filter}`,
    '--output-logs=full',
    ...(args.length ? ['--', ...args] : []),
  ]);
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
};

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o700);
  write(
    'package.json',
    `${JSON.stringify({ name: 'turbo-shop', private: true, packageManager: 'npm@11.0.0', workspaces: ['apps/*'] }, null, 2)}\n`,
  );
  write(
    'turbo.json',
    '{ "$schema": "https://turbo.build/schema.json", "tasks": { "build": { "dependsOn": ["^build"] } } }\n',
  );
  write('.gitignore', 'node_modules\n');
  write('apps/api/package.json', '{ "name": "api", "version": "0.0.0", "private": true }\n');
  write('apps/api/index.js', 'module.exports = {};\n');
  write('apps/jobs/package.json', '{ "name": "jobs", "version": "0.0.0", "private": true }\n');
  write('apps/jobs/requirements.txt', 'fastapi\n');
  write(
    'turbo/generators/config.ts',
    "import type { PlopTypes } from '@turbo/gen';\nexport default async function (plop: PlopTypes.NodePlopAPI) { await plop.load('@acme/turbo-pg'); }\n",
  );
  execFileSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '-D',
      'turbo@2.11.9',
      '@turbo/gen@2.11.9',
      tarballPath('pg-core'),
      tarballPath('turbo-pg'),
    ],
    { cwd: dir, env: turboEnv, stdio: 'pipe' },
  );
  port = await freePort();
}, 600000);

afterAll(() => {
  turbo('db:down', 'postgres');
  if (dataDir?.startsWith('/var/lib/acme-pg/'))
    rmSync(dirname(dataDir), { recursive: true, force: true });
});

describe('Turborepo: turbo gen and turbo run', () => {
  it('pg-module: the module, its folder as a workspace package with db:* scripts, the tasks', () => {
    const r = gen('pg-module', 'postgres', 'postgres:15');
    expect(r).toMatchObject({ status: 0 });
    expect(readFileSync(join(dir, 'polytope.yml'), 'utf-8')).toMatch(/image: postgres:15/);
    const db = JSON.parse(readFileSync(join(dir, 'sql/postgres/package.json'), 'utf-8'));
    expect(db).toMatchObject({ name: 'postgres', private: true });
    expect(db.scripts).toMatchObject({
      'db:up': 'acme-pg db-up',
      'db:ready': 'acme-pg db-check --wait 60',
    });
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf-8')).workspaces).toEqual([
      'apps/*',
      'sql/*',
    ]);
    const tasks = JSON.parse(readFileSync(join(dir, 'turbo.json'), 'utf-8')).tasks;
    expect(tasks.build).toEqual({ dependsOn: ['^build'] });
    expect(tasks['db:up']).toEqual({
      cache: false,
      passThroughEnv: expect.arrayContaining(['POSTGRES_*', 'PG*', 'DATABASE_URL']),
    });
    expect(readdirSync(join(dir, 'sql/postgres'))).not.toContain('project.json');
  });

  it('pg-init-script (database-user) and pg-client for a Node and a Python app', () => {
    expect(gen('pg-init-script', 'app-user', 'database-user', 'postgres')).toMatchObject({
      status: 0,
    });
    expect(readdirSync(join(dir, 'sql/postgres'))).toContain('001-app-user.sql');
    expect(gen('pg-client', 'api', 'node', 'postgres')).toMatchObject({ status: 0 });
    expect(gen('pg-client', 'apps/jobs', 'python', 'postgres')).toMatchObject({ status: 0 });
    const api = JSON.parse(readFileSync(join(dir, 'apps/api/package.json'), 'utf-8'));
    expect(api.scripts['db:check']).toBe('acme-pg db-check');
    expect(api.nx).toBeUndefined();
    expect(readFileSync(join(dir, 'apps/jobs/requirements.txt'), 'utf-8')).toMatch(/psycopg2/);
  });

  it('a generator given a wrong answer exits 1 and writes nothing', () => {
    const before = fileHashes(dir);
    const r = gen('pg-client', 'nowhere', 'node', 'postgres');
    expect(r.status).toBe(1);
    expect(r.output).toContain("No app 'nowhere'");
    expect(fileHashes(dir)).toEqual(before);
  });

  it('turbo run db:values, db:up, db:check; each client prints ok; db:backup, db:restore --clean, db:down', () => {
    const values = turbo(
      'db:values',
      'postgres',
      '--envFile',
      '.env.postgres',
      '--noPt',
      '--generatePassword',
      '--exposedPort',
      String(port),
    );
    expect(values).toMatchObject({ status: 0 });
    const up = turbo('db:up', 'postgres');
    expect(up.output).toContain(`is up at localhost:${port}`);
    expect(up.status).toBe(0);
    dataDir = /data: ([^,]+), log:/.exec(up.output)?.[1];
    expect(turbo('db:check', 'api')).toMatchObject({ status: 0 });
    for (const [cmd, file] of [
      ['node', 'apps/api/src/db.js'],
      ['/usr/bin/python3', 'apps/jobs/db.py'],
    ]) {
      const client = spawnSync(
        'sh',
        ['-c', `set -a && . ./.env.postgres && set +a && ${cmd} ${file}`],
        { cwd: dir, encoding: 'utf-8' },
      );
      expect({ file, status: client.status, stdout: client.stdout.trim() }).toEqual({
        file,
        status: 0,
        stdout: expect.stringMatching(/^ok 15\./),
      });
    }
    expect(gen('pg-migration', 'add-orders', 'postgres')).toMatchObject({ status: 0 });
    const migrations = join(dir, 'sql/postgres/migrations');
    const [migration] = readdirSync(migrations);
    writeFileSync(
      join(migrations, migration),
      '-- migrate:up\nCREATE TABLE orders (id int);\n-- migrate:down\nDROP TABLE orders;\n',
    );
    const migrate = turbo('db:migrate', 'postgres');
    expect(migrate.output).toContain("Applied 1 migration(s) to 'turbo_shop'");
    expect(migrate.status).toBe(0);
    const backup = turbo('db:backup', 'api', '--format', 'custom');
    expect(backup).toMatchObject({ status: 0 });
    expect(readdirSync(join(dir, 'backups/postgres')).some((f) => f.endsWith('.dump'))).toBe(true);
    const restore = turbo('db:restore', 'api', '--clean');
    expect(restore.output).toMatch(/Restored 'turbo_shop'/);
    expect(restore.status).toBe(0);
    expect(turbo('db:down', 'postgres')).toMatchObject({ status: 0 });
    expect(turbo('db:check', 'api', '--timeout', '1').status).not.toBe(0);
  });

  it('turbo run db:up on an empty folder applies the migrations after the init scripts, and says so', () => {
    expect(gen('pg-migration', 'grant-reader', 'postgres')).toMatchObject({ status: 0 });
    const migrations = join(dir, 'sql/postgres/migrations');
    // It needs the role the init script 001-app-user makes: it fails unless it runs after it.
    writeFileSync(
      join(migrations, readdirSync(migrations).sort().pop()!),
      '-- migrate:up\nGRANT SELECT ON orders TO app_user;\n-- migrate:down\nREVOKE SELECT ON orders FROM app_user;\n',
    );
    try {
      const up = turbo('db:up', 'postgres', '--reset', '--yes');
      const line = 'Applied 2 migration(s) from sql/postgres/migrations after the init scripts';
      expect(up.output).toContain(line);
      expect(up.output.indexOf(line)).toBeGreaterThan(
        up.output.indexOf('and ran its init scripts.'),
      );
      expect(up.status).toBe(0);
      const granted = turbo(
        'db:psql',
        'postgres',
        '--',
        '-XAt',
        '-c',
        "SELECT 'granted=' || has_table_privilege('app_user', 'orders', 'SELECT')",
      );
      expect(granted.output).toContain('granted=true');
    } finally {
      turbo('db:down', 'postgres');
    }
  });

  it('the same inputs through Nx give byte-identical polytope.yml and SQL files', () => {
    const ws = freshWorkspace('turbo-twin');
    for (const args of [
      ['g', '@acme/pg:module', 'postgres', '--image', 'postgres:15', '--no-interactive'],
      [
        'g',
        '@acme/pg:init-script',
        'app-user',
        '--kind',
        'database-user',
        '--module',
        'postgres',
        '--no-interactive',
      ],
    ])
      expect(nx(ws, args)).toMatchObject({ status: 0 });
    const shared = (root: string) =>
      Object.fromEntries(
        Object.entries(fileHashes(root)).filter(
          ([p]) =>
            p === 'polytope.yml' ||
            (p.startsWith('sql/') &&
              !p.includes('/migrations/') && // the Turborepo made one more above
              /\.(sql|json)$/.test(p) &&
              !/(package|project)\.json$/.test(p) &&
              !p.endsWith('.local.json')),
        ),
      );
    expect(shared(dir)).toEqual(shared(ws));
    expect(Object.keys(shared(dir))).toEqual(
      expect.arrayContaining([
        'polytope.yml',
        'sql/postgres/001-app-user.sql',
        'sql/postgres/_init-bundle.sql',
        'sql/postgres/acme-pg.json',
      ]),
    );
  });
});
