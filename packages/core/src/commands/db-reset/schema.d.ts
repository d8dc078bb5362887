import { TargetOptions } from '../executor-target';
export interface DbResetExecutorSchema extends TargetOptions {
  yes?: boolean;
  force?: boolean;
  skipSeed?: boolean;
  noBackup?: boolean;
  outputDir?: string;
  json?: boolean;
  pgBinDir?: string;
  outputFile?: string;
}
