/**
 * What the generators tell the user: the past tense after a run, the conditional under
 * `nx g --dry-run` (which Nx signals with NX_DRY_RUN=true), and next steps with the workspace's
 * real names (the database project, the stack's entry point, an app) and no <placeholder>.
 */
import { addProjectConfiguration, Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { captureOutput } from '../../test-utils/executor-workspace';
import { clientGenerator } from './client/client';
import { initScriptGenerator } from './init-script/init-script';
import { migrationGenerator } from './migration/migration';
import { moduleGenerator } from './module/module';
import { seedGenerator } from './seed/seed';

const STACK = `templates:
  - id: main
    run: [api]

modules:
  - id: api
    module: polytope/python
    args: { image: 'python:3.13-slim' }
`;

async function everyGenerator(tree: Tree): Promise<string> {
  const out = captureOutput();
  try {
    await moduleGenerator(tree, { id: 'orders-db', skipFormat: true });
    await initScriptGenerator(tree, { name: 'orders', skipFormat: true });
    await initScriptGenerator(tree, { name: 'app-user', kind: 'database-user', skipFormat: true });
    await clientGenerator(tree, { project: 'api', skipFormat: true });
    await migrationGenerator(tree, { name: 'add-orders' });
    await seedGenerator(tree, { name: 'sample' });
  } finally {
    out.restore();
  }
  return out.text();
}

function workspace(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.delete('.oxfmtrc.json');
  tree.write('polytope.yml', STACK);
  addProjectConfiguration(tree, 'api', { root: 'apps/api', projectType: 'application' });
  addProjectConfiguration(tree, 'api-e2e', { root: 'apps/api-e2e', projectType: 'application' });
  tree.write('apps/api/requirements.txt', 'fastapi\n');
  return tree;
}

describe('generator messages', () => {
  afterEach(() => delete process.env['NX_DRY_RUN']);

  it('after a run: the past tense', async () => {
    const text = await everyGenerator(workspace());
    for (const said of [
      "Added module 'orders-db' in polytope.yml",
      "  run by 'main' in polytope.yml",
      'Added sql/orders-db/001-orders.sql; the init bundle of sql/orders-db is rebuilt.',
      'Added psycopg2-binary to apps/api/requirements.txt',
      "Wrote connection code for 'orders-db' in apps/api/db_orders_db.py",
      "The env of module 'api' in polytope.yml references the database.",
      'Added migration sql/orders-db/migrations/',
      'Added seed sql/orders-db/seeds/',
    ])
      expect(text).toContain(said);
    expect(text).not.toMatch(/\b(Would|would be)\b/);
  });

  it('under nx g --dry-run (NX_DRY_RUN=true): the conditional, never the past tense', async () => {
    process.env['NX_DRY_RUN'] = 'true';
    const text = await everyGenerator(workspace());
    for (const said of [
      "Would add module 'orders-db' in polytope.yml",
      "  would be run by 'main' in polytope.yml",
      'Would add sql/orders-db/001-orders.sql, and rebuild the init bundle of sql/orders-db.',
      'Would add psycopg2-binary to apps/api/requirements.txt',
      "Would write connection code for 'orders-db' in apps/api/db_orders_db.py",
      "The env of module 'api' in polytope.yml would reference the database.",
      'Would add migration sql/orders-db/migrations/',
      'Would add seed sql/orders-db/seeds/',
    ])
      expect(text).toContain(said);
    expect(text).not.toMatch(/\b(Added|Wrote|Updated|is rebuilt|references the)\b/);
  });

  it('next steps name the database project, the entry point and an app, with nothing to fill in', async () => {
    const text = await everyGenerator(workspace());
    expect(text).toContain(
      [
        "Next, to run it on this machine (no Polytope needed): write this machine's env file, then start the database:",
        '  nx run orders-db:db-values --envFile .env.orders-db --noPt --generatePassword',
        '  nx run orders-db:db-up',
        'Or in the stack: set its values and secrets, then start the stack:',
        '  nx run orders-db:db-values --generatePassword',
        '  pt run main',
      ].join('\n'),
    );
    // The app, not its e2e project nor the database project.
    expect(text).toContain(
      'Connect an app as the role, for example api:\n  nx g @acme/pg:client api --role app_user',
    );
    const pasted = text.split('\n').filter((l) => /^\s+(nx|pt|npx|\(set) /.test(l));
    expect(pasted.length).toBeGreaterThan(8);
    for (const line of pasted) expect(line).not.toMatch(/<[a-z-]+>/);
  });

  it('a stack whose database runs under another template: pt run names the one that starts it', async () => {
    const tree = workspace();
    tree.write(
      'polytope.yml',
      `templates:\n  - id: all\n    run: [backend]\n  - id: backend\n    run: [api, orders-db]\n\n${STACK.slice(STACK.indexOf('modules:'))}`,
    );
    const text = await everyGenerator(tree);
    expect(text).toContain('  pt run all\n');
  });
});
