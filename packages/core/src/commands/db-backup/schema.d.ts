import { TargetOptions } from '../executor-target';
import { BackupFormat } from '../../postgres/backup-files';

export interface DbBackupExecutorSchema extends TargetOptions {
  format?: BackupFormat;
  compress?: boolean;
  jobs?: number;
  outputDir?: string;
  schemaOnly?: boolean;
  dataOnly?: boolean;
  noOwner?: boolean;
  keep?: number;
  json?: boolean;
  outputFile?: string;
  pgBinDir?: string;
}
