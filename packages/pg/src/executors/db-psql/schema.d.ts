export interface DbPsqlExecutorSchema {
  module?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  sslmode?: string;
  /** Arguments after `--`, passed to psql. */
  args?: string[];
  pgBinDir?: string;
  timeout?: number;
}
