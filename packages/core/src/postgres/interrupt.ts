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
  // Ctrl-C at a terminal reaches us and, through a host (Nx's task process), may also come as its
  // SIGTERM: the user's Ctrl-C is what is reported.
  const restore = takeSignals((sig) => {
    if (!signal || sig === 'SIGINT') signal = sig;
    for (const k of kills) k();
  });
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
    restore();
  }
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Handles SIGINT, SIGTERM and SIGHUP alone until the returned function is called: the host's own
 * handlers (Nx's task process exits on SIGINT) are set aside, so the process is not ended before
 * it has undone what it made; they are put back afterwards.
 */
export function takeSignals(on: (sig: NodeJS.Signals) => void): () => void {
  const saved = SIGNALS.map((sig) => {
    const listeners = process.listeners(sig) as ((s: NodeJS.Signals) => void)[];
    process.removeAllListeners(sig);
    process.on(sig, on);
    return { sig, listeners };
  });
  return () => {
    for (const { sig, listeners } of saved) {
      process.removeListener(sig, on);
      for (const l of listeners) process.on(sig, l);
    }
  };
}

/**
 * Runs a step that must finish (the safety backup that is the only way back) out of the reach of
 * Ctrl-C; the signals that came are returned. The tools it runs must be in their own process
 * group (`detached`), which a terminal's Ctrl-C does not reach.
 */
export async function shielded<T>(
  body: () => Promise<T>,
): Promise<{ value: T; signals: NodeJS.Signals[] }> {
  const signals: NodeJS.Signals[] = [];
  const restore = takeSignals((sig) => signals.push(sig));
  try {
    return { value: await body(), signals };
  } finally {
    restore();
  }
}
