/**
 * What a db-restore or db-reset leaves when it is cut off (killed, or its machine lost) before its
 * end: the copy it was loading (`<db>_restore_…`, `<db>_reset_…`), the database it replaced and had
 * not backed up yet (`<db>_replaced_…`), and the target still closed for the swap. Found before the
 * next run changes anything, and said with the way back; nothing is dropped or reopened on a guess.
 */
import type { Client } from 'pg';
import { derivedDatabaseName } from './backup-files';
import { ident } from './databases';
import { shellQuote } from '../utils/shell-quote';

export interface LeftBehind {
  /** Copies being loaded when the run stopped; the target kept its data. */
  copies: string[];
  /** Databases a swap replaced, holding the target's data from before it. */
  replaced: string[];
  /** The target refuses connections. */
  closed: boolean;
}

const SUFFIX = /_(restore|reset|replaced)_[0-9a-f]{8}$/;

export async function leftBehind(admin: Client, db: string): Promise<LeftBehind> {
  // A copy with sessions belongs to a run going on now (or to a loader that outlived its run).
  const r = await admin.query<{ datname: string; datallowconn: boolean; busy: boolean }>(
    `SELECT datname, datallowconn,
            EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname) AS busy
       FROM pg_database d`,
  );
  const out: LeftBehind = { copies: [], replaced: [], closed: false };
  for (const { datname, datallowconn, busy } of r.rows) {
    if (datname === db) out.closed = !datallowconn;
    if (busy) continue;
    const m = SUFFIX.exec(datname);
    // Named as our runs name them for `db` (cut to 63 bytes, the suffix kept), not merely alike.
    if (!m || datname === db || derivedDatabaseName(db, m[0]) !== datname) continue;
    (m[1] === 'replaced' ? out.replaced : out.copies).push(datname);
  }
  out.copies.sort();
  out.replaced.sort();
  return out;
}

/**
 * One message, or undefined when nothing is left. `refuse` is set when the target is closed: a new
 * run would keep it closed (it restores the state it finds), so the user opens it first.
 */
export function leftBehindMessage(
  db: string,
  l: LeftBehind,
): { text: string; refuse: boolean } | undefined {
  if (!l.copies.length && !l.replaced.length) return undefined;
  const parts = [
    `A db-restore or db-reset of '${db}' stopped before its end (killed, or its machine lost).`,
  ];
  if (l.replaced.length) {
    const one = l.replaced.length === 1;
    const x = l.replaced[0];
    parts.push(
      `${quoted(l.replaced)} ${one ? 'holds' : 'hold'} what '${db}' held before it was replaced, with no safety backup yet: keep ${one ? 'it' : 'each'} until backed up (ALTER DATABASE ${ident(x)} ALLOW_CONNECTIONS true, then db-backup --database ${shellQuote(x)}); drop ${one ? 'it' : 'each'} after (DROP DATABASE ${ident(x)}), or put ${one ? 'it' : 'one'} back in place of '${db}' (${putBackSql(db, x, asideName(db, x))}).`,
    );
  }
  if (l.copies.length)
    parts.push(
      `${quoted(l.copies)} ${l.copies.length === 1 ? 'is a copy' : 'are copies'} it was loading, not '${db}': drop ${l.copies.length === 1 ? 'it' : 'them'} (DROP DATABASE ${ident(l.copies[0])}).`,
    );
  if (l.closed)
    parts.push(
      `'${db}' still refuses connections, as the run left it: open it (ALTER DATABASE ${ident(db)} ALLOW_CONNECTIONS true) and run again. Nothing was changed.`,
    );
  return { text: parts.join(' '), refuse: l.closed };
}

/** Where `db` goes when `replaced` is put back: named for the same run. */
export function asideName(db: string, replaced: string): string {
  return derivedDatabaseName(db, `_newer_${replaced.slice(-8)}`);
}

function quoted(names: string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

/**
 * The SQL that puts a replaced database back in place of `db` (a superuser runs it, with no session
 * in either): `db` as it is now goes aside as `aside`.
 */
export function putBackSql(db: string, replaced: string, aside: string, open = true): string {
  return [
    `ALTER DATABASE ${ident(db)} RENAME TO ${ident(aside)};`,
    `ALTER DATABASE ${ident(replaced)} RENAME TO ${ident(db)};`,
    ...(open ? [`ALTER DATABASE ${ident(db)} ALLOW_CONNECTIONS true;`] : []),
  ].join(' ');
}
