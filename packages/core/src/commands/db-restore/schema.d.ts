import { TargetOptions } from '../executor-target';
export interface DbRestoreExecutorSchema extends TargetOptions {
  file?: string;
  outputDir?: string;
  list?: boolean;
  clean?: boolean;
  force?: boolean;
  append?: boolean;
  createDatabase?: boolean;
  noOwner?: boolean;
  jobs?: number;
  json?: boolean;
  outputFile?: string;
  pgBinDir?: string;
}
