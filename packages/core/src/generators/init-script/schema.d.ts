export interface InitScriptGeneratorSchema {
  name?: string;
  module?: string;
  kind?: 'empty' | 'database-user' | 'schema';
  role?: string;
  database?: string;
  schema?: string;
  skipFormat?: boolean;
}
