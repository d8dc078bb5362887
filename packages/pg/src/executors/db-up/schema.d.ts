import { TargetOptions } from '../executor-target';

export interface DbUpExecutorSchema extends TargetOptions {
  dataDir?: string;
  pgBinDir?: string;
  detach?: boolean;
  reset?: boolean;
  yes?: boolean;
  createSystemUser?: boolean;
}
