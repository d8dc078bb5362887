import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { polytopeFileErrors } from '../../../packages/core/test-utils/polytope-validation';
import { fileHashes, freshWorkspace, nx, repoRoot } from './workspace';

const EXISTING = `# Stack of the e2e workspace: this comment stays.
templates:
- id: stack
  run: [api]

modules:
- id: api
  module: polytope/node
  args: {image: 'node:20', code: {type: host, path: ./apps/api}}
`;

describe('@acme/pg generators through the real nx CLI', () => {
  let ws: string;
  beforeAll(() => {
    ws = freshWorkspace('generators');
  });

  it('installed the packed plugin at its version', () => {
    const installed = JSON.parse(
      readFileSync(join(ws, 'node_modules', '@acme', 'pg', 'package.json'), 'utf-8'),
    );
    const ours = JSON.parse(
      readFileSync(join(repoRoot, 'packages', 'pg', 'package.json'), 'utf-8'),
    );
    expect(installed.version).toBe(ours.version);
  });

  it('--dry-run shows the changes and writes no file', () => {
    const before = fileHashes(ws);
    const run = nx(ws, ['g', '@acme/pg:module', '--dry-run', '--no-interactive']);
    expect(run.status).toBe(0);
    expect(run.output).toContain('CREATE polytope.yml');
    expect(run.output).toContain('NOTE: The "dryRun" flag means no changes were made.');
    expect(fileHashes(ws)).toEqual(before);
  });

  it.each([
    [
      "a bad id (Nx's schema check)",
      ['--id', 'bad;id'],
      "Property 'id' does not match the schema. 'bad;id' should match the pattern",
    ],
    [
      'an image with a space',
      ['--image', 'postgres 16'],
      'Invalid --image "postgres 16": an image reference has no spaces or control characters',
    ],
    [
      'an image with no major in its tag',
      ['--image', 'postgres'],
      "Image 'postgres' names no PostgreSQL major version (no tag, so latest): the stack may start a newer major that cannot open the data, and db-up cannot tell which server to run. Give the major in the tag: nx g @acme/pg:module --id postgres --image postgres:16",
    ],
    [
      'trust without --allowTrust',
      ['--auth', 'trust'],
      '--auth=trust lets anyone connect without a password; pass --allowTrust',
    ],
  ])('%s gives one clear error, no stack trace, and writes no file', (_name, args, message) => {
    const before = fileHashes(ws);
    const run = nx(ws, ['g', '@acme/pg:module', ...args, '--no-interactive']);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(message);
    expect(run.output).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(fileHashes(ws)).toEqual(before);
  });

  it('adds the module to an existing polytope.yml, keeping every other byte', () => {
    writeFileSync(join(ws, 'polytope.yml'), EXISTING);
    const run = nx(ws, ['g', '@acme/pg:module', '--image', 'postgres:15', '--no-interactive']);
    expect(run.status).toBe(0);
    const text = readFileSync(join(ws, 'polytope.yml'), 'utf-8');
    expect(text.replace('  run: [api, postgres]\n', '  run: [api]\n').startsWith(EXISTING)).toBe(
      true,
    );
    expect(polytopeFileErrors(text)).toEqual([]);
    expect(parse(text).modules[1].args.image).toBe('postgres:15');
    const project = JSON.parse(nx(ws, ['show', 'project', 'postgres', '--json']).stdout);
    expect(project.root).toBe('sql/postgres');
  });

  it('init scripts, and nx sync:check / nx sync keep the init bundle current', () => {
    expect(
      nx(ws, [
        'g',
        '@acme/pg:init-script',
        'app-user',
        '--kind',
        'database-user',
        '--no-interactive',
      ]).status,
    ).toBe(0);
    expect(
      nx(ws, ['g', '@acme/pg:init-script', 'app', '--kind', 'schema', '--no-interactive']).status,
    ).toBe(0);
    expect(nx(ws, ['sync:check']).status).toBe(0);
    writeFileSync(
      join(ws, 'sql', 'postgres', '003-seed.sql'),
      "INSERT INTO app.seed VALUES ('x');\n",
    );
    const stale = nx(ws, ['sync:check']);
    expect(stale.status).not.toBe(0);
    expect(stale.output).toContain('does not match its .sql scripts');
    expect(nx(ws, ['sync']).status).toBe(0);
    expect(nx(ws, ['sync:check']).status).toBe(0);
    const bundle = readFileSync(join(ws, 'sql', 'postgres', '_init-bundle.sql'), 'utf-8');
    const order = ['001-app-user.sql', '002-app.sql', '003-seed.sql'].map((f) =>
      bundle.indexOf(`-- @acme/pg source: ${f}`),
    );
    expect(order.every((pos, i) => pos > 0 && (i === 0 || pos > order[i - 1]))).toBe(true);
    expect(readFileSync(join(ws, 'polytope.yml'), 'utf-8')).toContain(
      '{ name: PGINIT_APP_USER_PASSWORD, value: pt.secret postgres-role-app_user-secret }',
    );
  });

  it("db-psql's hint names a page the installed package has, and the README's links reach its files", () => {
    const run = nx(ws, ['run', 'postgres:db-psql', '--', '-h', 'elsewhere']);
    expect(run.status).not.toBe(0);
    const page = /see (node_modules\/@acme\/pg\/docs\/\S+\.md)\)/.exec(run.output)?.[1];
    expect(page).toBe('node_modules/@acme/pg/docs/executors/connection.md');
    expect(readFileSync(join(ws, page!), 'utf-8')).toMatch(/^# /);
    const pkg = join(ws, 'node_modules', '@acme', 'pg');
    const readme = readFileSync(join(pkg, 'README.md'), 'utf-8');
    const links = [...readme.matchAll(/\]\((docs\/[^)#]+)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(10);
    for (const link of links) expect([link, existsSync(join(pkg, link))]).toEqual([link, true]);
  });

  it.each([
    ['no options', []],
    ['--restart', ['--restart', 'always']],
  ])('updates a polytope/postgres!simple module with %s, without --convert', (_name, args) => {
    writeFileSync(
      join(ws, 'simple.yml'),
      'modules:\n  - id: legacy\n    module: polytope/postgres!simple\n    args:\n      image: postgres:16.2\n      data-volume: { type: volume, scope: project, id: legacy-data }\n',
    );
    const run = nx(ws, [
      'g',
      '@acme/pg:module',
      'legacy',
      '--polytopeFile',
      'simple.yml',
      '--template',
      'none',
      '--skipPackageJson',
      ...args,
      '--no-interactive',
    ]);
    expect(run.output).not.toContain('cannot apply');
    expect(run.status).toBe(0);
    const module = parse(readFileSync(join(ws, 'simple.yml'), 'utf-8')).modules[0];
    expect(module.module).toBe('polytope/postgres!simple');
    expect(module.args['data-volume'].id).toBe('legacy-data');
  });
});
