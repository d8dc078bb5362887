import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { roleKeys } from '../postgres/role-keys';

const read = (path: string) => JSON.parse(readFileSync(join(__dirname, path), 'utf-8'));
const executors = read('../../commands.json').commands as Record<string, { schema: string }>;
const connection = read('connection-options.json');

describe('executor schemas', () => {
  it.each(Object.keys(executors))(
    '%s takes the connection options every executor shares',
    (name) => {
      const schema = read(join('../..', executors[name].schema));
      // db-values sets the values <id>-database and <id>-username: there they are not connection options.
      // db-up and db-down run the server on this machine: a host (and its sslmode) is another's.
      const own =
        name === 'db-values'
          ? ['database', 'user']
          : name === 'db-up' || name === 'db-down'
            ? ['host', 'sslmode']
            : [];
      for (const [key, value] of Object.entries(connection))
        if (!own.includes(key)) expect([key, schema.properties[key]]).toEqual([key, value]);
        else if (name !== 'db-values') expect(schema.properties).not.toHaveProperty(key);
      for (const [key, p] of Object.entries(
        schema.properties as Record<string, { description?: string }>,
      ))
        expect([key, typeof p.description]).toEqual([key, 'string']);
      expect(schema.properties).not.toHaveProperty('password');
    },
  );
});

describe('--role help', () => {
  // The keys as the code writes them, with the placeholders the help uses.
  const keys = roleKeys('<id>', '<role>');
  it.each([
    ['db-values', 'db-values/schema.json', [keys.password]],
    ['client', '../generators/client/schema.json', [keys.username, keys.password, keys.database]],
  ])('%s --role names the keys the code writes', (_, path, names) => {
    const text: string = read(path).properties.role.description;
    for (const name of names) expect(text).toContain(name);
    expect(text).not.toMatch(/<id>-<role>-/);
  });
});

describe('every option in --help is in the docs', () => {
  const catalogue = read('../../commands.json') as Record<
    'commands' | 'generators',
    Record<string, { schema: string; hidden?: boolean }>
  >;
  const docs = join(__dirname, '../../../../docs');
  // db-down shares db-up's page; the sync generator is Nx's, run by `nx sync`, with no page.
  const page = (kind: string, name: string) =>
    name === 'db-down'
      ? 'executors/db-up.md'
      : `${kind === 'commands' ? 'executors' : 'generators'}/${name}.md`;
  const cases = (['commands', 'generators'] as const).flatMap((kind) =>
    Object.entries(catalogue[kind])
      .filter(([name]) => name !== 'init-bundle-sync')
      .map(([name, c]) => [name, page(kind, name), c.schema] as const),
  );
  it.each(cases)('%s: every option is in docs/%s', (_, doc, schema) => {
    const text = readFileSync(join(docs, doc), 'utf-8');
    const options = Object.keys(read(join('../..', schema)).properties);
    expect(options.filter((o) => !text.includes(`\`--${o}`) && !text.includes(`\`${o}\``))).toEqual(
      [],
    );
  });
});
