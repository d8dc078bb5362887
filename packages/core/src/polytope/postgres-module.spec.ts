import fc from 'fast-check';
import { defaultServiceId, moduleKeys, roleSecretKey, valueKeys } from './postgres-module';

const id = fc.stringMatching(/^[a-z0-9_-]{1,20}$/);
const role = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/);
const allKeys = (m: string) => {
  const k = valueKeys(m);
  return [...Object.values(k.values), ...Object.values(k.secrets)];
};

describe('keys that cannot collide', () => {
  it('a role secret is never a key of any module', () => {
    fc.assert(
      fc.property(id, role, id, (m, r, other) => {
        expect(allKeys(other)).not.toContain(roleSecretKey(m, r));
      }),
      { numRuns: 500 },
    );
    // The reported collision: role analytics of postgres, and the module postgres-analytics.
    expect(allKeys('postgres-analytics')).not.toContain(roleSecretKey('postgres', 'analytics'));
  });

  it('two roles (of any modules) never share a secret', () => {
    fc.assert(
      fc.property(id, role, id, role, (m1, r1, m2, r2) => {
        fc.pre(m1 !== m2 || r1 !== r2);
        expect(roleSecretKey(m1, r1)).not.toBe(roleSecretKey(m2, r2));
      }),
      { numRuns: 500 },
    );
  });

  it('the default service id is a host name', () => {
    fc.assert(
      fc.property(id, (m) => {
        expect(defaultServiceId(m)).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
      }),
      { numRuns: 500 },
    );
  });
});

describe('moduleKeys', () => {
  it('names the keys the module references, of any name and kind, else the blueprint’s', () => {
    const env = [
      { name: 'POSTGRES_PASSWORD', value: 'pt.secret postgres_password' },
      { name: 'POSTGRES_USER', value: ' pt.value postgres_user ' },
      { name: 'POSTGRES_DB', value: 'shop' },
    ];
    expect(moduleKeys('database', env)).toEqual({
      host: { kind: 'value', key: 'database-host' },
      port: { kind: 'value', key: 'database-port' },
      database: { kind: 'value', key: 'database-database' },
      username: { kind: 'value', key: 'postgres_user' },
      password: { kind: 'secret', key: 'postgres_password' },
    });
    expect(moduleKeys('database').password).toEqual({ kind: 'secret', key: 'database-password' });
  });
});
