import { TargetOptions } from '../executor-target';
export interface DbRestoreExecutorSchema extends TargetOptions {
  file?: string;
  outputDir?: string;
  clean?: boolean;
  force?: boolean;
  createDatabase?: boolean;
  noOwner?: boolean;
  jobs?: number;
  json?: boolean;
  pgBinDir?: string;
}
