/**
 * connect() against a real server: the one way every executor reaches PostgreSQL. Loading
 * node-postgres borrows a `navigator` global for a moment (see loadPg); it must not outlive the load.
 */
import { startPostgres, TestServer } from '../../test-utils/real-postgres';
import { withClient } from './connect';
import { resolveConnection } from './settings';

let server: TestServer;
beforeAll(async () => {
  server = await startPostgres({ password: 'c0nnect:pw' });
});
afterAll(() => server?.stop());

test('connects, and leaves the global navigator as Node has it', async () => {
  const before = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  const s = resolveConnection({ moduleId: 'postgres', env: { DATABASE_URL: server.url } });
  const version = await withClient(s, { timeoutSeconds: 5 }, async (c) => {
    const r = await c.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version']);
    return r.rows[0].v;
  });
  expect(version).toMatch(/^\d+\.\d+/);
  expect(Object.getOwnPropertyDescriptor(globalThis, 'navigator')).toEqual(before);
});
