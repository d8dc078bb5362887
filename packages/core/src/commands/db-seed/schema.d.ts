import { TargetOptions } from '../executor-target';
export interface DbSeedExecutorSchema extends TargetOptions {
  json?: boolean;
  pgBinDir?: string;
  outputFile?: string;
}
