import { TargetOptions } from '../executor-target';
export interface DbMigrateExecutorSchema extends TargetOptions {
  status?: boolean;
  rollback?: boolean;
  dryRun?: boolean;
  baseline?: string;
  dumpSchema?: boolean;
  noBackup?: boolean;
  outputDir?: string;
  json?: boolean;
  pgBinDir?: string;
  outputFile?: string;
}
