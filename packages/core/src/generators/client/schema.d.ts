export type ClientLanguage = 'python' | 'asyncpg' | 'node';

export interface ClientGeneratorSchema {
  project?: string;
  /** A language or an alias (psycopg2, pg, js, ts, …), see languages.ts. */
  language?: string;
  module?: string;
  polytopeModule?: string;
  role?: string;
  directory?: string;
  force?: boolean;
  skipDependency?: boolean;
  skipFormat?: boolean;
  addPlugin?: boolean;
}
