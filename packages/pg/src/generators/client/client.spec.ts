import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addProjectConfiguration, readJson, readProjectConfiguration, Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { polytopeFileErrors } from '@acme/pg-core/test-utils/polytope-validation';
import { snapshot } from '../../../test-utils/tree-snapshot';
import { initScriptGenerator } from '../init-script/init-script';
import { moduleGenerator } from '../module/module';
import { clientGenerator } from './client';
import { ClientGeneratorSchema } from '@acme/pg-core/src/generators/client/schema';
import { DEFAULT_KEYS, OWN_KEYS_MODULE } from '../../../test-utils/own-keys';

function app(tree: Tree, name: string, files: Record<string, string | Buffer> = {}): string {
  const root = `apps/${name}`;
  addProjectConfiguration(tree, name, { root, projectType: 'application' });
  for (const [f, text] of Object.entries(files)) tree.write(`${root}/${f}`, text);
  return root;
}

const run = (tree: Tree, o: ClientGeneratorSchema) =>
  clientGenerator(tree, { skipFormat: true, ...o });

const WITH_APPS = `templates:
  - id: stack
    run: [postgres, api]

modules:
  - id: api
    module: polytope/python
    args:
      image: python:3.13-slim
      # keep this comment
      env:
        - { name: PORT, value: pt.value api-port }
`;

describe('client generator', () => {
  let tree: Tree;
  beforeEach(async () => {
    tree = createTreeWithEmptyWorkspace();
    tree.delete('.oxfmtrc.json');
    tree.write('polytope.yml', WITH_APPS);
    await moduleGenerator(tree, { skipFormat: true });
  });

  describe('language and file', () => {
    it.each([
      ['requirements.txt', { 'requirements.txt': 'flask\n' }, 'apps/api/db.py', 'psycopg2'],
      [
        'a package in src',
        { 'pyproject.toml': '[project]\nname = "api"\n', 'src/api/__init__.py': '' },
        'apps/api/src/api/db.py',
        'psycopg2',
      ],
      [
        'a package at the root',
        { 'requirements.txt': '', 'app/__init__.py': '', 'tests/__init__.py': '' },
        'apps/api/app/db.py',
        'psycopg2',
      ],
      [
        'asyncpg already a dependency',
        { 'pyproject.toml': '[project]\ndependencies = ["fastapi", "asyncpg>=0.27"]\n' },
        'apps/api/db.py',
        'import asyncpg',
      ],
      [
        'asyncpg in requirements.txt',
        { 'requirements.txt': 'uvicorn\nasyncpg==0.29\n' },
        'apps/api/db.py',
        'import asyncpg',
      ],
      ['only .py sources', { 'main.py': 'print(1)\n' }, 'apps/api/db.py', 'psycopg2'],
      [
        'package.json',
        { 'package.json': '{"name":"api"}', 'src/index.js': '' },
        'apps/api/src/db.js',
        "require('pg')",
      ],
      ['a tsconfig', { 'tsconfig.json': '{}' }, 'apps/api/src/db.ts', "from 'pg'"],
      [
        '.ts sources next to project.json only',
        { 'src/main.ts': '' },
        'apps/api/src/db.ts',
        "from 'pg'",
      ],
      [
        'an ES module package',
        { 'package.json': '{"type":"module"}', 'src/main.js': '' },
        'apps/api/src/db.js',
        "import pg from 'pg'",
      ],
    ])('derives the client from %s', async (_, files, path, library) => {
      app(tree, 'api', files);
      await run(tree, { project: 'api' });
      expect(tree.read(path, 'utf-8')).toContain(library);
    });

    it('asks when the files say nothing, and without a terminal says how to answer', async () => {
      app(tree, 'api', { 'README.md': '# api\n' });
      await expect(run(tree, { project: 'api' })).rejects.toThrow(
        "Cannot tell which client 'api' needs from its files; give --language python (psycopg2), asyncpg or node (pg).",
      );
    });

    it('puts the file in --directory, relative to the project', async () => {
      app(tree, 'api', { 'requirements.txt': '' });
      await run(tree, { project: 'api', directory: 'server/lib' });
      expect(tree.exists('apps/api/server/lib/db.py')).toBe(true);
    });

    it('uses the environment names of the module, prefixed for a second database', async () => {
      await moduleGenerator(tree, { id: 'analytics-db', skipFormat: true });
      app(tree, 'api', { 'tsconfig.json': '{}' });
      await run(tree, { project: 'api', module: 'analytics-db' });
      const ts = tree.read('apps/api/src/db-analytics-db.ts', 'utf-8')!;
      for (const name of [
        'ANALYTICS_DB_DATABASE_URL',
        'ANALYTICS_DB_POSTGRES_HOST',
        'ANALYTICS_DB_POSTGRES_PORT',
        'ANALYTICS_DB_POSTGRES_DB',
        'ANALYTICS_DB_POSTGRES_USER',
        'ANALYTICS_DB_POSTGRES_PASSWORD',
      ])
        expect(ts).toContain(`env['${name}']`);
      expect(ts).not.toContain("env['POSTGRES_HOST']");
      expect(ts).toContain(
        "const LOCAL_HOSTS = ['localhost', '127.0.0.1', '::1', 'analytics-db'];",
      );
    });
  });

  describe('dependencies', () => {
    it('appends to requirements.txt and keeps every other byte (CRLF, no final newline)', async () => {
      app(tree, 'api', { 'requirements.txt': '# web\r\nflask==3.0\r\n-r base.txt' });
      await run(tree, { project: 'api' });
      expect(tree.read('apps/api/requirements.txt', 'utf-8')).toBe(
        '# web\r\nflask==3.0\r\n-r base.txt\r\npsycopg2-binary>=2.9\r\n',
      );
    });

    it('does not add psycopg2-binary when psycopg2 is there', async () => {
      app(tree, 'api', { 'requirements.txt': 'Psycopg2 == 2.9.9\n' });
      await run(tree, { project: 'api' });
      expect(tree.read('apps/api/requirements.txt', 'utf-8')).toBe('Psycopg2 == 2.9.9\n');
    });

    it.each([
      [
        'a one-line PEP 621 list',
        '[project]\nname = "api"\ndependencies = ["flask>=3"]  # web\n\n[tool.ruff]\nline-length = 100\n',
        '[project]\nname = "api"\ndependencies = ["flask>=3", "psycopg2-binary>=2.9"]  # web\n\n[tool.ruff]\nline-length = 100\n',
      ],
      [
        'a multi-line PEP 621 list',
        '[project]\ndependencies = [\n  "flask>=3",\n  "uvicorn"  # server\n]\n',
        '[project]\ndependencies = [\n  "flask>=3",\n  "uvicorn",  # server\n  "psycopg2-binary>=2.9",\n]\n',
      ],
      [
        'a [project] table without dependencies',
        '[project]\nname = "api"\n\n[build-system]\nrequires = ["hatchling"]\n',
        '[project]\nname = "api"\ndependencies = ["psycopg2-binary>=2.9"]\n\n[build-system]\nrequires = ["hatchling"]\n',
      ],
      [
        "Poetry's table",
        '[tool.poetry]\nname = "api"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n\n[tool.poetry.group.dev.dependencies]\npytest = "*"\n',
        '[tool.poetry]\nname = "api"\n\n[tool.poetry.dependencies]\npython = "^3.11"\npsycopg2-binary = "^2.9"\n\n[tool.poetry.group.dev.dependencies]\npytest = "*"\n',
      ],
    ])('adds to pyproject.toml: %s', async (_, before, after) => {
      app(tree, 'api', { 'pyproject.toml': before });
      await run(tree, { project: 'api', language: 'python' });
      expect(tree.read('apps/api/pyproject.toml', 'utf-8')).toBe(after);
      await run(tree, { project: 'api', language: 'python' });
      expect(tree.read('apps/api/pyproject.toml', 'utf-8')).toBe(after);
    });

    it('adds asyncpg to a Poetry table once', async () => {
      app(tree, 'api', { 'pyproject.toml': '[tool.poetry.dependencies]\npython = "^3.11"\n' });
      await run(tree, { project: 'api', language: 'asyncpg' });
      await run(tree, { project: 'api', language: 'asyncpg' });
      expect(tree.read('apps/api/pyproject.toml', 'utf-8')).toBe(
        '[tool.poetry.dependencies]\npython = "^3.11"\nasyncpg = ">=0.27"\n',
      );
    });

    it('adds pg and what the printed tsc check needs to the workspace package.json for a TypeScript app', async () => {
      app(tree, 'api', { 'tsconfig.json': '{}' });
      await run(tree, { project: 'api' });
      const pkg = readJson(tree, 'package.json');
      expect(pkg.dependencies.pg).toBe('^8.23.1');
      expect(pkg.devDependencies).toMatchObject({
        '@types/pg': '^8.23.1',
        '@types/node': '^20.19.0',
        typescript: '~5.9.3',
      });
    });

    it('a JavaScript app in a workspace: pg only, and no empty devDependencies left behind', async () => {
      tree.write('package.json', '{"name":"ws","workspaces":["apps/*"]}');
      app(tree, 'api', {
        'package.json': '{"name":"api"}',
        'src/main.js': 'module.exports = {};\n',
      });
      await run(tree, { project: 'api', language: 'node' });
      expect(readJson(tree, 'apps/api/package.json')).toEqual({
        name: 'api',
        dependencies: { pg: '^8.23.1' },
      });
    });

    it('keeps a typescript the workspace has already', async () => {
      tree.write('package.json', '{"name":"ws","devDependencies":{"typescript":"5.4.5"}}');
      app(tree, 'api', { 'tsconfig.json': '{}' });
      await run(tree, { project: 'api' });
      expect(readJson(tree, 'package.json').devDependencies.typescript).toBe('5.4.5');
    });

    it("an app's own package.json outside the workspaces: the root's gets pg too (its install is the one that runs), at the app's version", async () => {
      app(tree, 'api', { 'package.json': '{"name":"api","dependencies":{"pg":"8.11.0"}}' });
      await run(tree, { project: 'api' });
      const pkg = readJson(tree, 'apps/api/package.json');
      expect(pkg.dependencies).toEqual({ pg: '8.11.0' });
      expect(pkg.devDependencies).toBeUndefined();
      const root = readJson(tree, 'package.json');
      expect(root.dependencies.pg).toBe('8.11.0');
      expect(root.devDependencies?.['@types/pg']).toBeUndefined();
    });

    it.each([
      ['npm workspaces', { workspaces: ['apps/*'] }, null],
      ['yarn workspaces.packages', { workspaces: { packages: ['apps/**'] } }, null],
      ['pnpm-workspace.yaml', {}, "packages:\n  - 'apps/*'\n"],
    ])(
      "an app that is a member of the %s: only its own package.json, with the TypeScript check's tools",
      async (_, workspaces, pnpm) => {
        tree.write('package.json', JSON.stringify({ name: 'ws', ...workspaces }));
        if (pnpm) tree.write('pnpm-workspace.yaml', pnpm);
        app(tree, 'api', { 'package.json': '{"name":"api"}', 'tsconfig.json': '{}' });
        await run(tree, { project: 'api' });
        const own = readJson(tree, 'apps/api/package.json');
        expect(own.dependencies).toEqual({ pg: '^8.23.1' });
        expect(Object.keys(own.devDependencies).sort()).toEqual([
          '@types/node',
          '@types/pg',
          'typescript',
        ]);
        const root = readJson(tree, 'package.json');
        expect(root.dependencies).toBeUndefined();
        expect(root.devDependencies).toBeUndefined();
      },
    );

    it('an app excluded from the workspaces by a negated pattern gets its tools in the root', async () => {
      tree.write(
        'package.json',
        JSON.stringify({ name: 'ws', workspaces: ['apps/*', '!apps/api'] }),
      );
      app(tree, 'api', { 'package.json': '{"name":"api"}', 'tsconfig.json': '{}' });
      await run(tree, { project: 'api' });
      expect(readJson(tree, 'package.json').devDependencies.typescript).toBe('~5.9.3');
      expect(readJson(tree, 'apps/api/package.json').devDependencies?.typescript).toBeUndefined();
    });

    it('--skipDependency leaves the dependency files alone', async () => {
      app(tree, 'api', { 'requirements.txt': 'flask\n' });
      await run(tree, { project: 'api', skipDependency: true });
      expect(tree.read('apps/api/requirements.txt', 'utf-8')).toBe('flask\n');
    });
  });

  describe('polytope.yml', () => {
    it("adds the database's env to the app's module, in the file's own style", async () => {
      app(tree, 'api', { 'requirements.txt': '' });
      await run(tree, { project: 'api' });
      const text = tree.read('polytope.yml', 'utf-8')!;
      expect(text).toContain(`      # keep this comment
      env:
        - { name: PORT, value: pt.value api-port }
        - { name: POSTGRES_HOST, value: pt.value postgres-host }
        - { name: POSTGRES_PORT, value: pt.value postgres-port }
        - { name: POSTGRES_DB, value: pt.value postgres-database }
        - { name: POSTGRES_USER, value: pt.secret postgres-username }
        - { name: POSTGRES_PASSWORD, value: pt.secret postgres-password }
`);
      expect(polytopeFileErrors(text)).toEqual([]);
    });

    it('adds a second database with prefixed names, and --polytopeModule names the module', async () => {
      await moduleGenerator(tree, { id: 'analytics', skipFormat: true });
      app(tree, 'backend', { 'requirements.txt': '' });
      await run(tree, {
        project: 'backend',
        module: 'postgres',
        polytopeModule: 'api',
        addPlugin: false,
      });
      await run(tree, {
        project: 'backend',
        module: 'analytics',
        polytopeModule: 'api',
        addPlugin: false,
      });
      const text = tree.read('polytope.yml', 'utf-8')!;
      expect(text).toContain('        - { name: POSTGRES_HOST, value: pt.value postgres-host }\n');
      expect(text).toContain(
        '        - { name: ANALYTICS_POSTGRES_HOST, value: pt.value analytics-host }\n' +
          '        - { name: ANALYTICS_POSTGRES_PORT, value: pt.value analytics-port }\n' +
          '        - { name: ANALYTICS_POSTGRES_DB, value: pt.value analytics-database }\n' +
          '        - { name: ANALYTICS_POSTGRES_USER, value: pt.secret analytics-username }\n' +
          '        - { name: ANALYTICS_POSTGRES_PASSWORD, value: pt.secret analytics-password }\n',
      );
      expect(tree.exists('apps/backend/db.py')).toBe(true);
      expect(tree.exists('apps/backend/db_analytics.py')).toBe(true);
      const cfg = readProjectConfiguration(tree, 'backend');
      expect(cfg.implicitDependencies).toEqual(['postgres', 'analytics']);
      expect(cfg.targets?.['db-check']).toMatchObject({
        executor: '@acme/pg:db-check',
        options: { module: 'postgres' },
        configurations: { postgres: { module: 'postgres' }, analytics: { module: 'analytics' } },
      });
      expect(readJson(tree, 'apps/backend/acme-pg.json')).toEqual({
        kind: 'client',
        modules: ['postgres', 'analytics'],
      });
    });

    it('wires a tool in the tools format, creating its env list', async () => {
      tree = createTreeWithEmptyWorkspace();
      tree.write(
        'polytope.yml',
        'tools:\n  api:\n    run:\n      - tool: polytope/node\n        args:\n          image: node:20\n',
      );
      await moduleGenerator(tree, { skipFormat: true });
      app(tree, 'api', { 'package.json': '{}' });
      await run(tree, { project: 'api' });
      expect(tree.read('polytope.yml', 'utf-8')).toContain(`  api:
    run:
      - tool: polytope/node
        args:
          image: node:20
          env:
            - { name: POSTGRES_HOST, value: pt.value postgres-host }
`);
    });

    it('gives no password reference for a trust module', async () => {
      await moduleGenerator(tree, { auth: 'trust', allowTrust: true, skipFormat: true });
      app(tree, 'api', { 'requirements.txt': '' });
      await run(tree, { project: 'api' });
      const text = tree.read('polytope.yml', 'utf-8')!;
      expect(text).toContain('POSTGRES_USER, value: pt.secret postgres-username');
      expect(text).not.toContain(
        'name: POSTGRES_PASSWORD, value: pt.secret postgres-password }\n        - { name: PORT',
      );
      expect(text.match(/POSTGRES_PASSWORD/g)).toBeNull();
    });

    it('leaves polytope.yml alone when no module runs the app', async () => {
      app(tree, 'worker', { 'requirements.txt': '' });
      const before = tree.read('polytope.yml', 'utf-8');
      await run(tree, { project: 'worker' });
      expect(tree.read('polytope.yml', 'utf-8')).toBe(before);
    });
  });

  describe('running again', () => {
    it('changes nothing the second time', async () => {
      app(tree, 'api', { 'requirements.txt': 'flask\n' });
      await run(tree, { project: 'api' });
      const once = snapshot(tree);
      await run(tree, { project: 'api' });
      expect(snapshot(tree)).toBe(once);
    });

    it('keeps an edited connection file, and replaces it with --force', async () => {
      app(tree, 'api', { 'tsconfig.json': '{}' });
      await run(tree, { project: 'api' });
      const generated = tree.read('apps/api/src/db.ts', 'utf-8');
      tree.write('apps/api/src/db.ts', '// mine\n');
      await run(tree, { project: 'api' });
      expect(tree.read('apps/api/src/db.ts', 'utf-8')).toBe('// mine\n');
      await run(tree, { project: 'api', force: true });
      expect(tree.read('apps/api/src/db.ts', 'utf-8')).toBe(generated);
    });
  });
});

describe('application_name', () => {
  // Nx takes almost any project name: the literal must hold it exactly in each language.
  const name = `web'"\\上海-${'$'}{x}`;
  it.each([
    ['python', { 'requirements.txt': '' }, 'db.py'],
    ['asyncpg', { 'requirements.txt': 'asyncpg\n' }, 'db.py'],
    ['node', { 'tsconfig.json': '{}' }, 'src/db.ts'],
    ['node', { 'package.json': '{}' }, 'src/db.js'],
  ])('%s (%j): APP_NAME is the project name, quotes and all', async (language, files, path) => {
    const tree = createTreeWithEmptyWorkspace();
    await moduleGenerator(tree, { skipFormat: true });
    addProjectConfiguration(tree, name, { root: 'apps/odd', projectType: 'application' });
    for (const [f, text] of Object.entries(files)) tree.write(`apps/odd/${f}`, text);
    await run(tree, { project: name, language: language as never });
    const file = tree
      .listChanges()
      .map((c) => c.path)
      .find((f) => f.startsWith('apps/odd/') && f.endsWith(path.replace(/^src\//, '')))!;
    const text = tree.read(file, 'utf-8')!;
    if (path.endsWith('.py')) {
      const literal = /^APP_NAME = (.*)$/m.exec(text)![1];
      const r = spawnSync(
        '/usr/bin/python3',
        ['-c', 'import ast, sys; print(ast.literal_eval(sys.argv[1]), end="")', literal],
        { encoding: 'utf-8' },
      );
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(name);
    } else {
      const literal = /^const APP_NAME = (.*);$/m.exec(text)![1];
      expect(new Function(`return ${literal};`)()).toBe(name);
    }
  });
});

describe('docs/generators/client.md', () => {
  const doc = readFileSync(join(__dirname, '../../../../../docs/generators/client.md'), 'utf-8');
  const block = (heading: string) => {
    const at = doc.indexOf(`### ${heading}`);
    const start = doc.indexOf('\n', doc.indexOf('```', at)) + 1;
    return doc.slice(start, doc.indexOf('```\n<!-- prettier-ignore-end -->', start));
  };

  it.each([
    ['Python (psycopg2): `db.py`', { 'requirements.txt': '' }, 'db.py'],
    ['Python (asyncpg): `db.py`', { 'requirements.txt': 'asyncpg\n' }, 'db.py'],
    ['Node, TypeScript: `src/db.ts`', { 'tsconfig.json': '{}' }, 'src/db.ts'],
    ['Node, JavaScript (CommonJS): `src/db.js`', { 'package.json': '{}' }, 'src/db.js'],
  ])('shows the file as generated: %s', async (heading, files, path) => {
    const tree = createTreeWithEmptyWorkspace();
    await moduleGenerator(tree, { skipFormat: true });
    app(tree, 'api', files);
    await run(tree, { project: 'api' });
    expect(block(heading)).toBe(tree.read(`apps/api/${path}`, 'utf-8'));
  });
});

describe('client --role', () => {
  let tree: Tree;
  beforeEach(async () => {
    tree = createTreeWithEmptyWorkspace();
    tree.delete('.oxfmtrc.json');
    tree.write('polytope.yml', WITH_APPS);
    await moduleGenerator(tree, { skipFormat: true });
    await initScriptGenerator(tree, {
      name: 'app-user',
      kind: 'database-user',
      role: 'app_user',
      database: 'app_db',
      skipFormat: true,
    });
    app(tree, 'api', { 'requirements.txt': '' });
  });

  it("wires the app's env to the role's secrets and database, and records the role", async () => {
    await run(tree, { project: 'api', role: 'app_user' });
    const env = readJson(tree, 'apps/api/acme-pg.json');
    expect(env).toEqual({ kind: 'client', modules: ['postgres'], roles: { postgres: 'app_user' } });
    const yml = tree.read('polytope.yml', 'utf-8')!;
    const api = yml.slice(yml.indexOf('- id: api'), yml.indexOf('- id: postgres'));
    expect(api).toContain('{ name: POSTGRES_DB, value: pt.value postgres-role-app_user-database }');
    expect(api).toContain(
      '{ name: POSTGRES_USER, value: pt.secret postgres-role-app_user-username }',
    );
    expect(api).toContain(
      '{ name: POSTGRES_PASSWORD, value: pt.secret postgres-role-app_user-secret }',
    );
    expect(api).not.toContain('pt.secret postgres-username');
    expect(api).not.toContain('pt.secret postgres-password');
    expect(polytopeFileErrors(yml)).toEqual([]);
  });

  it('refuses a role no init script makes, with the command that makes it, and writes nothing', async () => {
    const before = snapshot(tree);
    await expect(run(tree, { project: 'api', role: 'reporter' })).rejects.toThrow(
      "No init script of module 'postgres' makes the role 'reporter' (its roles: app_user). Create it first: nx g @acme/pg:init-script reporter --kind database-user --role reporter",
    );
    await expect(run(tree, { project: 'api', role: 'Bad-Role' })).rejects.toThrow(
      "Invalid --role 'Bad-Role'",
    );
    expect(snapshot(tree)).toBe(before);
  });

  it("after a Python dependency, says the manager's lock and install command", async () => {
    const out: string[] = [];
    const spy = jest.spyOn(console, 'info').mockImplementation((m: string) => void out.push(m));
    try {
      app(tree, 'poet', { 'pyproject.toml': '[tool.poetry]\nname = "poet"\n' });
      await run(tree, { project: 'poet' });
      app(tree, 'uvapp', { 'pyproject.toml': '[project]\nname = "u"\n', 'uv.lock': '' });
      await run(tree, { project: 'uvapp' });
      await run(tree, { project: 'api' });
    } finally {
      spy.mockRestore();
    }
    const text = out.join('\n');
    expect(text).toContain(
      'lock and install it with: (cd apps/poet && poetry lock && poetry install)',
    );
    expect(text).toContain('lock and install it with: (cd apps/uvapp && uv lock && uv sync)');
    expect(text).toContain('lock and install it with: pip install -r apps/api/requirements.txt');
    expect(text).toContain('cd apps/poet && poetry run python db.py');
    expect(text).toContain('cd apps/uvapp && uv run python db.py');
  });
});

describe('client for an adopted module whose keys have names of their own', () => {
  const STACK = `templates:
  - id: stack
    run: [database, web]
modules:
${OWN_KEYS_MODULE}  - id: web
    module: polytope/node
    args:
      env:
        - { name: PORT, value: pt.value web-port }
`;
  let tree: Tree;
  let out: string[];
  beforeEach(async () => {
    tree = createTreeWithEmptyWorkspace();
    tree.delete('.oxfmtrc.json');
    tree.write('polytope.yml', STACK);
    await moduleGenerator(tree, { id: 'database', template: 'none', skipFormat: true });
    app(tree, 'web', { 'package.json': '{"name":"web"}', 'src/index.js': '' });
    out = [];
    for (const level of ['info', 'warn'] as const)
      jest
        .spyOn(console, level)
        .mockImplementation((...m: unknown[]) => void out.push(m.map(String).join(' ')));
  });
  afterEach(() => jest.restoreAllMocks());

  it('wires the app to the keys the server reads, and hints no generated password', async () => {
    await run(tree, { project: 'web' });
    const yml = tree.read('polytope.yml', 'utf-8')!;
    const web = yml.slice(yml.indexOf('- id: web'));
    expect(web).toContain(
      '{ name: DATABASE_POSTGRES_PASSWORD, value: pt.secret postgres_password }',
    );
    expect(web).toContain('{ name: DATABASE_POSTGRES_USER, value: pt.value postgres_user }');
    expect(web).toContain('{ name: DATABASE_POSTGRES_DB, value: pt.secret postgres_db }');
    expect(web).toContain('{ name: DATABASE_POSTGRES_HOST, value: pt.value database-host }');
    expect(web).not.toMatch(DEFAULT_KEYS);
    expect(polytopeFileErrors(yml)).toEqual([]);
    const text = out.join('\n');
    expect(text).toContain('nx run database:db-values --envFile .env.database --noPt');
    expect(text).not.toContain('--generatePassword');
    expect(text).toContain('DATABASE_POSTGRES_PASSWORD');
  });

  it('prints the same env when no module runs the app', async () => {
    app(tree, 'worker', { 'package.json': '{"name":"worker"}', 'src/index.js': '' });
    await run(tree, { project: 'worker' });
    const text = out.join('\n');
    expect(text).toContain(
      '  - { name: DATABASE_POSTGRES_PASSWORD, value: pt.secret postgres_password }',
    );
    expect(text).not.toMatch(DEFAULT_KEYS);
  });
});
