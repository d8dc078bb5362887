/**
 * Every command the plugin prints to be pasted works as printed (issue 17, acceptance 2; issue 14,
 * "every printed command works as printed"). The demo flow (tools/demo.mjs) in a fresh
 * create-nx-workspace --preset=apps workspace, through the real nx CLI: a TypeScript app with its own
 * package.json outside any workspaces, a Python app, a database-user init script. Each printed
 * command (an indented line starting with nx, pt, npx or a `(set -a` subshell) is run by sh in the
 * workspace, in the order printed, and the commands those print are run too; each must exit 0 and
 * do what it says. `pt` is the recording stand-in of the unit tests (test-utils/fake-pt); `nx` is
 * the workspace's own on PATH, as a global nx delegates to it; python3 is Debian's, with psycopg2
 * (the printed `pip install -r` is not run: CI has no PyPI). The local database is embedded
 * PostgreSQL started by the printed db-up, on the printed (default) port 5432.
 * Also: --dry-run speaks in the conditional, on Nx 23 and Nx 22.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { env, fileHashes, freshWorkspace, nx, repoRoot } from './workspace';

const POLYTOPE = `templates:
  - id: stack
    run: [api, worker]

modules:
  - id: api
    module: polytope/node
    args: { image: 'node:20', code: { type: host, path: ./apps/api } }
  - id: worker
    module: polytope/python
    args: { image: 'python:3.13-slim', code: { type: host, path: ./apps/worker } }
`;

const APPS: Record<string, string> = {
  'apps/api/project.json': JSON.stringify({
    name: 'api',
    root: 'apps/api',
    sourceRoot: 'apps/api/src',
    projectType: 'application',
  }),
  // Its own package.json, which the root's install ignores: the root package.json has no workspaces.
  'apps/api/package.json': JSON.stringify({ name: 'api', version: '0.0.0', private: true }),
  'apps/api/tsconfig.json': '{}\n',
  'apps/api/src/main.ts': "console.log('api');\n",
  'apps/worker/project.json': JSON.stringify({
    name: 'worker',
    root: 'apps/worker',
    projectType: 'application',
  }),
  'apps/worker/requirements.txt': 'fastapi\n',
};

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** The commands meant to be pasted: indented lines that start with a command. */
function pasteable(output: string): string[] {
  return output
    .split('\n')
    .map((l) => /^ {2,}((?:nx|pt|npx) .*|\(set -a .*)$/.exec(l.trimEnd())?.[1])
    .filter((c): c is string => !!c);
}

function ok(run: { status: number | null; output: string }): string {
  if (run.status !== 0) throw new Error(run.output);
  return run.output;
}

describe('--dry-run through the real nx CLI speaks in the conditional and writes nothing', () => {
  it.each([
    ['Nx 23', 'pristine'],
    ['Nx 22', 'pristine-22'],
  ] as const)('%s', (_, from) => {
    const ws = freshWorkspace(`hints-dry-${from}`, from);
    write(ws, { 'polytope.yml': POLYTOPE, ...APPS });
    const dry = (args: string[]) => {
      const before = fileHashes(ws);
      const out = ok(nx(ws, ['g', ...args, '--dry-run', '--no-interactive']));
      expect(fileHashes(ws)).toEqual(before);
      expect(out).not.toMatch(/\b(Added|Wrote|Updated|is rebuilt)\b/);
      return out;
    };
    expect(dry(['@acme/pg:module', '--image', 'postgres:15'])).toContain(
      "Would add module 'postgres' in polytope.yml",
    );
    ok(nx(ws, ['g', '@acme/pg:module', '--image', 'postgres:15', '--no-interactive']));
    expect(dry(['@acme/pg:init-script', 'orders'])).toContain(
      'Would add sql/postgres/001-orders.sql, and rebuild the init bundle of sql/postgres.',
    );
    const client = dry(['@acme/pg:client', 'api']);
    expect(client).toContain("Would write connection code for 'postgres' in apps/api/src/db.ts");
    expect(client).toContain(
      "The env of module 'api' in polytope.yml would reference the database.",
    );
    expect(dry(['@acme/pg:migration', 'add-orders'])).toContain(
      'Would add migration sql/postgres/migrations/',
    );
    expect(dry(['@acme/pg:seed', 'sample'])).toContain('Would add seed sql/postgres/seeds/');
    // And the real run says what it did.
    expect(ok(nx(ws, ['g', '@acme/pg:seed', 'sample', '--no-interactive']))).toContain(
      'Added seed sql/postgres/seeds/001-sample.sql',
    );
  });
});

describe('every printed command, run as printed', () => {
  let ws: string;
  let pt: string;
  let bin: string;
  let upOutput = '';
  const shellEnv = () => ({
    ...env,
    PATH: [
      bin,
      join(repoRoot, 'packages/core/test-utils/fake-pt'),
      join(ws, 'node_modules/.bin'),
      process.env['PATH'],
    ].join(delimiter),
    PT_LOG: join(pt, 'calls.jsonl'),
    PT_FIXTURE: join(pt, 'fixture.json'),
  });
  const sh = (command: string) => {
    const r = spawnSync('sh', ['-c', command], {
      cwd: ws,
      env: shellEnv(),
      input: '',
      encoding: 'utf-8',
      timeout: 240_000,
    });
    const plain = (t: string) => (t ?? '').replace(/\x1b\[[0-9;]*m/g, '');
    return { status: r.status, stdout: plain(r.stdout), output: plain(`${r.stdout}\n${r.stderr}`) };
  };
  const ptCalls = () =>
    existsSync(join(pt, 'calls.jsonl'))
      ? readFileSync(join(pt, 'calls.jsonl'), 'utf-8')
          .split('\n')
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { args: string[] }).args.join(' '))
      : [];

  beforeAll(() => {
    ws = freshWorkspace('hints');
    pt = mkdtempSync(join(tmpdir(), 'acme-pg-hints-pt-'));
    writeFileSync(join(pt, 'fixture.json'), '{}');
    // Debian's python3, which has psycopg2: the printed `pip install -r` needs PyPI, which CI lacks.
    bin = join(pt, 'bin');
    mkdirSync(bin);
    symlinkSync('/usr/bin/python3', join(bin, 'python3'));
  });
  afterAll(() => {
    if (ws) spawnSync('sh', ['-c', 'nx run postgres:db-down'], { cwd: ws, env: shellEnv() });
    if (pt) rmSync(pt, { recursive: true, force: true });
  });

  it('the demo flow: each hint works, and so does each hint it prints', () => {
    write(ws, { 'polytope.yml': POLYTOPE, ...APPS });
    const printed: string[] = [];
    const generate = (args: string[]) => {
      const out = ok(sh(`nx g ${args.join(' ')} --no-interactive`));
      printed.push(...pasteable(out));
      return out;
    };
    generate(['@acme/pg:module', '--image', 'postgres:15']);
    generate(['@acme/pg:init-script', 'orders']);
    generate(['@acme/pg:init-script', 'app-user', '--kind', 'database-user']);
    generate(['@acme/pg:client', 'api']);
    generate(['@acme/pg:client', 'worker']);

    // The TypeScript check's tools went where the root's install puts them, and were installed.
    const rootPkg = JSON.parse(readFileSync(join(ws, 'package.json'), 'utf-8'));
    expect(rootPkg.workspaces).toBeUndefined();
    expect(Object.keys(rootPkg.devDependencies)).toEqual(
      expect.arrayContaining(['typescript', '@types/node', '@types/pg']),
    );
    for (const p of ['typescript', '@types/node', '@types/pg', 'pg'])
      expect(existsSync(join(ws, 'node_modules', p, 'package.json'))).toBe(true);

    const ran: { command: string; output: string }[] = [];
    const queue = [...printed];
    while (queue.length) {
      const command = queue.shift()!;
      if (ran.some((r) => r.command === command)) continue;
      // Nothing to fill in: a <placeholder> would be a shell redirection.
      expect(command).not.toMatch(/<[a-z-]+>/);
      const r = sh(command);
      if (r.status !== 0) throw new Error(`Printed command failed: ${command}\n${r.output}`);
      ran.push({ command, output: r.output });
      if (/:db-up\b/.test(command)) upOutput += r.output;
      queue.push(...pasteable(r.output));
      expect(ran.length).toBeLessThan(60); // the hints lead somewhere, not round in circles
    }
    const commands = ran.map((r) => r.command);
    // What ran, for whoever reads a failure.
    writeFileSync(join(ws, 'printed-commands.log'), `${commands.join('\n')}\n`);
    const outputOf = (re: RegExp) => ran.filter((r) => re.test(r.command)).map((r) => r.output);

    // The module's local path and the pt path, with the real names.
    expect(commands).toEqual(
      expect.arrayContaining([
        'nx run postgres:db-values --envFile .env.postgres --noPt --generatePassword',
        'nx run postgres:db-up',
        'nx run postgres:db-values --generatePassword',
        'pt run stack',
        'nx run postgres:db-psql -- -f sql/postgres/001-orders.sql',
        'nx run postgres:db-psql -- -f sql/postgres/002-app-user.sql',
        'nx g @acme/pg:client api --role app_user',
      ]),
    );
    expect(existsSync(join(ws, '.env.postgres'))).toBe(true);
    expect(upOutput).toMatch(/PostgreSQL 15\.\d+ for module 'postgres' is up at localhost:5432/);
    // pt got what the printed lines say (the stand-in records each call).
    const calls = ptCalls();
    expect(calls).toEqual(
      expect.arrayContaining([
        'values set postgres-host postgres',
        'values set postgres-port 5432',
        'secrets set postgres-password --stdin',
        'run stack',
      ]),
    );
    // Each printed "test it" command: TypeScript compiled by the workspace's tsc, psycopg2, and
    // the app re-wired to its role.
    const tests = outputOf(/^\(set -a /);
    expect(commands.filter((c) => c.startsWith('(set -a '))).toEqual(
      expect.arrayContaining([
        expect.stringContaining('npx --no-install tsc apps/api/src/db.ts'),
        expect.stringContaining('python3 apps/worker/db.py'),
        expect.stringContaining('POSTGRES_USER=app_user'),
      ]),
    );
    expect(tests.length).toBeGreaterThanOrEqual(3);
    for (const out of tests) expect(out.trim()).toMatch(/^ok 15\.\d+$/m);
    // The role the re-wired app logs in as is the init script's.
    const asRole = ran.find((r) => r.command.includes('POSTGRES_USER=app_user'))!;
    const who = sh(
      asRole.command.replace(
        /&& npx --no-install tsc .*\)$|&& python3 .*\)$/,
        '&& PGHOST=$POSTGRES_HOST PGPORT=$POSTGRES_PORT PGUSER=$POSTGRES_USER PGPASSWORD=$POSTGRES_PASSWORD PGDATABASE=$POSTGRES_DB psql -tAc "SELECT current_user")',
      ),
    );
    expect(who.stdout.trim()).toBe('app_user');

    // The last hint of db-up stops the server, as printed.
    const stop = /Stop it with: (.+)$/m.exec(upOutput)?.[1];
    expect(stop).toBe('nx run postgres:db-down');
    expect(ok(sh(stop!))).toContain("Stopped the local server of 'postgres'");
  });
});
