/**
 * Least privilege through the real nx CLI: a database-user init script applied to the running
 * database with the command its generator prints, two apps wired with `--role app_user`, db-values
 * setting the role's keys, and each app's generated client (Node, psycopg2) run with the command
 * the client generator prints: each prints `ok <version>`, connected as app_user. db-check's
 * --outputFile is parsed after `nx run`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { startPostgres, TestServer } from '../../../packages/core/test-utils/real-postgres';
import { freshWorkspace, nx, repoRoot } from './workspace';

const POLYTOPE = `modules:
  - id: api
    module: polytope/node
    args: { image: 'node:20', code: { type: host, path: ./apps/api } }
  - id: worker
    module: polytope/python
    args: { image: 'python:3.13-slim', code: { type: host, path: ./apps/worker } }
`;
const PASSWORD = 'super:us3r@pw';

function ok(run: { status: number | null; output: string }): string {
  if (run.status !== 0) throw new Error(run.output);
  return run.output;
}

/** The command printed after `label` on its own indented line. */
function printed(output: string, label: RegExp): string {
  const lines = output.split('\n');
  const at = lines.findIndex((l) => label.test(l));
  if (at < 0) throw new Error(`no ${label} in:\n${output}`);
  const same = label.exec(lines[at])!;
  const rest = lines[at].slice(same.index + same[0].length).trim();
  return rest || lines[at + 1].trim();
}

/** The server's log once it has stopped growing: it writes a moment after a client is done. */
async function settled(server: TestServer): Promise<string> {
  let last = '';
  for (let i = 0; i < 50 && server.log() !== last; i++) {
    last = server.log();
    await new Promise((done) => setTimeout(done, 300));
  }
  return last;
}

describe('an app connected as a least-privilege role', () => {
  let ws: string;
  let server: TestServer;
  let bin: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    ws = freshWorkspace('role');
    server = await startPostgres({
      password: PASSWORD,
      database: 'shop',
      settings: { log_connections: 'on' },
    });
    // `python3` is Debian's, which has psycopg2 (as a user's would, after the printed install).
    bin = mkdtempSync(join(tmpdir(), 'acme-pg-bin-'));
    symlinkSync('/usr/bin/python3', join(bin, 'python3'));
    env = {
      PATH: [join(repoRoot, 'packages/core/test-utils/fake-pt'), bin, process.env['PATH']].join(
        delimiter,
      ),
      PT_LOG: join(bin, 'pt-calls.jsonl'),
      POSTGRES_PASSWORD: PASSWORD,
    };
  });
  afterAll(async () => {
    await server?.stop();
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  const sh = (command: string) =>
    spawnSync('sh', ['-c', command], {
      cwd: ws,
      encoding: 'utf-8',
      // `nx` as a user has it: the workspace's own.
      env: {
        PATH: `${join(ws, 'node_modules/.bin')}${delimiter}${env['PATH']}`,
        HOME: process.env['HOME'],
      },
    });

  it('the database-user script is applied to the running database as its generator says', async () => {
    writeFileSync(join(ws, 'polytope.yml'), POLYTOPE);
    ok(nx(ws, ['g', '@acme/pg:module', '--image', 'postgres:15', '--no-interactive']));
    const gen = ok(
      nx(ws, [
        'g',
        '@acme/pg:init-script',
        'app-user',
        '--kind',
        'database-user',
        '--role',
        'app_user',
        '--no-interactive',
      ]),
    );
    // db-values: the env file of this machine, with the superuser's password and a generated one for the role.
    ok(
      nx(
        ws,
        [
          'run',
          'postgres:db-values',
          '--envFile',
          '.env.postgres',
          '--exposedPort',
          String(server.port),
          '--database',
          'shop',
          '--generatePassword',
        ],
        env,
      ),
    );
    const apply = printed(gen, /To apply this one to a running database:/);
    expect(apply).toBe('nx run postgres:db-psql -- -f sql/postgres/001-app-user.sql');
    const r = sh(apply);
    expect({ status: r.status, output: r.stdout + r.stderr }).toMatchObject({ status: 0 });
    expect(await settled(server)).toMatch(
      /connection authorized: user=postgres database=shop application_name=@acme\/pg/,
    );
  });

  it('client --role wires both apps to the role; db-values sets its keys', () => {
    mkdirSync(join(ws, 'apps/api/src'), { recursive: true });
    mkdirSync(join(ws, 'apps/worker'), { recursive: true });
    for (const [name, file, text] of [
      ['api', 'src/main.js', "console.log('api');\n"],
      ['worker', 'requirements.txt', 'fastapi\n'],
    ]) {
      writeFileSync(
        join(ws, `apps/${name}/project.json`),
        JSON.stringify({ name, root: `apps/${name}`, projectType: 'application' }),
      );
      writeFileSync(join(ws, `apps/${name}`, file), text);
    }
    for (const app of ['api', 'worker'])
      ok(nx(ws, ['g', '@acme/pg:client', app, '--role', 'app_user', '--no-interactive']));
    const yml = readFileSync(join(ws, 'polytope.yml'), 'utf-8');
    expect(yml).toContain(
      '{ name: POSTGRES_USER, value: pt.secret postgres-role-app_user-username }',
    );
    expect(yml).toContain(
      '{ name: POSTGRES_PASSWORD, value: pt.secret postgres-role-app_user-secret }',
    );
    expect(yml).not.toContain('value: pt.secret postgres-password }\n      service');
    ok(
      nx(
        ws,
        [
          'run',
          'postgres:db-values',
          '--envFile',
          '.env.postgres',
          '--exposedPort',
          String(server.port),
          '--database',
          'shop',
        ],
        env,
      ),
    );
    const calls = readFileSync(env['PT_LOG'], 'utf-8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { args: string[]; stdin: string });
    const set = (key: string) => calls.find((c) => c.args[1] === 'set' && c.args[2] === key);
    expect(set('postgres-role-app_user-username')?.stdin).toBe('app_user');
    expect(set('postgres-role-app_user-database')?.args[3]).toBe('app_user');
  });

  it.each([
    ['Node', 'api', 'apps/api/src/db.js'],
    ['psycopg2', 'worker', 'apps/worker/db.py'],
  ])(
    'the %s client, run with the printed command, prints ok <version> as app_user',
    async (_, app, file) => {
      const gen = ok(
        nx(ws, ['g', '@acme/pg:client', app, '--role', 'app_user', '--no-interactive']),
      );
      const command = printed(gen, /run \(it prints "ok <version>"\):/);
      expect(command).toContain(file);
      const as = (log: string, user: string) =>
        log.split(`connection authorized: user=${user} `).length;
      const before = await settled(server);
      const r = sh(command);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^ok 15\.\d+/);
      const after = await settled(server);
      expect(as(after, 'app_user')).toBeGreaterThan(as(before, 'app_user'));
      expect(as(after, 'postgres')).toBe(as(before, 'postgres'));
    },
  );

  it("the app's db-check connects as app_user; --outputFile is parsed after nx run", () => {
    const run = nx(ws, ['run', 'api:db-check', '--outputFile', 'tmp/api-check.json'], {
      PATH: env['PATH'],
    });
    ok(run);
    const health = JSON.parse(readFileSync(join(ws, 'tmp/api-check.json'), 'utf-8'));
    expect(health).toMatchObject({ ok: true, user: 'app_user', database: 'app_user' });
    expect(run.output).not.toContain(PASSWORD);
  });
});
