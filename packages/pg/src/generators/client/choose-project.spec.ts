import { addProjectConfiguration, readJson, Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { choiceMatches, choiceNamed } from '@acme/pg-core/src/utils/prompt';
import { moduleGenerator } from '../module/module';
import { clientGenerator } from './client';
import { nxTree } from '../../nx-tree';
import { isE2eProject, projectChoices } from '@acme/pg-core/src/generators/client/choose-project';
import { LANGUAGES, parseLanguage } from '@acme/pg-core/src/generators/client/languages';

const app = (tree: Tree, name: string, extra: object = {}) =>
  addProjectConfiguration(tree, name, {
    root: `apps/${name}`,
    projectType: 'application',
    ...extra,
  });

describe('client: the project list', () => {
  let tree: Tree;
  beforeEach(async () => {
    tree = createTreeWithEmptyWorkspace();
    await moduleGenerator(tree, { id: 'postgres', skipFormat: true });
    app(tree, 'api-e2e', { implicitDependencies: ['api'] });
    app(tree, 'web');
    app(tree, 'api');
    app(tree, 'shop-cy', { targets: { e2e: { executor: '@nx/cypress:cypress' } } });
    app(tree, 'checkout');
    tree.write('apps/checkout/playwright.config.ts', 'export default {};\n');
    app(tree, 'admin_e2e');
    addProjectConfiguration(tree, 'shared', { root: 'libs/shared', projectType: 'library' });
  });

  it('lists applications first, then libraries, and never e2e or database projects', () => {
    expect(projectChoices(nxTree(tree), nxTree(tree).host.projects())).toEqual([
      { value: 'api', hint: 'application in apps/api' },
      { value: 'web', hint: 'application in apps/web' },
      { value: 'shared', hint: 'library in libs/shared' },
    ]);
  });

  it.each([
    ['api-e2e', true],
    ['admin_e2e', true],
    ['shop-cy', true],
    ['checkout', true],
    ['api', false],
    ['shared', false],
  ])('%s is an e2e project: %s', (name, e2e) => {
    expect(isE2eProject(nxTree(tree), name, nxTree(tree).host.projects().get(name)!)).toBe(e2e);
  });

  it('without --project and without a terminal: one error naming the apps, no file changed', async () => {
    const before = tree.listChanges().length;
    await expect(clientGenerator(tree, { skipFormat: true })).rejects.toThrow(
      'Name the app that connects to the database: nx g @acme/pg:client <project> (api, web, shared).',
    );
    expect(tree.listChanges().length).toBe(before);
  });

  it('a workspace with only e2e and database projects says to add an app', async () => {
    const t = createTreeWithEmptyWorkspace();
    await moduleGenerator(t, { id: 'postgres', skipFormat: true });
    app(t, 'api-e2e');
    await expect(clientGenerator(t, { skipFormat: true })).rejects.toThrow(
      /^This workspace has no app to connect to the database yet/,
    );
  });
});

describe('client: languages', () => {
  it.each([
    ['python', 'python'],
    ['psycopg2', 'python'],
    ['psycopg', 'python'],
    ['Psycopg2 ', 'python'],
    ['asyncpg', 'asyncpg'],
    ['node', 'node'],
    ['pg', 'node'],
    ['js', 'node'],
    ['ts', 'node'],
    ['TypeScript', 'node'],
    ['javascript', 'node'],
  ])('--language %s is %s', (word, language) => {
    expect(parseLanguage(word)).toBe(language);
  });

  it.each(['ruby', '', 'py2', 'nodejs16'])('--language %j is one clear error', (word) => {
    expect(() => parseLanguage(word)).toThrow(
      `Invalid --language '${word}': use python (psycopg2), asyncpg or node (pg).`,
    );
  });

  it.each([
    ['psycopg2', ['python']],
    ['async', ['asyncpg']],
    ['ts', ['node']],
    ['python', ['python', 'asyncpg']],
    ['ruby', []],
    ['', ['python', 'asyncpg', 'node']],
  ])('typing %j at the prompt keeps %j', (search, kept) => {
    expect(LANGUAGES.filter((c) => choiceMatches(c, search)).map((c) => c.value)).toEqual(kept);
    if (kept.length === 1 && search) expect(choiceNamed(LANGUAGES, search)).toBe(kept[0]);
  });

  it('flag aliases generate the Node and the psycopg2 client', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await moduleGenerator(tree, { id: 'postgres', skipFormat: true });
    app(tree, 'api');
    await clientGenerator(tree, { project: 'api', language: 'ts', skipFormat: true });
    expect(tree.exists('apps/api/src/db.js')).toBe(true);
    app(tree, 'worker');
    await clientGenerator(tree, { project: 'worker', language: 'psycopg2', skipFormat: true });
    expect(tree.read('apps/worker/db.py', 'utf-8')).toContain('import psycopg2');
    expect(tree.read('apps/worker/requirements.txt', 'utf-8')).toContain('psycopg2-binary');
  });
});

describe('client re-runs', () => {
  it('read the module from the app’s marker once a second module exists', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await moduleGenerator(tree, { id: 'postgres', skipFormat: true });
    app(tree, 'orders');
    tree.write('apps/orders/requirements.txt', '');
    await clientGenerator(tree, { project: 'orders', skipFormat: true });
    await moduleGenerator(tree, { id: 'analytics', skipFormat: true });
    tree.delete('apps/orders/db.py');
    await clientGenerator(tree, { project: 'orders', skipFormat: true });
    expect(tree.exists('apps/orders/db.py')).toBe(true);
    expect(tree.exists('apps/orders/db_analytics.py')).toBe(false);
    expect(readJson(tree, 'apps/orders/acme-pg.json')).toEqual({
      kind: 'client',
      modules: ['postgres'],
    });
  });

  it('an app connected to both, or to none, still needs --module', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await moduleGenerator(tree, { id: 'postgres', skipFormat: true });
    await moduleGenerator(tree, { id: 'analytics', skipFormat: true });
    app(tree, 'orders');
    tree.write('apps/orders/requirements.txt', '');
    const several =
      'This workspace has several PostgreSQL modules (analytics, postgres); choose one with --module.';
    await expect(clientGenerator(tree, { project: 'orders', skipFormat: true })).rejects.toThrow(
      several,
    );
    for (const module of ['postgres', 'analytics'])
      await clientGenerator(tree, { project: 'orders', module, skipFormat: true });
    await expect(clientGenerator(tree, { project: 'orders', skipFormat: true })).rejects.toThrow(
      several,
    );
  });
});
