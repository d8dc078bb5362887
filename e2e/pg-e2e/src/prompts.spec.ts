/**
 * The prompts as a person meets them: the real nx CLI in a real terminal (tmux), answered with the
 * arrow keys, Enter, a wrong answer and then a right one; the screen and the files are checked.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Terminal } from './terminal';
import { fileHashes, freshWorkspace, nx } from './workspace';

const POLYTOPE = `templates:
  - id: stack
    run: [api]

modules:
  - id: api
    module: polytope/python
    args:
      image: python:3.13-slim
`;

function project(ws: string, name: string, config: object, files: Record<string, string> = {}) {
  const root = `apps/${name}`;
  mkdirSync(join(ws, root), { recursive: true });
  writeFileSync(join(ws, root, 'project.json'), JSON.stringify({ name, root, ...config }));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(ws, root, f), text);
}

const read = (ws: string, path: string) => readFileSync(join(ws, path), 'utf-8');

describe('interactive prompts in a real terminal', () => {
  let ws: string;
  let term: Terminal;
  beforeAll(() => {
    ws = freshWorkspace('prompts');
    writeFileSync(join(ws, 'polytope.yml'), POLYTOPE);
    // An e2e project that sorts first and would be the default of a plain list.
    project(ws, 'admin-e2e', { projectType: 'application', implicitDependencies: ['api'] });
    // No file says which client it needs: the language is asked for.
    project(ws, 'api', { projectType: 'application' }, { 'main.txt': 'api\n' });
    project(ws, 'web', { projectType: 'application' }, { 'package.json': '{"name":"web"}' });
    term = new Terminal(ws);
  });
  afterAll(() => term?.close());

  it('module: a wrong id is refused with the rule, then a right one is taken', async () => {
    term.run('npx nx g @acme/pg:module --image postgres:15');
    await term.waitFor(/What id should the PostgreSQL module have\?.*\n.*postgres/);
    term.press(...Array<string>(8).fill('BSpace'));
    term.type('Shop DB');
    term.press('Enter');
    const refused = await term.waitFor("Invalid id 'Shop DB'");
    expect(refused).toContain(
      "Invalid id 'Shop DB': use 1 to 63 characters from a-z, 0-9, '_' and '-' (for example: analytics).",
    );
    term.press(...Array<string>(7).fill('BSpace'));
    term.type('shop');
    term.press('Enter');
    expect(await term.exitCode()).toBe(0);
    expect(term.screen()).toContain("Added module 'shop' in polytope.yml");
    expect(read(ws, 'polytope.yml')).toContain('- id: shop\n');
    expect(JSON.parse(read(ws, 'sql/shop/acme-pg.json'))).toMatchObject({ module: 'shop' });
  });

  it('init-script: "Orders Table" is refused before the kind is asked; the kinds have a line each', async () => {
    term.run('npx nx g @acme/pg:init-script');
    await term.waitFor('What should the init script be called?');
    term.type('Orders Table');
    term.press('Enter');
    const refused = await term.waitFor("Invalid script name 'Orders Table'");
    expect(refused).toContain(
      "use 1 to 50 characters from a-z, 0-9, '_' and '-', starting with a letter or digit (for example: orders-table)",
    );
    expect(refused).not.toContain('What should the script do?');
    term.press(...Array<string>(12).fill('BSpace'));
    term.type('orders');
    term.press('Enter');
    const kinds = await term.waitFor('What should the script do?');
    expect(kinds).toMatch(/empty.*a commented skeleton to fill in/);
    expect(kinds).toMatch(/database-user.*a login role and a database it owns/);
    expect(kinds).toMatch(/schema.*CREATE SCHEMA, for the app to fill/);
    term.press('Down', 'Down', 'Up', 'Down', 'Enter');
    expect(await term.exitCode()).toBe(0);
    expect(read(ws, 'sql/shop/001-orders.sql')).toContain('CREATE SCHEMA IF NOT EXISTS "orders";');
  });

  it('client: apps first, no e2e or database project; a wrong language is asked again, psycopg2 is understood', async () => {
    term.run('npx nx g @acme/pg:client');
    const list = await term.waitFor('Which project should connect to the database?');
    const after = list.slice(list.indexOf('Which project should connect'));
    expect(after).toMatch(/api.*application in apps\/api/);
    expect(after).toMatch(/web.*application in apps\/web/);
    expect(after).not.toContain('admin-e2e');
    expect(after).not.toMatch(/\bshop\b/);
    expect(after.indexOf('api')).toBeLessThan(after.indexOf('web'));
    term.press('Down', 'Up', 'Enter');
    await term.waitFor("Which client library should 'api' use?");
    const languages = term.screen();
    expect(languages).toMatch(/python.*Python with psycopg2/);
    expect(languages).toMatch(/asyncpg.*Python with asyncpg/);
    expect(languages).toMatch(/node.*Node\.js with pg/);
    term.type('ruby');
    term.press('Enter');
    expect(await term.waitFor('Nothing matches')).toContain(
      'Nothing matches; pick one of: python, asyncpg, node (arrow keys, Enter).',
    );
    term.press(...Array<string>(4).fill('BSpace'));
    term.type('psycopg2');
    await term.waitFor(/psycopg2[\s\S]*python.*Python with psycopg2/);
    term.press('Enter');
    expect(await term.exitCode()).toBe(0);
    expect(read(ws, 'apps/api/db_shop.py')).toContain('import psycopg2');
    expect(read(ws, 'apps/api/requirements.txt')).toContain('psycopg2-binary');
    expect(read(ws, 'polytope.yml')).toContain('pt.secret shop-password');
  });

  it('without a terminal, a missing project is one error naming the apps', () => {
    const run = nx(ws, ['g', '@acme/pg:client', '--no-interactive']);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(
      'Name the app that connects to the database: nx g @acme/pg:client <project> (api, web).',
    );
  });

  it('a client re-run after a second module reads the module from the app’s marker', () => {
    expect(nx(ws, ['g', '@acme/pg:module', 'analytics', '--no-interactive']).status).toBe(0);
    const run = nx(ws, ['g', '@acme/pg:client', 'api', '--language', 'psycopg2']);
    expect(run.status).toBe(0);
    expect(run.output).toContain("Connection code for 'shop' in apps/api/db_shop.py");
    expect(JSON.parse(read(ws, 'apps/api/acme-pg.json'))).toEqual({
      kind: 'client',
      modules: ['shop'],
    });
  });

  it('init-script with two modules asks which; Ctrl-C at the name stops with no file changed', async () => {
    const before = fileHashes(ws);
    term.run('npx nx g @acme/pg:init-script');
    const modules = await term.waitFor('Which PostgreSQL module is it for?');
    expect(modules).toMatch(/analytics.*init scripts in sql\/analytics/);
    expect(modules).toMatch(/shop.*init scripts in sql\/shop/);
    term.press('Down', 'Enter');
    await term.waitFor('What should the init script be called?');
    term.type('half');
    term.press('C-c');
    expect(await term.exitCode()).not.toBe(0);
    expect(term.screen()).toContain('Cancelled; no file was changed.');
    expect(fileHashes(ws)).toEqual(before);
  });

  it('module: Enter on the offered id takes it', async () => {
    term.run('npx nx g @acme/pg:module --image postgres:15');
    await term.waitFor(/What id should the PostgreSQL module have\?.*\n.*postgres/);
    term.press('Enter');
    expect(await term.exitCode()).toBe(0);
    expect(term.screen()).toContain("Added module 'postgres' in polytope.yml");
    expect(read(ws, 'polytope.yml')).toContain('- id: postgres\n');
  });
});
