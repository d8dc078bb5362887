/**
 * Every command the client generator prints to test the connection, run as printed (by sh, in the
 * workspace it was printed for) against a real PostgreSQL: pip Python, Node (CommonJS, ES modules,
 * TypeScript compiled by the printed tsc line, the workspace's own: npx never downloads), and an app wired to a role. Each prints
 * `ok <version>`. The workspace sits in the repository, whose node_modules it links, as an Nx
 * workspace has pg, typescript and @types of its own.
 */
import { addProjectConfiguration, Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { captureOutput } from '../../../test-utils/executor-workspace';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import { initScriptGenerator } from '../init-script/init-script';
import { moduleGenerator } from '../module/module';
import { clientGenerator } from './client';
import { ClientGeneratorSchema } from '@acme/pg-core/src/generators/client/schema';

const REPO = resolve(__dirname, '../../../../..');
const PASSWORD = 'pr1nted:p@ss';
const ROLE_PASSWORD = 'r0le-pw';
let server: TestServer;
let ws: string;
let bin: string;
let tree: Tree;

const APPS: Record<string, Record<string, string>> = {
  pip: { 'requirements.txt': 'fastapi\n' },
  cjs: { 'src/main.js': 'module.exports = {};\n' },
  esm: { 'package.json': '{ "type": "module" }', 'src/main.js': 'export {};\n' },
  ts: { 'tsconfig.json': '{}', 'src/main.ts': 'export {};\n' },
  role: { 'requirements.txt': 'fastapi\n' },
};

async function printedCommand(schema: ClientGeneratorSchema): Promise<string> {
  const out = captureOutput();
  try {
    await clientGenerator(tree, { skipFormat: true, skipDependency: true, ...schema });
  } finally {
    out.restore();
  }
  const lines = out.text().split('\n');
  const at = lines.findIndex((l) => l.includes('run (it prints "ok <version>"):'));
  expect(at).toBeGreaterThanOrEqual(0);
  return lines[at + 1].trim();
}

beforeAll(async () => {
  server = await startPostgres({ password: PASSWORD, database: 'shop' });
  const c = new Client({ connectionString: server.url, ssl: false });
  await c.connect();
  await c.query(`CREATE ROLE app_user LOGIN PASSWORD '${ROLE_PASSWORD}'`);
  await c.query('CREATE DATABASE app_user OWNER app_user');
  await c.end();
  mkdirSync(join(REPO, 'tmp'), { recursive: true });
  ws = mkdtempSync(join(REPO, 'tmp', 'printed-'));
  bin = join(ws, '.bin');
  mkdirSync(bin);
  symlinkSync('/usr/bin/python3', join(bin, 'python3')); // Debian's, which has psycopg2
  symlinkSync(join(REPO, 'node_modules'), join(ws, 'node_modules'));
  tree = createTreeWithEmptyWorkspace();
  await moduleGenerator(tree, { skipFormat: true });
  await initScriptGenerator(tree, {
    name: 'app-user',
    kind: 'database-user',
    role: 'app_user',
    skipFormat: true,
  });
  // What db-values --envFile leaves: the env file, recorded in the local state.
  tree.write(
    '.env.postgres',
    `POSTGRES_HOST='localhost'\nPOSTGRES_PORT='${server.port}'\nPOSTGRES_DB='shop'\nPOSTGRES_USER='postgres'\nPOSTGRES_PASSWORD='${PASSWORD}'\nPGINIT_APP_USER_PASSWORD='${ROLE_PASSWORD}'\n`,
  );
  tree.write('sql/postgres/.acme-pg.local.json', '{ "envFile": ".env.postgres" }');
  for (const [name, files] of Object.entries(APPS)) {
    addProjectConfiguration(tree, name, { root: `apps/${name}`, projectType: 'application' });
    for (const [f, text] of Object.entries(files)) tree.write(`apps/${name}/${f}`, text);
  }
});
afterAll(async () => {
  await server?.stop();
  if (ws) rmSync(ws, { recursive: true, force: true });
});

function runAsPrinted(command: string) {
  // The generated files, written out as the generator leaves them.
  for (const c of tree.listChanges()) {
    if (c.type === 'DELETE') continue;
    mkdirSync(dirname(join(ws, c.path)), { recursive: true });
    writeFileSync(join(ws, c.path), c.content!);
  }
  return spawnSync('sh', ['-c', command], {
    cwd: ws,
    encoding: 'utf-8',
    timeout: 120_000,
    env: { PATH: `${bin}${delimiter}${process.env['PATH']}`, HOME: process.env['HOME'] },
  });
}

describe('the printed "test it" command, run as printed', () => {
  it.each([
    ['pip (psycopg2)', 'pip', 'python', 'python3 apps/pip/db.py'],
    ['Node, CommonJS', 'cjs', 'node', 'node apps/cjs/src/db.js'],
    ['Node, ES modules', 'esm', 'node', 'node apps/esm/src/db.js'],
    ['Node, TypeScript', 'ts', 'node', 'npx --no-install tsc apps/ts/src/db.ts'],
  ])('%s: prints ok <version>', async (_, project, language, part) => {
    const command = await printedCommand({ project, language: language as never });
    expect(command).toContain('. ./.env.postgres');
    expect(command).toContain(part);
    const r = runAsPrinted(command);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^ok 15\.\d+$/);
  });

  it('an app wired with --role: the command connects as the role', async () => {
    const command = await printedCommand({ project: 'role', language: 'python', role: 'app_user' });
    expect(command).toContain(
      'export POSTGRES_USER=app_user POSTGRES_DB=app_user POSTGRES_PASSWORD="$PGINIT_APP_USER_PASSWORD"',
    );
    const r = runAsPrinted(command);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^ok 15\.\d+$/);
    // The same line with the role's password changed fails: it really logs in as the role.
    const wrong = runAsPrinted(command.replace('"$PGINIT_APP_USER_PASSWORD"', 'nope'));
    expect(wrong.stderr).toContain("wrong password, or no role 'app_user'");
  });

  it('without an env file yet, it first says how to write one', async () => {
    tree.delete('sql/postgres/.acme-pg.local.json');
    const out = captureOutput();
    try {
      await clientGenerator(tree, { project: 'pip', skipFormat: true, skipDependency: true });
    } finally {
      out.restore();
    }
    const text = out.text();
    expect(text).toContain(
      "No env file is recorded for 'postgres' on this machine yet. Write one and start the database here (port 5432; db-values --exposedPort gives another):\n  nx run postgres:db-values --envFile .env.postgres --noPt --generatePassword && nx run postgres:db-up",
    );
    expect(text).toContain('; to test it, then run (it prints "ok <version>"):');
    // Nothing meant to be pasted has a <placeholder>, which the shell reads as a redirection.
    for (const line of text.split('\n').filter((l) => /^\s+(nx|pt|npx|\(set) /.test(l)))
      expect(line).not.toMatch(/<[a-z-]+>/);
  });
});
