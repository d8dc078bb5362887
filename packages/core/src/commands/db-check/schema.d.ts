import { TargetOptions } from '../executor-target';
export interface DbCheckExecutorSchema extends TargetOptions {
  wait?: number;
  stats?: boolean;
  json?: boolean;
  outputFile?: string;
}
