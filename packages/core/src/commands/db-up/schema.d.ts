import { TargetOptions } from '../executor-target';

export interface DbUpExecutorSchema extends TargetOptions {
  dataDir?: string;
  pgBinDir?: string;
  /** Accepted for compatibility: detached is the default. */
  detach?: boolean;
  foreground?: boolean;
  reset?: boolean;
  yes?: boolean;
  createSystemUser?: boolean;
}
