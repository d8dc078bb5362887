/**
 * db-migrate's work, free of Nx: which migrations are applied and pending, and applying, rolling
 * back or baselining them with dbmate, one run at a time per database. Runs are serialised by an
 * advisory lock that our own session holds while dbmate works, and the pending list is read only
 * after the lock is held, so N runs at once apply each migration once.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { connect } from '../postgres/connect';
import { ConnectionSettings } from '../postgres/settings';
import { fail } from '../utils/errors';
import { findDbmate, runDbmate } from './dbmate';
import {
  compareVersions,
  hasEmptyUpSection,
  MIGRATIONS_DIR,
  MigrationFile,
  migrationFiles,
} from './migration-files';

/** pg_advisory_lock(ACME, MIGRATE): 'acme' in ASCII, and which of our locks. */
const LOCK = [0x61636d65, 1] as const;
export const MIGRATIONS_TABLE = 'schema_migrations';

export interface MigrationState {
  applied: MigrationFile[];
  pending: MigrationFile[];
  /** Versions recorded as applied whose file is gone. */
  missing: string[];
}

export interface MigrateContext {
  settings: ConnectionSettings;
  dbmate: string;
  /** The migrations folder, absolute. */
  dir: string;
  /** The folder as the user should see it. */
  shownDir: string;
  timeoutSeconds: number;
  report: (line: string) => void;
  /** How a failed apply's message ends: what to do once the file is fixed. */
  retry?: string;
}

/** Where a database project's migrations are, and how db-migrate's machinery reaches them. */
export function migrateContext(
  root: string,
  projectRoot: string,
  settings: ConnectionSettings,
  how: Pick<MigrateContext, 'timeoutSeconds' | 'report' | 'retry'> & { needDbmate: boolean },
): MigrateContext {
  return {
    settings,
    dbmate: how.needDbmate ? findDbmate(root) : '',
    dir: join(root, projectRoot, MIGRATIONS_DIR),
    shownDir: join(projectRoot, MIGRATIONS_DIR),
    timeoutSeconds: how.timeoutSeconds,
    report: how.report,
    ...(how.retry !== undefined ? { retry: how.retry } : {}),
  };
}

export function listMigrationFiles(dir: string): MigrationFile[] {
  if (!existsSync(dir)) return [];
  return migrationFiles(readdirSync(dir));
}

async function appliedVersions(c: Client): Promise<string[]> {
  const t = await c.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [MIGRATIONS_TABLE]);
  if (!t.rows[0].ok) return [];
  const r = await c.query(`SELECT version::text AS v FROM ${MIGRATIONS_TABLE}`);
  return r.rows.map((x) => String(x.v));
}

export function stateOf(files: MigrationFile[], applied: string[]): MigrationState {
  const done = new Set(applied);
  const known = new Set(files.map((f) => f.version));
  return {
    applied: files.filter((f) => done.has(f.version)),
    pending: files.filter((f) => !done.has(f.version)),
    missing: applied.filter((v) => !known.has(v)).sort(compareVersions),
  };
}

export async function readState(m: MigrateContext, c?: Client): Promise<MigrationState> {
  const client = c ?? (await connect(m.settings, { timeoutSeconds: m.timeoutSeconds }));
  try {
    return stateOf(listMigrationFiles(m.dir), await appliedVersions(client));
  } finally {
    if (!c) await client.end().catch(() => undefined);
  }
}

/** Runs `body` while this session holds the database's migration lock. */
export async function withMigrationLock<T>(
  m: MigrateContext,
  body: (c: Client) => Promise<T>,
): Promise<T> {
  const c = await connect(m.settings, { timeoutSeconds: m.timeoutSeconds });
  try {
    const got = await c.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [...LOCK]);
    if (!got.rows[0].ok) {
      m.report(`Another db-migrate is working on '${m.settings.database}'; waiting for it.`);
      await c.query('SELECT pg_advisory_lock($1, $2)', [...LOCK]);
    }
    return await body(c);
  } finally {
    // Ending the session releases the lock, also when the body failed.
    await c.end().catch(() => undefined);
  }
}

/** dbmate's error line, `Error: line: 5, column: 1, position: 67: pq: … (42601)`, as one sentence. */
export function describeFailure(stdout: string, stderr: string, shownDir: string): string {
  const files = [...stdout.matchAll(/^(?:Applying|Rolling back): (.+)$/gm)].map((x) => x[1]);
  const file = files[files.length - 1];
  const err = /Error: (?:line: (\d+), column: \d+, position: \d+: )?(?:pq: )?(.*)/.exec(stderr);
  const message = err ? err[2].trim() : stderr.trim().split('\n')[0] || 'no message';
  if (!file) return `dbmate failed: ${message}`;
  return `Migration ${join(shownDir, file)} failed${err?.[1] ? ` at line ${err[1]}` : ''}: ${message}`;
}

export interface ApplyResult {
  applied: string[];
  /** What is still pending afterwards (files added while it ran are not looked at). */
  pending: MigrationFile[];
}

/** Applies every pending migration (dbmate migrate: each in its own transaction). */
export async function applyPending(
  m: MigrateContext,
  beforeChange: (pending: MigrationFile[], c: Client) => Promise<void>,
): Promise<ApplyResult> {
  return withMigrationLock(m, async (c) => {
    const state = await readState(m, c);
    if (state.pending.length === 0) return { applied: [], pending: [] };
    const empty = state.pending.filter((f) =>
      hasEmptyUpSection(readFileSync(join(m.dir, f.file), 'utf-8')),
    );
    if (empty.length > 0)
      fail(
        `${empty.map((f) => `${m.shownDir}/${f.file}`).join(', ')} ${empty.length === 1 ? 'has' : 'have'} nothing but comments in -- migrate:up: applied, ${empty.length === 1 ? 'it' : 'they'} would be recorded as done, and SQL written there later would never run. Write the change, or delete the file. Nothing was applied.`,
      );
    await beforeChange(state.pending, c);
    const applied: string[] = [];
    const run = await runDbmate({
      binary: m.dbmate,
      settings: m.settings,
      migrationsDir: m.dir,
      args: ['migrate'],
      onLine: (line) => {
        const done = /^Applied: (\S+)/.exec(line);
        if (done) applied.push(done[1]);
        if (line.trim()) m.report(line);
      },
    });
    if (run.code !== 0) {
      // dbmate prints `Applied:` for the failing file too, before its error.
      const failed = [...run.stdout.matchAll(/^Applying: (\S+)/gm)].pop()?.[1];
      const kept = applied.filter((f) => f !== failed).length;
      const before = kept ? ` The ${kept} migration(s) before it stay applied.` : '';
      fail(
        `${describeFailure(run.stdout, run.stderr, m.shownDir)}. It ran in one transaction and was rolled back, so the database is as it was before it.${before} Fix the file and ${m.retry ?? 'run db-migrate again'}.`,
      );
    }
    const done = new Set(applied);
    return { applied, pending: state.pending.filter((f) => !done.has(f.file)) };
  });
}

/** Undoes the newest applied migration with its `-- migrate:down` section. */
export async function rollbackLast(
  m: MigrateContext,
  beforeChange: (last: MigrationFile, c: Client) => Promise<void>,
): Promise<MigrationFile> {
  return withMigrationLock(m, async (c) => {
    const state = await readState(m, c);
    if (state.missing.length)
      fail(
        `The newest applied migration ${state.missing[state.missing.length - 1]} has no file in ${m.shownDir}; restore the file before rolling back.`,
      );
    const last = state.applied[state.applied.length - 1];
    if (!last)
      fail(
        `No migration of ${m.shownDir} is applied to '${m.settings.database}'; nothing to roll back.`,
      );
    await beforeChange(last, c);
    const run = await runDbmate({
      binary: m.dbmate,
      settings: m.settings,
      migrationsDir: m.dir,
      args: ['rollback'],
      onLine: (line) => line.trim() && m.report(line),
    });
    if (run.code !== 0)
      fail(
        `${describeFailure(run.stdout, run.stderr, m.shownDir)}. The rollback ran in one transaction, so the database is as it was.`,
      );
    return last;
  });
}

/**
 * Records the migrations up to `version` as applied without running them: for a database whose
 * schema was made before it had migrations (by init scripts, or by hand).
 */
export async function baseline(m: MigrateContext, version: string): Promise<string[]> {
  if (!/^\d+$/.test(version))
    fail(
      `Invalid --baseline '${version}': give a migration's version, the digits its file name starts with.`,
    );
  return withMigrationLock(m, async (c) => {
    const files = listMigrationFiles(m.dir);
    if (!files.some((f) => f.version === version)) {
      const known = files.map((f) => f.version).join(', ') || 'none';
      fail(
        `No migration in ${m.shownDir} has version ${version} (there: ${known}). Nothing was recorded.`,
      );
    }
    const state = stateOf(files, await appliedVersions(c));
    const record = state.pending.filter((f) => compareVersions(f.version, version) <= 0);
    await c.query('BEGIN');
    try {
      // dbmate's own table, as dbmate creates it, so that dbmate carries on from here.
      await c.query(
        `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version character varying(128) NOT NULL PRIMARY KEY)`,
      );
      for (const f of record)
        await c.query(
          `INSERT INTO ${MIGRATIONS_TABLE} (version) VALUES ($1) ON CONFLICT DO NOTHING`,
          [f.version],
        );
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
    return record.map((f) => f.file);
  });
}

/** Writes the schema with dbmate dump, through the pg_dump in `pgBinDir`. */
export async function dumpSchema(m: MigrateContext, file: string, pgBinDir: string): Promise<void> {
  const run = await runDbmate({
    binary: m.dbmate,
    settings: m.settings,
    migrationsDir: m.dir,
    args: ['--schema-file', file, 'dump'],
    pgBinDir,
  });
  if (run.code !== 0) fail(`dbmate dump failed: ${describeFailure('', run.stderr, m.shownDir)}.`);
}
