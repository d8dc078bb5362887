export type ClientLanguage = 'python' | 'asyncpg' | 'node';

export interface ClientGeneratorSchema {
  project: string;
  language?: ClientLanguage;
  module?: string;
  polytopeModule?: string;
  role?: string;
  directory?: string;
  force?: boolean;
  skipDependency?: boolean;
  skipFormat?: boolean;
  addPlugin?: boolean;
}
