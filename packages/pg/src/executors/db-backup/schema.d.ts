import { BackupFormat } from '../../postgres/backup-files';

export interface DbBackupExecutorSchema {
  module?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  sslmode?: string;
  format?: BackupFormat;
  compress?: boolean;
  jobs?: number;
  outputDir?: string;
  schemaOnly?: boolean;
  dataOnly?: boolean;
  noOwner?: boolean;
  keep?: number;
  json?: boolean;
  pgBinDir?: string;
  timeout?: number;
}
