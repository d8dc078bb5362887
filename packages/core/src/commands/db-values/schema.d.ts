import { TargetOptions } from '../executor-target';

export interface DbValuesExecutorSchema extends TargetOptions {
  /** The value <id>-database (not a connection override here). */
  database?: string;
  user?: string;
  generatePassword?: boolean;
  showPassword?: boolean;
  overwrite?: boolean;
  rotatePassword?: boolean;
  /** With rotatePassword: the init-script role whose password changes. */
  role?: string;
  dryRun?: boolean;
  envFile?: string;
  noPt?: boolean;
  exposedPort?: number;
}
