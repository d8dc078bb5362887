import { TargetOptions } from '../executor-target';
export interface DbPsqlExecutorSchema extends TargetOptions {
  /** Arguments after `--`, passed to psql. */
  args?: string[];
  pgBinDir?: string;
}
