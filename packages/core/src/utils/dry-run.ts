/**
 * Whether the generator runs under `nx g --dry-run`. Nx passes generators no dry-run option: its
 * `generate` command sets NX_DRY_RUN=true instead (and honours it when already set).
 */
export function isDryRun(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['NX_DRY_RUN'] === 'true';
}

/** What a generator reports: `done` after a real run, `would` (the conditional) in a dry run. */
export function tense(done: string, would: string): string {
  return isDryRun() ? would : done;
}
