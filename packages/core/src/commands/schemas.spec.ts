import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const read = (path: string) => JSON.parse(readFileSync(join(__dirname, path), 'utf-8'));
const executors = read('../../commands.json').commands as Record<string, { schema: string }>;
const connection = read('connection-options.json');

describe('executor schemas', () => {
  it.each(Object.keys(executors))(
    '%s takes the connection options every executor shares',
    (name) => {
      const schema = read(join('../..', executors[name].schema));
      // db-values sets the values <id>-database and <id>-username: there they are not connection options.
      const own = name === 'db-values' ? ['database', 'user'] : [];
      for (const [key, value] of Object.entries(connection))
        if (!own.includes(key)) expect([key, schema.properties[key]]).toEqual([key, value]);
      for (const [key, p] of Object.entries(
        schema.properties as Record<string, { description?: string }>,
      ))
        expect([key, typeof p.description]).toEqual([key, 'string']);
      expect(schema.properties).not.toHaveProperty('password');
    },
  );
});
