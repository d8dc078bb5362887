import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres, TestServer } from '../../../packages/core/test-utils/real-postgres';
import { fileHashes, freshWorkspace, nx } from './workspace';

const POLYTOPE = `templates:
  - id: stack
    run: [api]

modules:
  - id: api
    module: polytope/python
    args:
      image: python:3.13-slim
      code: { type: host, path: ./apps/api }
`;

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

describe('nx g @acme/pg:client through the real nx CLI', () => {
  let ws: string;
  let server: TestServer;
  beforeAll(async () => {
    ws = freshWorkspace('client');
    server = await startPostgres({ password: 's3:cr@t/', database: 'shop' });
    writeFileSync(join(ws, 'polytope.yml'), POLYTOPE);
    expect(
      nx(ws, ['g', '@acme/pg:module', '--image', 'postgres:15', '--no-interactive']).status,
    ).toBe(0);
    write(ws, {
      'apps/api/project.json': JSON.stringify({
        name: 'api',
        root: 'apps/api',
        projectType: 'application',
      }),
      'apps/api/requirements.txt': 'fastapi\n',
      'apps/api/main.py': 'print("api")\n',
      'apps/web/project.json': JSON.stringify({
        name: 'web',
        root: 'apps/web',
        projectType: 'application',
      }),
      'apps/web/tsconfig.json': '{}',
      'apps/web/src/main.ts': 'export {};\n',
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('gives a Python app its connection file, dependency, env and targets', () => {
    const run = nx(ws, ['g', '@acme/pg:client', 'api', '--no-interactive']);
    expect(run.status).toBe(0);
    expect(readFileSync(join(ws, 'apps/api/requirements.txt'), 'utf-8')).toBe(
      'fastapi\npsycopg2-binary>=2.9\n',
    );
    expect(readFileSync(join(ws, 'polytope.yml'), 'utf-8')).toContain(
      '        - { name: POSTGRES_PASSWORD, value: pt.secret postgres-password }\n',
    );
    const project = JSON.parse(nx(ws, ['show', 'project', 'api', '--json']).stdout);
    expect(Object.keys(project.targets)).toEqual(
      expect.arrayContaining(['db-check', 'db-backup', 'db-restore', 'db-psql']),
    );
    expect(project.implicitDependencies).toEqual(['postgres']);
    // The generated file, run as a script against a real server.
    const check = spawnSync('/usr/bin/python3', ['apps/api/db.py'], {
      cwd: ws,
      encoding: 'utf-8',
      env: {
        PATH: process.env['PATH'],
        POSTGRES_HOST: 'localhost',
        POSTGRES_PORT: String(server.port),
        POSTGRES_DB: 'shop',
        POSTGRES_USER: server.user,
        POSTGRES_PASSWORD: server.password,
      },
    });
    expect(check.stderr).toBe('');
    expect(check.stdout).toMatch(/^ok 15\.\d+/);
  });

  it('the executors run through nx: db-check, db-backup, db-restore, db-psql', () => {
    const env = {
      POSTGRES_HOST: 'localhost',
      POSTGRES_PORT: String(server.port),
      POSTGRES_DB: 'shop',
      POSTGRES_USER: server.user,
      POSTGRES_PASSWORD: server.password,
    };
    const check = nx(ws, ['run', 'api:db-check', '--json'], env);
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('"ok":true');
    const psql = nx(
      ws,
      [
        'run',
        'api:db-psql',
        '--',
        '-q',
        '-c',
        'CREATE TABLE e2e (id int); INSERT INTO e2e VALUES (1), (2)',
      ],
      env,
    );
    expect(psql.status).toBe(0);
    const backup = nx(ws, ['run', 'api:db-backup', '--format', 'custom'], env);
    expect(backup.status).toBe(0);
    expect(backup.output).toMatch(
      /Backup of 'shop' written: backups\/postgres\/shop-\d{8}T\d{6}\.\d{3}Z-full-pg15\.\d+-[0-9a-f]{8}\.dump/,
    );
    expect(readFileSync(join(ws, '.gitignore'), 'utf-8')).toContain('/backups/postgres/');
    const refused = nx(ws, ['run', 'api:db-restore'], env);
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain("Database 'shop' is not empty");
    const restored = nx(ws, ['run', 'api:db-restore', '--clean'], env);
    expect(restored.status).toBe(0);
    expect(restored.output).toMatch(/Restored 'shop' from backups\/postgres\/\S+: 1 table, 2 rows/);
    expect(`${check.output}${psql.output}${backup.output}${restored.output}`).not.toContain(
      server.password,
    );
  });

  it('running it again changes no file', () => {
    const before = fileHashes(ws);
    expect(nx(ws, ['g', '@acme/pg:client', 'api', '--no-interactive']).status).toBe(0);
    expect(fileHashes(ws)).toEqual(before);
  });

  it('--dry-run for a TypeScript app lists the changes and writes nothing', () => {
    const before = fileHashes(ws);
    const run = nx(ws, ['g', '@acme/pg:client', 'web', '--dry-run', '--no-interactive']);
    expect(run.status).toBe(0);
    expect(run.output).toContain('CREATE apps/web/src/db.ts');
    expect(run.output).toContain('UPDATE package.json');
    expect(fileHashes(ws)).toEqual(before);
  });

  it('an unknown project gives one clear error and writes nothing', () => {
    const before = fileHashes(ws);
    const run = nx(ws, ['g', '@acme/pg:client', 'nope', '--no-interactive']);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(
      "Unknown project 'nope'. Choose one of this workspace's projects:",
    );
    expect(run.output).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(fileHashes(ws)).toEqual(before);
  });
});
