/**
 * Runs executors in an executor workspace as a test would look at them: what each printed, and
 * every child process they started (arguments, and the process, to kill it mid-way).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { captureOutput, ExecutorWorkspace } from './executor-workspace';

type Executor<O> = (
  o: O,
  c: ReturnType<ExecutorWorkspace['context']>,
) => Promise<{ success: boolean }>;

export interface ExecutorRunner {
  run<O>(
    executor: Executor<O>,
    options: O,
  ): Promise<{ success: boolean; output: string; stdout: string }>;
  /** Everything the executors printed so far. */
  printed(): string;
}

export function executorRunner(ws: () => ExecutorWorkspace): ExecutorRunner {
  let printed = '';
  return {
    async run(executor, options) {
      const out = captureOutput();
      try {
        const r = await executor(options, ws().context());
        return { ...r, output: out.text(), stdout: out.stdout() };
      } finally {
        printed += `${out.text()}\n`;
        out.restore();
      }
    },
    printed: () => printed,
  };
}

/** Records every child process started from now on (until jest.restoreAllMocks). */
export function recordChildProcesses(): {
  argLists: string[][];
  children: { args: string[]; child: ChildProcess }[];
} {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const childProcess = require('node:child_process');
  const argLists: string[][] = [];
  const children: { args: string[]; child: ChildProcess }[] = [];
  for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync'] as const) {
    const original = childProcess[name];
    jest.spyOn(childProcess, name).mockImplementation((...args: unknown[]) => {
      const list = [String(args[0]), ...((Array.isArray(args[1]) ? args[1] : []) as string[])];
      argLists.push(list);
      const result = original(...args);
      if (name === 'spawn') children.push({ args: list, child: result });
      return result;
    });
  }
  return { argLists, children };
}

export function files(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Bytes written so far by a running backup into `dir` (inside its hidden partial folder). */
export function partialBytes(dir: string): number {
  const partial = files(dir).find((f) => f.endsWith('.partial'));
  const inner = partial && files(join(dir, partial))[0];
  try {
    return inner ? statSync(join(dir, partial, inner)).size : 0;
  } catch {
    return 0;
  }
}
