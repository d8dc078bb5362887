/**
 * Ctrl-C (SIGINT) and SIGTERM during a multi-step operation: instead of dying half-way, the process
 * stops the tool that runs, and the operation's own error path undoes what it made (a staging or a
 * created database).
 */
import { fail } from '../utils/errors';

export interface Interrupt {
  readonly signal?: NodeJS.Signals;
  /** Stops this tool when a signal comes (at once if one came already). */
  track(kill: () => void): void;
  /** Fails with `message` if a signal came. */
  check(message: string): void;
}

export async function interruptible<T>(body: (i: Interrupt) => Promise<T>): Promise<T> {
  let signal: NodeJS.Signals | undefined;
  const kills = new Set<() => void>();
  const on = (sig: NodeJS.Signals) => {
    signal = sig;
    for (const k of kills) k();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  try {
    return await body({
      get signal() {
        return signal;
      },
      track(kill) {
        kills.add(kill);
        if (signal) kill();
      },
      check(message) {
        if (signal) fail(`${message} (${signal}).`);
      },
    });
  } finally {
    process.removeListener('SIGINT', on);
    process.removeListener('SIGTERM', on);
  }
}
