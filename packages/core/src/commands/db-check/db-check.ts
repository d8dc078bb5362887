import type { RunContext } from '../run-context';
import { logger } from '../../utils/logger';
import { Client } from 'pg';
import { connect, ConnectionError } from '../../postgres/connect';
import { describeSessions, otherConnections, SessionGroup } from '../../postgres/databases';
import { ConnectionSettings, maskedUrl } from '../../postgres/settings';
import { fail, PgPluginError } from '../../utils/errors';
import { guarded, note, resolveTarget, writeJsonResult } from '../executor-target';
import { DbCheckExecutorSchema } from './schema';

interface Health {
  ok: true;
  url: string;
  serverVersion: string;
  serverVersionNum: number;
  database: string;
  user: string;
  /** Whether this connection uses SSL (pg_stat_ssl). */
  ssl: boolean;
  latencyMs: number;
  sizeBytes: number;
  connections: number;
  activeConnections: number;
  stats?: {
    database: Record<string, unknown>;
    busiestTables: Record<string, unknown>[];
    /** The other sessions in the database, by application_name, user and client address. */
    connectionsByApplication: SessionGroup[];
  };
}

export default async function dbCheckExecutor(
  options: DbCheckExecutorSchema,
  context: RunContext,
): Promise<{ success: boolean }> {
  if (!options.json && !options.outputFile) return guarded(() => check(options, context));
  // --json: one JSON object on stdout; --outputFile: the same in a file, which Nx's own output
  // (its banner goes to stdout) never mixes with. For success and failure alike.
  let result: Health | { ok: false; error: string; message: string };
  try {
    result = await readHealth(options, context);
  } catch (e) {
    const kind = e instanceof ConnectionError ? e.failure.kind : 'error';
    const known = e instanceof ConnectionError || e instanceof PgPluginError;
    const message = known ? (e as Error).message : `unexpected error: ${(e as Error).message}`;
    result = { ok: false, error: kind, message };
  }
  if (options.outputFile) {
    try {
      writeJsonResult(context.root, options.outputFile, result);
    } catch (e) {
      logger.error((e as Error).message);
      return { success: false };
    }
  }
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else if (result.ok) logger.info(describe(result));
  else logger.error(result.message);
  return { success: result.ok };
}

async function check(options: DbCheckExecutorSchema, context: RunContext): Promise<boolean> {
  logger.info(describe(await readHealth(options, context)));
  return true;
}

function describe(h: Health): string {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  const lines = [
    `PostgreSQL ${h.serverVersion} at ${h.url}: ok`,
    `  database     ${h.database} (${mb(h.sizeBytes)})`,
    `  user         ${h.user}`,
    `  ssl          ${h.ssl ? 'on' : 'off'}`,
    `  latency      ${h.latencyMs.toFixed(2)} ms`,
    `  connections  ${h.connections} (${h.activeConnections} active)`,
  ];
  if (h.stats) {
    const d = h.stats.database;
    const hits = Number(d['blks_hit']);
    const reads = Number(d['blks_read']);
    lines.push(
      `  transactions ${d['xact_commit']} committed, ${d['xact_rollback']} rolled back`,
      `  cache hits   ${hits + reads ? ((100 * hits) / (hits + reads)).toFixed(1) : '100.0'}%`,
      `  deadlocks    ${d['deadlocks']}, temp files ${d['temp_files']}`,
      `  by app       ${h.stats.connectionsByApplication.length ? describeSessions(h.stats.connectionsByApplication) : 'no other connection'}`,
      '  busiest tables (scans, live rows, writes):',
      ...(h.stats.busiestTables.length
        ? h.stats.busiestTables.map(
            (t) =>
              `    ${t['table']}: ${t['scans']} scans, ${t['live_rows']} rows, ${t['writes']} writes`,
          )
        : ['    (no user tables)']),
    );
  }
  return lines.join('\n');
}

async function readHealth(options: DbCheckExecutorSchema, context: RunContext): Promise<Health> {
  const timeout = options.timeout ?? 5;
  if (!(timeout > 0))
    fail(`Invalid --timeout ${options.timeout}: give a number of seconds above 0.`);
  if (options.wait !== undefined && !(options.wait >= 0))
    fail(`Invalid --wait ${options.wait}: give a number of seconds, 0 or more.`);
  const { settings } = resolveTarget(options, context);
  const client = await connectWaiting(settings, timeout, options.wait ?? 0, options.json);
  try {
    return await measure(client, settings, !!options.stats);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Connects; with --wait, retries what may pass (refused, starting up, timeout) with backoff, and
 * says that it waited, and how long, when it had to (on success and when it gives up).
 */
async function connectWaiting(
  s: ConnectionSettings,
  timeout: number,
  wait: number,
  json: boolean | undefined,
): Promise<Client> {
  const started = Date.now();
  const deadline = started + wait * 1000;
  const waited = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  let delay = 250;
  let retries = 0;
  for (;;) {
    try {
      const client = await connect(s, { timeoutSeconds: timeout });
      if (retries)
        note(
          json,
          `Waited ${waited()} for ${s.host}:${s.port} to accept connections (--wait ${wait}, ${retries} ${retries === 1 ? 'retry' : 'retries'}).`,
        );
      return client;
    } catch (e) {
      if (!(e instanceof ConnectionError) || !e.failure.retryable) throw e;
      // The last wait is cut to the deadline, and one more try made there: --wait 3 waits 3 s.
      const left = deadline - Date.now();
      if (left <= 0) {
        if (!retries) throw e;
        throw new ConnectionError({
          ...e.failure,
          message: `${e.failure.message} (Waited ${waited()} for it, --wait ${wait}; a longer --wait gives it more time.)`,
        });
      }
      await new Promise((r) => setTimeout(r, Math.min(delay, left)));
      delay = Math.min(delay * 2, 2000);
      retries++;
    }
  }
}

async function measure(client: Client, s: ConnectionSettings, stats: boolean): Promise<Health> {
  let latencyMs = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    await client.query('SELECT 1');
    latencyMs = Math.min(latencyMs, Number(process.hrtime.bigint() - t) / 1e6);
  }
  const { rows } = await client.query(`
    SELECT current_setting('server_version') AS version,
           current_setting('server_version_num')::int AS version_num,
           current_database() AS database, current_user AS "user",
           coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS ssl,
           pg_database_size(current_database()) AS size,
           (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database())::int AS connections,
           (SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND state = 'active')::int AS active`);
  const r = rows[0];
  const health: Health = {
    ok: true,
    url: maskedUrl(s),
    serverVersion: r.version,
    serverVersionNum: r.version_num,
    database: r.database,
    user: r.user,
    ssl: r.ssl,
    latencyMs: Math.round(latencyMs * 1000) / 1000,
    sizeBytes: Number(r.size),
    connections: r.connections,
    activeConnections: r.active,
  };
  if (stats) {
    const db = await client.query(
      `SELECT numbackends, xact_commit, xact_rollback, blks_read, blks_hit, tup_returned,
              tup_fetched, tup_inserted, tup_updated, tup_deleted, conflicts, temp_files,
              temp_bytes, deadlocks, stats_reset
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    const tables = await client.query(
      `SELECT schemaname || '.' || relname AS "table",
              coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS scans,
              n_live_tup AS live_rows,
              n_tup_ins + n_tup_upd + n_tup_del AS writes
         FROM pg_stat_user_tables
        ORDER BY coalesce(seq_scan, 0) + coalesce(idx_scan, 0) + n_tup_ins + n_tup_upd + n_tup_del DESC,
                 relname
        LIMIT 5`,
    );
    const numeric = (row: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => [
          k,
          typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v,
        ]),
      );
    health.stats = {
      database: numeric(db.rows[0] ?? {}),
      busiestTables: tables.rows.map(numeric),
      connectionsByApplication: (await otherConnections(client, r.database)).groups,
    };
  }
  return health;
}
