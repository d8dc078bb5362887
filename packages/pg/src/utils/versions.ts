/** Versions of the client libraries that generated code is written and tested against. */
export const PG_VERSION = '^8.23.1';
export const TYPES_PG_VERSION = '^8.23.1';

export const PSYCOPG2 = {
  name: 'psycopg2-binary',
  specifier: '>=2.9',
  poetry: '^2.9',
  alternatives: ['psycopg2'],
};
export const ASYNCPG = { name: 'asyncpg', specifier: '>=0.27', poetry: '>=0.27', alternatives: [] };
