import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, withDataLock } from './data-lock';

describe('withDataLock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'acme-pg-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs one body at a time, and releases the lock after each, also on failure', async () => {
    const order: string[] = [];
    const body = (name: string) => async () => {
      order.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 50));
      order.push(`${name} out`);
    };
    await Promise.all([withDataLock(dir, 'd', body('a')), withDataLock(dir, 'd', body('b'))]);
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);
    await expect(
      withDataLock(dir, 'd', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('takes over a lock whose owner is gone (a db-up killed with SIGKILL)', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf-8',
    });
    writeFileSync(join(dir, LOCK_FILE), gone.stdout);
    expect(await withDataLock(dir, 'd', async () => 'ran')).toBe('ran');
  });

  it('gives up on a live owner after the wait, naming it', async () => {
    writeFileSync(join(dir, LOCK_FILE), String(process.ppid));
    await expect(withDataLock(dir, 'tmp/pg/x', async () => 'ran', 300)).rejects.toThrow(
      `Another db-up (pid ${process.ppid}) is still starting the server in tmp/pg/x; wait for it, or stop it.`,
    );
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });
});
