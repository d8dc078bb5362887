// Apart from pt-cli.ts, so that printing a command does not load node:child_process.
/** A word as a POSIX shell reads it back: as it is when safe, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
