import {
  docsPath,
  frontEnd,
  generatorCommand,
  targetCommand,
  useFrontEnd,
  withDocsPaths,
} from './commands';

describe('commands in the form of the tool in use', () => {
  const before = process.env['ACME_PG_FRONT_END'];
  afterEach(() => {
    if (before === undefined) delete process.env['ACME_PG_FRONT_END'];
    else process.env['ACME_PG_FRONT_END'] = before;
  });

  it('Nx by default', () => {
    delete process.env['ACME_PG_FRONT_END'];
    expect(frontEnd()).toBe('nx');
    expect(targetCommand('postgres', 'db-values', '--envFile .env.postgres --noPt')).toBe(
      'nx run postgres:db-values --envFile .env.postgres --noPt',
    );
    expect(generatorCommand('init-script', 'app-user')).toBe('nx g @acme/pg:init-script app-user');
  });

  it('acme-pg: the project by name, quoted when the shell needs it', () => {
    useFrontEnd('cli');
    expect(targetCommand('@shop/api', 'db-check')).toBe('npx acme-pg db-check --project @shop/api');
    expect(targetCommand("it's", 'db-up')).toBe("npx acme-pg db-up --project 'it'\\''s'");
    expect(generatorCommand('module', 'analytics')).toBe('npx acme-pg g module analytics');
  });

  it('Turborepo: the db:* task of the package, its options after --', () => {
    useFrontEnd('turbo');
    expect(targetCommand('postgres', 'db-down')).toBe('npx turbo run db:down --filter=postgres');
    expect(targetCommand('postgres', 'db-values', '--noPt')).toBe(
      'npx turbo run db:values --filter=postgres -- --noPt',
    );
    expect(generatorCommand('seed', 'orders')).toBe('npx acme-pg g seed orders');
  });
});

describe('docs paths for the package the user has', () => {
  const before = process.env['ACME_PG_FRONT_END'];
  afterEach(() => {
    if (before === undefined) delete process.env['ACME_PG_FRONT_END'];
    else process.env['ACME_PG_FRONT_END'] = before;
  });

  it('@acme/pg under Nx, @acme/pg-core from the command line and Turborepo', () => {
    useFrontEnd('nx');
    expect(docsPath('cli.md')).toBe('node_modules/@acme/pg/docs/cli.md');
    useFrontEnd('cli');
    expect(docsPath('executors/connection.md')).toBe(
      'node_modules/@acme/pg-core/docs/executors/connection.md',
    );
    expect(
      withDocsPaths('see node_modules/@acme/pg/docs/executors/connection.md and docs/x.md'),
    ).toBe('see node_modules/@acme/pg-core/docs/executors/connection.md and docs/x.md');
    useFrontEnd('turbo');
    expect(withDocsPaths('(node_modules/@acme/pg/docs/migrations.md)')).toBe(
      '(node_modules/@acme/pg-core/docs/migrations.md)',
    );
  });
});
