/**
 * A database with the kinds of content that break naive backups, and a fingerprint of it: each
 * table's ordered content hash, owners, a sequence's position, a view, a function and an index.
 */
import { Client } from 'pg';

export const RICH_SQL = `
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_owner') THEN CREATE ROLE app_owner; END IF;
END $$;
CREATE TABLE kinds (
  id serial PRIMARY KEY, b bytea, j jsonb, a int[], n numeric(20, 6), t timestamptz, note text);
INSERT INTO kinds (b, j, a, n, t, note)
  SELECT decode(md5(i::text), 'hex'), jsonb_build_object('i', i, 'tags', jsonb_build_array('x', i % 3)),
         ARRAY[i, i * 2, NULL], i * 1.000001, timestamptz '2024-01-01 00:00+00' + i * interval '1 minute',
         E'line\\ttab\\nnewline \\\\ ' || i || ' ''quoted'' ü'
    FROM generate_series(1, 1000) i;
CREATE SEQUENCE counter;
SELECT setval('counter', 4242);
CREATE TABLE big (id int PRIMARY KEY, payload text);
INSERT INTO big SELECT i, md5(i::text) FROM generate_series(1, 100000) i;
CREATE INDEX big_payload_idx ON big (payload);
CREATE VIEW kinds_summary AS SELECT count(*) AS n, sum(n) AS total FROM kinds;
CREATE FUNCTION double_it(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT x * 2';
CREATE TABLE owned (id int PRIMARY KEY, label text);
INSERT INTO owned VALUES (1, 'one'), (2, 'two');
ALTER TABLE owned OWNER TO app_owner;
`;

export async function fingerprint(url: string, database: string): Promise<Record<string, unknown>> {
  const u = new URL(url);
  u.pathname = `/${database}`;
  const c = new Client({ connectionString: u.toString(), ssl: false });
  await c.connect();
  try {
    const tables = await c.query(
      `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner, c.relkind
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' ORDER BY c.relname`,
    );
    const out: Record<string, unknown> = { relations: tables.rows };
    for (const t of tables.rows.filter((r) => r.relkind === 'r')) {
      const h = await c.query(
        `SELECT count(*) AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS h FROM "${t.relname}" t`,
      );
      out[`table ${t.relname}`] = h.rows[0];
    }
    const extra = async (label: string, sql: string) => {
      try {
        out[label] = (await c.query(sql)).rows;
      } catch (e) {
        out[label] = `error: ${(e as Error).message}`;
      }
    };
    await extra('sequence', 'SELECT last_value, is_called FROM counter');
    await extra('view', 'SELECT * FROM kinds_summary');
    await extra('function', 'SELECT double_it(21) AS v');
    await extra('index', "SELECT indexdef FROM pg_indexes WHERE indexname = 'big_payload_idx'");
    return out;
  } finally {
    await c.end();
  }
}

export async function sql(url: string, database: string, text: string): Promise<void> {
  const u = new URL(url);
  u.pathname = `/${database}`;
  const c = new Client({ connectionString: u.toString(), ssl: false });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}
