import { TargetOptions } from '../executor-target';

export interface DbDownExecutorSchema extends TargetOptions {
  dataDir?: string;
  pgBinDir?: string;
}
