/** userObjects against a real server: what db-restore and db-reset say a database holds. */
import { startPostgres, TestServer } from '../../test-utils/real-postgres';
import { withClient } from './connect';
import { userObjects } from './databases';
import { resolveConnection } from './settings';

let server: TestServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

const settings = () =>
  resolveConnection({ moduleId: 'postgres', env: { DATABASE_URL: server.url } });

test('one of a kind is said in the singular, more in the plural', async () => {
  const summary = await withClient(settings(), { timeoutSeconds: 5 }, async (c) => {
    await c.query('CREATE SCHEMA shop; CREATE TABLE shop.orders (id int)');
    const one = (await userObjects(c)).summary;
    await c.query(
      'CREATE SCHEMA other; CREATE TABLE shop.items (id int); CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
    );
    const more = (await userObjects(c)).summary;
    await c.query('DROP SCHEMA shop CASCADE; DROP SCHEMA other; DROP FUNCTION f()');
    return { one, more };
  });
  expect(summary.one).toBe('1 schema, 1 table, view or sequence');
  expect(summary.more).toBe('2 schemas, 2 tables, views or sequences, 1 function');
});
