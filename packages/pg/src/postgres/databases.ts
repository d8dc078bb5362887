/**
 * Database-level operations a restore needs, run from a maintenance connection: whether the target
 * exists and holds anything, who is connected, a new database created like the target, and the
 * rename swap that replaces it.
 */
import { Client } from 'pg';
import { fail } from '../utils/errors';

export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export async function databaseExists(c: Client, name: string): Promise<boolean> {
  const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return r.rowCount === 1;
}

/** Tables, views, sequences and foreign tables outside the system schemas. */
export const USER_RELATIONS = `
  SELECT c.oid, c.relkind, c.relispartition, format('%I.%I', n.nspname, c.relname) AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
     AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;

export async function relationCount(c: Client): Promise<number> {
  const r = await c.query(`SELECT count(*)::int AS n FROM (${USER_RELATIONS}) r`);
  return r.rows[0].n;
}

/**
 * Tables (each partitioned table once) and their rows, for a restore's summary. Rows come from the
 * tool when it reported them; else, on PostgreSQL 15+, from the statistics of the sessions that
 * loaded them (flushed before a session leaves pg_stat_activity), which costs nothing where
 * count(*) would read every table again; else from count(*).
 */
export async function tableRows(
  c: Client,
  knownRows?: number,
): Promise<{ tables: number; rows: number }> {
  const r = await c.query(
    `SELECT name, relkind FROM (${USER_RELATIONS}) r WHERE relkind IN ('r', 'p') AND NOT relispartition`,
  );
  const tables = r.rowCount ?? 0;
  if (knownRows !== undefined) return { tables, rows: knownRows };
  const fromStats = await rowsFromStats(c);
  if (fromStats !== undefined) return { tables, rows: fromStats };
  let rows = 0;
  for (const t of r.rows) {
    // A partitioned table's count covers its partitions.
    const n = await c.query(`SELECT count(*)::bigint AS n FROM ${t.name}`);
    rows += Number(n.rows[0].n);
  }
  return { tables, rows };
}

async function rowsFromStats(c: Client): Promise<number | undefined> {
  const v = await c.query(
    "SELECT current_setting('server_version_num')::int >= 150000 AND current_setting('track_counts')::bool AS ok",
  );
  if (!v.rows[0].ok) return undefined;
  for (let i = 0; i < 50; i++) {
    const others = await c.query(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    if (others.rows[0].n === 0) {
      const r = await c.query(
        'SELECT coalesce(sum(n_tup_ins - n_tup_del), 0)::bigint AS n FROM pg_stat_user_tables',
      );
      return Number(r.rows[0].n);
    }
    await new Promise((ok) => setTimeout(ok, 20));
  }
  return undefined;
}

export async function otherConnections(
  c: Client,
  name: string,
): Promise<{ count: number; apps: string[] }> {
  const r = await c.query(
    `SELECT coalesce(nullif(application_name, ''), usename::text, 'unknown') AS app
       FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [name],
  );
  return { count: r.rowCount ?? 0, apps: [...new Set(r.rows.map((x) => String(x.app)))] };
}

/** Stops new connections to `name` and ends the open ones; waits until they are gone. */
export async function disconnectAll(c: Client, name: string): Promise<void> {
  await c.query(`ALTER DATABASE ${ident(name)} ALLOW_CONNECTIONS false`);
  await c.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [name],
  );
  for (let i = 0; i < 50; i++) {
    if ((await otherConnections(c, name)).count === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`Connections to '${name}' did not end within 5 s; nothing was changed.`);
}

export async function allowConnections(c: Client, name: string): Promise<void> {
  await c.query(`ALTER DATABASE ${ident(name)} ALLOW_CONNECTIONS true`);
}

/** Values of list settings (search_path) are stored as `a, "b c"`: one literal per element. */
function settingValue(name: string, value: string): string {
  const lists = [
    'search_path',
    'temp_tablespaces',
    'session_preload_libraries',
    'local_preload_libraries',
  ];
  if (!lists.includes(name)) return literal(value);
  const parts = value.match(/("([^"]|"")*"|[^,]+)/g) ?? [];
  return parts
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => literal(p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p))
    .join(', ');
}

/**
 * Creates `name` like `like`: owner, encoding, locale and provider, connection limit,
 * database-level grants, and its ALTER DATABASE / ALTER ROLE … IN DATABASE settings.
 */
export async function createDatabaseLike(c: Client, name: string, like: string): Promise<void> {
  const d = (
    await c.query(
      'SELECT to_jsonb(d) AS d, pg_get_userbyid(d.datdba) AS owner, pg_encoding_to_char(d.encoding) AS enc FROM pg_database d WHERE datname = $1',
      [like],
    )
  ).rows[0];
  if (!d) fail(`Database '${like}' does not exist.`);
  const row = d.d as Record<string, unknown>;
  const clauses = [
    'TEMPLATE template0',
    `OWNER ${ident(d.owner)}`,
    `ENCODING ${literal(d.enc)}`,
    `LC_COLLATE ${literal(String(row['datcollate']))}`,
    `LC_CTYPE ${literal(String(row['datctype']))}`,
  ];
  const provider = row['datlocprovider'];
  const icuLocale = (row['daticulocale'] ?? row['datlocale']) as string | null | undefined;
  if (provider === 'c') clauses.push('LOCALE_PROVIDER libc');
  if (provider === 'i')
    clauses.push('LOCALE_PROVIDER icu', `ICU_LOCALE ${literal(String(icuLocale))}`);
  if (provider === 'b')
    clauses.push('LOCALE_PROVIDER builtin', `BUILTIN_LOCALE ${literal(String(icuLocale))}`);
  if (typeof row['datconnlimit'] === 'number' && row['datconnlimit'] >= 0)
    clauses.push(`CONNECTION LIMIT ${row['datconnlimit']}`);
  await c.query(`CREATE DATABASE ${ident(name)} WITH ${clauses.join(' ')}`);

  if (row['datacl'] !== null && row['datacl'] !== undefined) {
    await c.query(`REVOKE ALL ON DATABASE ${ident(name)} FROM PUBLIC`);
    const grants = await c.query(
      `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee,
              a.privilege_type, a.is_grantable
         FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1`,
      [like],
    );
    for (const g of grants.rows) {
      await c.query(
        `GRANT ${g.privilege_type} ON DATABASE ${ident(name)} TO ${g.grantee}${g.is_grantable ? ' WITH GRANT OPTION' : ''}`,
      );
    }
  }
  const settings = await c.query(
    `SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole) END AS role, s.setconfig
       FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1`,
    [like],
  );
  for (const s of settings.rows) {
    for (const item of s.setconfig as string[]) {
      const eq = item.indexOf('=');
      const key = item.slice(0, eq);
      const value = settingValue(key, item.slice(eq + 1));
      const target = s.role
        ? `ROLE ${ident(s.role)} IN DATABASE ${ident(name)}`
        : `DATABASE ${ident(name)}`;
      await c.query(`ALTER ${target} SET ${ident(key)} = ${value}`);
    }
  }
}

/** Puts `staging` in place of `target` in one transaction, then drops the old database. */
export async function swapDatabases(
  c: Client,
  target: string,
  staging: string,
  old: string,
): Promise<{ dropped: boolean }> {
  await c.query('BEGIN');
  try {
    await c.query(`ALTER DATABASE ${ident(target)} RENAME TO ${ident(old)}`);
    await c.query(`ALTER DATABASE ${ident(staging)} RENAME TO ${ident(target)}`);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
  try {
    await c.query(`DROP DATABASE ${ident(old)}`);
    return { dropped: true };
  } catch {
    return { dropped: false };
  }
}

export async function dropDatabase(c: Client, name: string): Promise<void> {
  await c.query(`DROP DATABASE IF EXISTS ${ident(name)}`);
}

/** Every role the server has. */
export async function roleNames(c: Client): Promise<Set<string>> {
  const r = await c.query('SELECT rolname FROM pg_roles');
  return new Set(r.rows.map((x) => String(x.rolname)));
}
