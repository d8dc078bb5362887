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

const SHIELDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs a step that must finish (the safety backup that is the only way back) out of the reach of
 * Ctrl-C: every other handler of these signals is set aside until it ends, so a host that exits on
 * Ctrl-C (Nx's task process does) cannot end the process half-way. The signals that came are
 * returned; the tools the step runs must be in their own process group (`detached`).
 */
export async function shielded<T>(
  body: () => Promise<T>,
): Promise<{ value: T; signals: NodeJS.Signals[] }> {
  const signals: NodeJS.Signals[] = [];
  const saved = SHIELDED.map((sig) => {
    const listeners = process.listeners(sig) as ((s: NodeJS.Signals) => void)[];
    process.removeAllListeners(sig);
    const hold = () => signals.push(sig);
    process.on(sig, hold);
    return { sig, listeners, hold };
  });
  try {
    return { value: await body(), signals };
  } finally {
    for (const { sig, listeners, hold } of saved) {
      process.removeListener(sig, hold);
      for (const l of listeners) process.on(sig, l);
    }
  }
}
