export interface DbRestoreExecutorSchema {
  module?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  sslmode?: string;
  file?: string;
  outputDir?: string;
  clean?: boolean;
  force?: boolean;
  createDatabase?: boolean;
  noOwner?: boolean;
  jobs?: number;
  json?: boolean;
  pgBinDir?: string;
  timeout?: number;
}
