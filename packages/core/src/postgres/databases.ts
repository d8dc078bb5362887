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
 * Every user object, by kind: what initdb made has OIDs below 16384 (FirstNormalObjectId), so
 * anything at or above it in these catalogs was created since (temporary schemas excepted). This is
 * what "empty" means before a database is replaced without a safety backup.
 */
const USER_OBJECTS: [string, string, string][] = [
  [
    'schema',
    'schemas',
    "SELECT count(*) FROM pg_namespace WHERE oid >= 16384 AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'",
  ],
  [
    'table, view or sequence',
    'tables, views or sequences',
    `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid >= 16384 AND c.relkind NOT IN ('i', 'I', 't') AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast%'`,
  ],
  ['function', 'functions', 'SELECT count(*) FROM pg_proc WHERE oid >= 16384'],
  [
    'type',
    'types',
    `SELECT count(*) FROM pg_type t WHERE t.oid >= 16384 AND t.typrelid = 0 AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)`,
  ],
  ['large object', 'large objects', 'SELECT count(*) FROM pg_largeobject_metadata'],
  ['extension', 'extensions', "SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'"],
  [
    'other object',
    'other objects',
    `SELECT (SELECT count(*) FROM pg_operator WHERE oid >= 16384) + (SELECT count(*) FROM pg_collation WHERE oid >= 16384)
          + (SELECT count(*) FROM pg_ts_config WHERE oid >= 16384) + (SELECT count(*) FROM pg_ts_dict WHERE oid >= 16384)
          + (SELECT count(*) FROM pg_foreign_data_wrapper WHERE oid >= 16384) + (SELECT count(*) FROM pg_foreign_server WHERE oid >= 16384)
          + (SELECT count(*) FROM pg_event_trigger) + (SELECT count(*) FROM pg_publication) + (SELECT count(*) FROM pg_cast WHERE oid >= 16384)
          + (SELECT count(*) FROM pg_language WHERE oid >= 16384) + (SELECT count(*) FROM pg_conversion WHERE oid >= 16384)`,
  ],
];

/** The user objects of the connected database, e.g. "2 tables, views or sequences, 1 large object"; empty when none. */
export async function userObjects(c: Client): Promise<{ count: number; summary: string }> {
  const r = await c.query(
    `SELECT ${USER_OBJECTS.map(([, , q], i) => `(${q})::int AS k${i}`).join(', ')}`,
  );
  const counts = USER_OBJECTS.map(
    ([one, more], i) => [one, more, r.rows[0][`k${i}`] as number] as const,
  );
  return {
    count: counts.reduce((n, [, , k]) => n + k, 0),
    summary: counts
      .filter(([, , k]) => k > 0)
      .map(([one, more, k]) => `${k} ${k === 1 ? one : more}`)
      .join(', '),
  };
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

/** Sessions that share an application_name, user and client address. */
export interface SessionGroup {
  /** application_name; '' when the client set none. */
  application: string;
  user: string;
  /** The client's address; '' for a Unix socket (or a background worker). */
  client: string;
  count: number;
}

/** Other sessions in `name`, by who opened them (most first): the app that holds a database open. */
export async function otherConnections(
  c: Client,
  name: string,
): Promise<{ count: number; groups: SessionGroup[] }> {
  const r = await c.query(
    `SELECT coalesce(application_name, '') AS application, coalesce(usename::text, '') AS "user",
            coalesce(host(client_addr), '') AS client, count(*)::int AS count
       FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()
      GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3`,
    [name],
  );
  const groups = r.rows as SessionGroup[];
  return { count: groups.reduce((n, g) => n + g.count, 0), groups };
}

/** `orders (user app, from 10.0.0.7) ×2; psql (user postgres, local socket)`. */
export function describeSessions(groups: SessionGroup[]): string {
  return groups
    .map((g) => {
      const app = g.application ? `'${g.application}'` : 'no application_name';
      const from = g.client ? `from ${g.client}` : 'local socket';
      return `${app} (user ${g.user || 'unknown'}, ${from})${g.count > 1 ? ` ×${g.count}` : ''}`;
    })
    .join('; ');
}

/** The refusal when sessions hold `name` open: who they are, and how to go on. */
export function openSessionsMessage(name: string, open: { count: number; groups: SessionGroup[] }) {
  return `${open.count} open connection(s) to '${name}' stop it being replaced: ${describeSessions(open.groups)}. Close them (stop those apps), or add --force to end them. Nothing was changed.`;
}

/** Waits (up to 5 s) until no other session is in `name`: a tool's backend can outlive the tool a moment. */
export async function waitForNoConnections(c: Client, name: string): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if ((await otherConnections(c, name)).count === 0) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

/**
 * Closes `name` to everyone: no new connection, and no session left (they are ended with `force`,
 * else it is refused). Returns how to open it again exactly as it was.
 */
export async function lockDatabase(
  c: Client,
  name: string,
  force: boolean,
): Promise<{ unlock(): Promise<void>; allowed: boolean }> {
  const r = await c.query('SELECT datallowconn FROM pg_database WHERE datname = $1', [name]);
  const allowed = r.rows[0]?.datallowconn !== false;
  await c.query(`ALTER DATABASE ${ident(name)} ALLOW_CONNECTIONS false`);
  const unlock = async () => {
    if (allowed) await c.query(`ALTER DATABASE ${ident(name)} ALLOW_CONNECTIONS true`);
  };
  try {
    const open = await otherConnections(c, name);
    if (open.count > 0 && !force) fail(openSessionsMessage(name, open));
    if (open.count > 0)
      await c.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
    if (!(await waitForNoConnections(c, name)))
      fail(`Connections to '${name}' did not end within 5 s; nothing was changed.`);
  } catch (e) {
    await unlock().catch(() => undefined);
    throw e;
  }
  return { unlock, allowed };
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
 * Creates `name` like `like`: owner, encoding, locale and provider, tablespace, connection limit,
 * comment, database-level grants, and its ALTER DATABASE / ALTER ROLE … IN DATABASE settings. The
 * template flag and ALLOW_CONNECTIONS are returned, for whoever gives `name` the place of `like`.
 */
export async function createDatabaseLike(
  c: Client,
  name: string,
  like: string,
): Promise<{ isTemplate: boolean }> {
  const d = (
    await c.query(
      `SELECT to_jsonb(d) AS d, pg_get_userbyid(d.datdba) AS owner, pg_encoding_to_char(d.encoding) AS enc,
              t.spcname, shobj_description(d.oid, 'pg_database') AS comment
         FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE datname = $1`,
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
  if (d.spcname !== 'pg_default') clauses.push(`TABLESPACE ${ident(d.spcname)}`);
  await c.query(`CREATE DATABASE ${ident(name)} WITH ${clauses.join(' ')}`);
  if (d.comment !== null)
    await c.query(`COMMENT ON DATABASE ${ident(name)} IS ${literal(d.comment)}`);

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
  return { isTemplate: row['datistemplate'] === true };
}

/**
 * Puts `staging` in place of `target` in one transaction, with the target's template flag and
 * connection setting; the old database stays as `old`, closed and no longer a template (so it can
 * be dumped and dropped).
 */
export async function swapDatabases(
  c: Client,
  names: { target: string; staging: string; old: string },
  flags: { isTemplate: boolean; allowConnections: boolean },
): Promise<void> {
  const { target, staging, old } = names;
  await waitForNoConnections(c, staging);
  await c.query('BEGIN');
  try {
    await c.query(`ALTER DATABASE ${ident(target)} RENAME TO ${ident(old)}`);
    await c.query(`ALTER DATABASE ${ident(staging)} RENAME TO ${ident(target)}`);
    if (flags.isTemplate) {
      await c.query(`ALTER DATABASE ${ident(old)} IS_TEMPLATE false`);
      await c.query(`ALTER DATABASE ${ident(target)} IS_TEMPLATE true`);
    }
    if (!flags.allowConnections)
      await c.query(`ALTER DATABASE ${ident(target)} ALLOW_CONNECTIONS false`);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/**
 * Drops a database this tool made (a staging or replaced copy): a loader's backend that outlives its
 * tool (after Ctrl-C, say) must not leave it behind, so sessions still in it are ended.
 */
export async function dropDatabase(c: Client, name: string): Promise<void> {
  const v = await c.query("SELECT current_setting('server_version_num')::int >= 130000 AS force");
  if (v.rows[0].force) {
    await c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
    return;
  }
  await waitForNoConnections(c, name);
  await c.query(`DROP DATABASE IF EXISTS ${ident(name)}`);
}

/** Every role the server has. */
export async function roleNames(c: Client): Promise<Set<string>> {
  const r = await c.query('SELECT rolname FROM pg_roles');
  return new Set(r.rows.map((x) => String(x.rolname)));
}

/** Of these tables (qualified names as a backup writes them), those that have a row. */
export async function tablesWithRows(c: Client, tables: string[]): Promise<string[]> {
  const full: string[] = [];
  for (const t of tables) {
    const r = await c.query('SELECT to_regclass($1)::text AS name', [t]);
    const name = r.rows[0]?.name;
    if (!name) continue;
    const rows = await c.query(`SELECT EXISTS (SELECT 1 FROM ONLY ${name}) AS full`);
    if (rows.rows[0].full) full.push(name);
  }
  return full;
}
