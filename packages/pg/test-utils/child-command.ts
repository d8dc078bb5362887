/**
 * Runs a command of @acme/pg-core (the executor Nx forks, the command `acme-pg` runs) in a node
 * process of its own process group, as a terminal's foreground job, for tests of signals and of
 * what a real process prints (a crash's stack trace, which jest would catch in-process).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..', '..');

export interface ChildCommand {
  pid: number;
  done: Promise<{ code: number | null; output: string }>;
  /** Whether it has ended. */
  ended(): boolean;
  /** Everything it printed so far. */
  output(): string;
}

export function runCommandInChild(
  command: string,
  options: object,
  context: object,
  env: NodeJS.ProcessEnv = process.env,
): ChildCommand {
  const script = `
    const run = require(${JSON.stringify(join(REPO, 'packages/core/src/commands', command))}).default;
    const ctx = JSON.parse(process.env.ACME_TEST_CONTEXT);
    // What Nx's task process (nx/dist/src/tasks-runner/fork.js) does on Ctrl-C.
    process.on('SIGINT', () => process.exit(130));
    run(${JSON.stringify(options)}, ctx).then((r) => process.exit(r.success ? 0 : 1));`;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...env,
      TS_NODE_PROJECT: join(REPO, 'packages/core/tsconfig.spec.json'),
      ACME_TEST_CONTEXT: JSON.stringify(context),
    },
  });
  let output = '';
  let ended = false;
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<{ code: number | null; output: string }>((res) =>
    child.once('close', (code) => {
      ended = true;
      res({ code, output });
    }),
  );
  return { pid: child.pid!, done, ended: () => ended, output: () => output };
}
