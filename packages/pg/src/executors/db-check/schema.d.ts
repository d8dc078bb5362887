export interface DbCheckExecutorSchema {
  module?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  sslmode?: string;
  timeout?: number;
  wait?: number;
  stats?: boolean;
  json?: boolean;
}
