/**
 * One db-up at a time per data folder: two `nx serve` started together must not both run initdb
 * (the loser's clean-up would empty the winner's new cluster) or both start the server. The lock
 * is a file holding its owner's pid; one whose owner is gone is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../utils/errors';

export const LOCK_FILE = '.acme-pg-db-up.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withDataLock<T>(
  base: string,
  shown: string,
  body: () => Promise<T>,
  waitMs = 120_000,
): Promise<T> {
  const path = join(base, LOCK_FILE);
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(path, 'utf-8'));
    } catch {
      continue; // released meanwhile
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > until)
      fail(
        `Another db-up (pid ${owner}) is still starting the server in ${shown}; wait for it, or stop it.`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    return await body();
  } finally {
    rmSync(path, { force: true });
  }
}
