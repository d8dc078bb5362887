/**
 * An error meant for the person at the keyboard: its message is one line that says what is wrong
 * and how to fix it. Generators let it propagate (Nx prints the message); executors turn it into
 * `{ success: false }` after printing it, never a stack trace.
 */
export class PgPluginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgPluginError';
  }
}

export function fail(message: string): never {
  throw new PgPluginError(message);
}
