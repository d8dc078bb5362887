import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { e2eTmp } from './workspace';

/**
 * As root in a private checkout, db-up keeps a workspace's data in
 * /var/lib/acme-pg/<folder>-<hash of its path>: the data of the workspaces these tests made goes
 * with them (only those folders: the hash names the exact path).
 */
export default function globalTeardown(): void {
  const shared = '/var/lib/acme-pg';
  if (!existsSync(shared) || !existsSync(e2eTmp)) return;
  for (const name of readdirSync(e2eTmp)) {
    const ws = join(e2eTmp, name);
    const key = createHash('sha256').update(ws).digest('hex').slice(0, 10);
    rmSync(join(shared, `${basename(ws)}-${key}`), { recursive: true, force: true });
  }
}
