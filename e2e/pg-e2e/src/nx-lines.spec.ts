/**
 * Both ends of the declared peer range: on Nx 22 (create-nx-workspace@22) and on Nx 24 (a
 * hand-made workspace: there is no create-nx-workspace@24), after nx add of the same tarball, the
 * generators run, inference gives the targets, and db-check connects.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres, TestServer } from '../../../packages/core/test-utils/real-postgres';
import { freshWorkspace, nx, Pristine } from './workspace';

describe.each<[string, Pristine]>([
  ['22', 'pristine-22'],
  ['24', 'pristine-24'],
])('on Nx %s', (line, pristine) => {
  let ws: string;
  let server: TestServer;
  beforeAll(async () => {
    ws = freshWorkspace(`nx${line}`, pristine);
    server = await startPostgres({ password: 'twenty:two', database: 'shop' });
  });
  afterAll(async () => server?.stop());

  it('runs the generators, infers the targets and runs db-check', () => {
    const nxVersion = JSON.parse(
      readFileSync(join(ws, 'node_modules/nx/package.json'), 'utf-8'),
    ).version;
    expect(nxVersion.split('.')[0]).toBe(line);
    expect(
      nx(ws, ['g', '@acme/pg:module', '--image', 'postgres:15', '--no-interactive']).status,
    ).toBe(0);
    mkdirSync(join(ws, 'apps/worker'), { recursive: true });
    writeFileSync(
      join(ws, 'apps/worker/project.json'),
      JSON.stringify({ name: 'worker', root: 'apps/worker' }),
    );
    writeFileSync(join(ws, 'apps/worker/requirements.txt'), '');
    const client = nx(ws, ['g', '@acme/pg:client', 'worker', '--no-interactive']);
    expect(client.status).toBe(0);
    const project = JSON.parse(nx(ws, ['show', 'project', 'worker', '--json']).stdout);
    expect(project.targets['db-check']).toMatchObject({
      executor: '@acme/pg:db-check',
      options: { module: 'postgres' },
    });
    const check = nx(ws, ['run', 'worker:db-check', '--json'], {
      POSTGRES_HOST: 'localhost',
      POSTGRES_PORT: String(server.port),
      POSTGRES_USER: server.user,
      POSTGRES_PASSWORD: server.password,
      POSTGRES_DB: 'shop',
    });
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('"ok":true');
  });
});
