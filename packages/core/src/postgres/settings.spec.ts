import { libpqEnv, maskedUrl, maskSecrets, resolveConnection } from './settings';

const resolve = (
  env: NodeJS.ProcessEnv,
  more: Partial<Parameters<typeof resolveConnection>[0]> = {},
) => resolveConnection({ moduleId: 'postgres', env, ...more });

describe('connection settings', () => {
  it('defaults to localhost:5432, user postgres, database = user, SSL off for localhost', () => {
    const s = resolve({});
    expect(s).toMatchObject({
      host: 'localhost',
      port: 5432,
      user: 'postgres',
      database: 'postgres',
      sslmode: 'disable',
    });
    expect(s.password).toBeUndefined();
  });

  it('takes the first source that has each setting, in the documented order', () => {
    const env = {
      DATABASE_URL: 'postgresql://url_user:url%40pw@url-host:6000/url_db',
      POSTGRES_HOST: 'pg-host',
      POSTGRES_PORT: '7000',
      POSTGRES_USER: 'pg_user',
      POSTGRES_PASSWORD: 'pg-pw',
      PGHOST: 'libpq-host',
      PGPASSWORD: 'libpq-pw',
      PGDATABASE: 'libpq_db',
    };
    const s = resolve(env, { options: { host: 'opt-host' } });
    expect(s).toMatchObject({
      host: 'opt-host',
      port: 6000,
      user: 'url_user',
      database: 'url_db',
      password: 'url@pw',
    });
    expect(s.sources).toMatchObject({
      host: '--host',
      port: 'DATABASE_URL',
      password: 'DATABASE_URL',
    });
    const noUrl = resolve({ ...env, DATABASE_URL: undefined });
    expect(noUrl).toMatchObject({
      host: 'pg-host',
      port: 7000,
      user: 'pg_user',
      database: 'libpq_db',
      password: 'pg-pw',
    });
    const libpq = resolve({ PGHOST: 'libpq-host', PGPASSWORD: 'libpq-pw', PGUSER: 'u' });
    expect(libpq).toMatchObject({ host: 'libpq-host', password: 'libpq-pw', database: 'u' });
  });

  it('the process environment wins over the env file, setting by setting (as dotenv and Nx do)', () => {
    const envFile = {
      POSTGRES_HOST: 'localhost',
      POSTGRES_PORT: '8000',
      POSTGRES_USER: 'file_user',
      POSTGRES_PASSWORD: 'file',
    };
    const s = resolve(
      { POSTGRES_PORT: '7000', PGPASSWORD: 'libpq', PGUSER: 'libpq_user' },
      { envFile, envFilePath: '.env.postgres' },
    );
    expect(s).toMatchObject({ port: 7000, password: 'file', user: 'file_user', host: 'localhost' });
    expect(s.sources).toMatchObject({
      port: 'POSTGRES_PORT',
      password: 'POSTGRES_PASSWORD in .env.postgres',
      user: 'POSTGRES_USER in .env.postgres',
    });
    const url = resolve(
      { DATABASE_URL: 'postgresql://u:p@localhost:5999/other' },
      { envFile, envFilePath: '.env.postgres' },
    );
    expect(url).toMatchObject({ port: 5999, database: 'other', user: 'u', password: 'p' });
    expect(
      resolve({}, { envFile: { ...envFile, DATABASE_URL: 'postgres://x@h:1/d' } }),
    ).toMatchObject({ host: 'h', port: 1, user: 'x' });
    expect(
      resolve({ POSTGRES_PORT: '7000' }, { envFile, options: { port: 6000 } }).sources.port,
    ).toBe('--port');
  });

  it('an app wired to a role connects as it, with its init password from the env file', () => {
    const role = { name: 'app_user', database: 'app_db', passwordVar: 'PGINIT_APP_USER_PASSWORD' };
    const envFile = {
      POSTGRES_PORT: '8000',
      POSTGRES_USER: 'postgres',
      POSTGRES_PASSWORD: 'superuser-pw',
      POSTGRES_DB: 'shop',
      PGINIT_APP_USER_PASSWORD: 'role-pw',
    };
    const s = resolve({}, { envFile, envFilePath: '.env.postgres', role });
    expect(s).toMatchObject({
      port: 8000,
      user: 'app_user',
      database: 'app_db',
      password: 'role-pw',
    });
    expect(s.sources.password).toBe('PGINIT_APP_USER_PASSWORD in .env.postgres');
    expect(s.sources.user).toContain('--role app_user');
    // The app's own environment (what its code reads) still wins.
    expect(resolve({ POSTGRES_USER: 'me' }, { envFile, role }).user).toBe('me');
  });

  it('prefixes the names for a module other than postgres', () => {
    const s = resolveConnection({
      moduleId: 'analytics-db',
      env: {
        POSTGRES_PORT: '1111',
        ANALYTICS_DB_POSTGRES_PORT: '2222',
        ANALYTICS_DB_DATABASE_URL: 'postgres://a@h/db',
      },
    });
    expect(s).toMatchObject({ port: 2222, host: 'h', user: 'a', database: 'db' });
  });

  it('SSL: off for local hosts and the service id unless an sslmode is given; allow read as prefer', () => {
    expect(resolve({}).sslmode).toBe('disable');
    expect(resolve({ PGHOST: 'db' }, { serviceId: 'db' }).sslmode).toBe('disable');
    expect(resolve({ PGHOST: '/var/run/postgresql' }).sslmode).toBe('disable');
    expect(resolve({ PGHOST: 'db.example.com' }).sslmode).toBe('prefer');
    expect(resolve({ PGHOST: 'db.example.com', PGSSLMODE: 'allow' }).sslmode).toBe('prefer');
    expect(resolve({ DATABASE_URL: 'postgres://h.example/d?sslmode=verify-full' }).sslmode).toBe(
      'verify-full',
    );
    expect(resolve({ PGHOST: 'h.example' }, { options: { sslmode: 'disable' } }).sslmode).toBe(
      'disable',
    );
    // An explicit mode wins over the local rule: the name may resolve anywhere.
    expect(resolve({ PGSSLMODE: 'require' }).sslmode).toBe('require');
    expect(
      resolve({ PGHOST: 'db' }, { serviceId: 'db', options: { sslmode: 'verify-full' } }).sslmode,
    ).toBe('verify-full');
    expect(
      resolve({ DATABASE_URL: 'postgres://localhost/d?sslmode=require' }).sources.sslmode,
    ).toBe('DATABASE_URL');
  });

  it.each([
    [{ PGPORT: 'abc' }, "Invalid port 'abc' (from PGPORT): use a number from 1 to 65535."],
    [
      { PGHOST: 'h.example', PGSSLMODE: 'on' },
      "Invalid sslmode 'on' (from PGSSLMODE): use one of disable, allow, prefer, require, verify-ca, verify-full.",
    ],
    [
      { DATABASE_URL: 'mysql://u:topsecret@h/d' },
      'DATABASE_URL must start with postgresql:// or postgres://.',
    ],
    [{ DATABASE_URL: 'postgres://u:%zz@h/d' }, 'DATABASE_URL has a malformed %-escape'],
    [{ DATABASE_URL: 'not a url topsecret' }, 'DATABASE_URL is not a valid URL'],
  ])('a bad setting is one clear error that never shows the secret: %j', (env, message) => {
    expect(() => resolve(env)).toThrow(message);
    try {
      resolve(env);
    } catch (e) {
      expect((e as Error).message).not.toContain('topsecret');
    }
  });

  it('masks the password in URLs and texts, and gives it to tools only in their environment', () => {
    const s = resolve({ POSTGRES_PASSWORD: 'p:a@ss', PGSERVICE: 'other', PGOPTIONS: '-c x=1' });
    expect(maskedUrl(s)).toBe('postgresql://postgres:****@localhost:5432/postgres');
    expect(maskSecrets('FATAL p:a@ss and p%3Aa%40ss', s)).toBe('FATAL **** and ****');
    const env = libpqEnv(s, { PATH: '/bin', PGSERVICE: 'other', PGOPTIONS: '-c x=1' }, 'other_db');
    expect(env).toMatchObject({
      PGPASSWORD: 'p:a@ss',
      PGDATABASE: 'other_db',
      PGHOST: 'localhost',
      PGOPTIONS: '-c x=1',
    });
    expect(env['PGSERVICE']).toBeUndefined();
  });
});
