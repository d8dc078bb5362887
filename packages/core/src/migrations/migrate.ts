/**
 * db-migrate's work, free of Nx: which migrations are applied and pending, and applying, rolling
 * back or baselining them with dbmate, one run at a time per database. Runs are serialised by an
 * advisory lock that our own session holds while dbmate works, and the pending list is read only
 * after the lock is held, so N runs at once apply each migration once.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { connect, connectionLost } from '../postgres/connect';
import { Interrupt, interruptible } from '../postgres/interrupt';
import { ConnectionSettings } from '../postgres/settings';
import { fail, PgPluginError } from '../utils/errors';
import { dbmateSessionName, DbmateRun, findDbmate, runDbmate } from './dbmate';
import {
  compareVersions,
  fileLine,
  hasEmptyUpSection,
  MIGRATIONS_DIR,
  MigrationFile,
  migrationFolder,
  migrationProblem,
  withoutTransaction,
} from './migration-files';

/** pg_advisory_lock(ACME, MIGRATE): 'acme' in ASCII, and which of our locks. */
const LOCK = [0x61636d65, 1] as const;
export const MIGRATIONS_TABLE = 'schema_migrations';

export interface MigrationState {
  applied: MigrationFile[];
  pending: MigrationFile[];
  /** Versions recorded as applied whose file is gone. */
  missing: string[];
  /** `.sql` files of the folder that are not migrations by their names: never run. */
  ignored: string[];
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

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

/**
 * The folder's migrations, by their names. Refused before anything runs: two files with one
 * version (dbmate records a version once: one of them would never run, or show as applied when it
 * is not) and a name dbmate runs that is not `<version>_<name>.sql` (dbmate would run what we do
 * not list).
 */
export function readMigrationFolder(
  dir: string,
  shownDir = dir,
): { files: MigrationFile[]; ignored: string[] } {
  if (!existsSync(dir)) return { files: [], ignored: [] };
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => e.name);
  const folder = migrationFolder(names);
  if (folder.duplicates.length)
    fail(
      `${folder.duplicates
        .map((d) => `${d.slice(0, -1).join(', ')} and ${d[d.length - 1]}`)
        .map(
          (d, i) =>
            `${d} in ${shownDir} have one version, ${folder.duplicates[i][0].split('_')[0]}`,
        )
        .join(
          '; ',
        )}: dbmate records a version once, so one of them would never run. Give the newer one a version of its own (rename it with a later <version>_ prefix). Nothing was changed.`,
    );
  if (folder.dbmateOnly.length) {
    const one = folder.dbmateOnly.length === 1;
    fail(
      `${folder.dbmateOnly.map((f) => join(shownDir, f)).join(', ')} ${one ? 'is' : 'are'} not named <version>_<name>.sql, but dbmate would run ${one ? 'it' : 'them'}: rename ${one ? 'it' : 'them'} (e.g. 20261201183005_add-orders.sql) or move ${one ? 'it' : 'them'} out of ${shownDir}. Nothing was changed.`,
    );
  }
  return folder;
}

export function listMigrationFiles(dir: string, shownDir = dir): MigrationFile[] {
  return readMigrationFolder(dir, shownDir).files;
}

async function appliedVersions(c: Client): Promise<string[]> {
  const t = await c.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [MIGRATIONS_TABLE]);
  if (!t.rows[0].ok) return [];
  const r = await c.query(`SELECT version::text AS v FROM ${MIGRATIONS_TABLE}`);
  return r.rows.map((x) => String(x.v));
}

export function stateOf(
  files: MigrationFile[],
  applied: string[],
  ignored: string[] = [],
): MigrationState {
  const done = new Set(applied);
  const known = new Set(files.map((f) => f.version));
  return {
    applied: files.filter((f) => done.has(f.version)),
    pending: files.filter((f) => !done.has(f.version)),
    missing: applied.filter((v) => !known.has(v)).sort(compareVersions),
    ignored,
  };
}

/** The state, and one note naming the folder's `.sql` files that are not migrations. */
export async function readState(m: MigrateContext, c?: Client): Promise<MigrationState> {
  const folder = readMigrationFolder(m.dir, m.shownDir);
  const client = c ?? (await connect(m.settings, { timeoutSeconds: m.timeoutSeconds }));
  try {
    const state = stateOf(folder.files, await appliedVersions(client), folder.ignored);
    if (state.ignored.length)
      m.report(
        `Not migrations by their names, so never run: ${state.ignored.join(', ')} (a migration is <version>_<name>.sql, e.g. 20261201183005_add-orders.sql).`,
      );
    return state;
  } finally {
    if (!c) await client.end().catch(() => undefined);
  }
}

/** Whether the connection is gone: the server went away, or the network broke. */
async function isLost(c: Client): Promise<Error | undefined> {
  const known = connectionLost(c);
  if (known) return known;
  try {
    await c.query('SELECT 1');
    return undefined;
  } catch (e) {
    return connectionLost(c) ?? (e as Error);
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
  } catch (e) {
    if (!(e instanceof PgPluginError) && connectionLost(c))
      fail(
        `The server went away (${connectionLost(c)!.message}) before any migration ran; nothing was applied. Run ${m.retry ?? 'db-migrate again'} once the server is back.`,
      );
    throw e;
  } finally {
    // Ending the session releases the lock, also when the body failed.
    await c.end().catch(() => undefined);
  }
}

interface DbmateError {
  /** dbmate's message, without `Error:` and `pq:`. */
  message: string;
  /** The line in the section dbmate ran, when the server gave a position. */
  line?: number;
  /** dbmate could not read the file: nothing of it ran. */
  parse: boolean;
}

/** dbmate's error line, `Error: line: 5, column: 1, position: 67: pq: … (42601)`. */
function dbmateError(stderr: string): DbmateError {
  const err = /Error: (?:line: (\d+), column: \d+, position: \d+: )?(?:pq: )?(.*)/.exec(stderr);
  const message = err ? err[2].trim() : stderr.trim().split('\n')[0] || 'no message';
  return {
    message,
    ...(err?.[1] ? { line: Number(err[1]) } : {}),
    parse: /^dbmate (requires|does not support)/.test(message),
  };
}

/** dbmate's error line as one sentence (for callers that ran dbmate on no one file). */
export function describeFailure(stdout: string, stderr: string, shownDir: string): string {
  const files = [...stdout.matchAll(/^(?:Applying|Rolling back): (.+)$/gm)].map((x) => x[1]);
  const file = files[files.length - 1];
  const e = dbmateError(stderr);
  if (!file) return `dbmate failed: ${e.message}`;
  return `Migration ${join(shownDir, file)} failed${e.line ? ` at line ${e.line}` : ''}: ${e.message}`;
}

interface Watched {
  run: DbmateRun;
  /** The file dbmate was on last (its `Applying:` or `Rolling back:` line). */
  current?: string;
  /** Files whose `Applied:`/`Rolled back:` line the run proved: another line came, or exit 0. */
  proven: string[];
  /** The signal that stopped the run: ours (Ctrl-C, SIGTERM), or one that ended dbmate. */
  signal?: NodeJS.Signals;
}

/**
 * dbmate, with its lines relayed as they come, except a `Applied:`/`Rolled back:` line, which
 * dbmate prints also for the file that fails: it is held until the next line or a clean exit shows
 * it true, and dropped otherwise. A signal stops dbmate; its session is then ended on the server
 * (which rolls back its open transaction) before this returns, so the lock is let go only once
 * nothing of dbmate's works on the database.
 */
async function watchedDbmate(
  m: MigrateContext,
  c: Client,
  intr: Interrupt,
  command: 'migrate' | 'rollback',
): Promise<Watched> {
  const start = command === 'migrate' ? /^Applying: (\S+)/ : /^Rolling back: (\S+)/;
  const done = command === 'migrate' ? /^Applied: (\S+)/ : /^Rolled back: (\S+)/;
  const appName = dbmateSessionName();
  const proven: string[] = [];
  let held: string | undefined;
  let current: string | undefined;
  const release = () => {
    if (held === undefined) return;
    m.report(held);
    proven.push(done.exec(held)![1]);
    held = undefined;
  };
  const run = await runDbmate({
    binary: m.dbmate,
    settings: m.settings,
    migrationsDir: m.dir,
    args: [command],
    appName,
    onSpawn: (kill) => intr.track(kill),
    onLine: (line) => {
      if (!line.trim()) return;
      release();
      const s = start.exec(line);
      if (s) current = s[1];
      if (done.test(line)) held = line;
      else m.report(line);
    },
  });
  if (run.code === 0 && !intr.signal) release();
  const signal = intr.signal ?? run.signal ?? undefined;
  if (signal) await endSession(c, appName, m.timeoutSeconds);
  return { run, current, proven, ...(signal ? { signal } : {}) };
}

/** Ends dbmate's session if the server still runs it (dbmate was killed mid-statement). */
async function endSession(c: Client, appName: string, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + Math.max(10, timeoutSeconds) * 1000;
  for (;;) {
    const r = await c
      .query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
        [appName],
      )
      .catch(() => undefined);
    if (!r || r.rowCount === 0 || Date.now() > deadline) return;
    await new Promise((res) => setTimeout(res, 50));
  }
}

export interface ApplyResult {
  applied: string[];
  /** What is still pending afterwards (files added while it ran are not looked at). */
  pending: MigrationFile[];
}

/**
 * What dbmate would refuse in these files, and templates never filled in: before any runs (the
 * pending ones for db-migrate; all of them for db-reset, which applies all). `nothing` ends the
 * refusal: what was left as it was.
 */
export function checkPending(
  m: Pick<MigrateContext, 'dir' | 'shownDir'>,
  pending: MigrationFile[],
  nothing = 'Nothing was applied.',
): void {
  const texts = pending.map((f) => ({ f, text: readFileSync(join(m.dir, f.file), 'utf-8') }));
  const problems = texts
    .map(({ f, text }) => ({ f, problem: migrationProblem(text) }))
    .filter((p) => p.problem);
  if (problems.length)
    fail(
      `${problems.map((p) => `${join(m.shownDir, p.f.file)} ${p.problem}`).join('; ')}. ${nothing}`,
    );
  const empty = texts.filter(({ text }) => hasEmptyUpSection(text)).map(({ f }) => f);
  if (empty.length > 0)
    fail(
      `${empty.map((f) => `${m.shownDir}/${f.file}`).join(', ')} ${plural(empty.length, 'has', 'have')} nothing but comments in -- migrate:up: applied, ${plural(empty.length, 'it', 'they')} would be recorded as done, and SQL written there later would never run. Write the change, or delete the file. ${nothing}`,
    );
}

/** Applies every pending migration (dbmate migrate: each in its own transaction). */
export async function applyPending(
  m: MigrateContext,
  beforeChange: (pending: MigrationFile[], c: Client) => Promise<void>,
): Promise<ApplyResult> {
  return withMigrationLock(m, (c) =>
    interruptible(async (intr) => {
      const state = await readState(m, c);
      if (state.pending.length === 0) return { applied: [], pending: [] };
      checkPending(m, state.pending);
      await beforeChange(state.pending, c);
      if (intr.signal)
        fail(`Migrate interrupted (${intr.signal}) before any migration ran; nothing was applied.`);
      const w = await watchedDbmate(m, c, intr, 'migrate');
      const shown = (f: string) => join(m.shownDir, f);
      const after = async (): Promise<string[] | undefined> => {
        if (await isLost(c)) return undefined;
        const now = new Set(await appliedVersions(c));
        return state.pending.filter((f) => now.has(f.version)).map((f) => f.file);
      };
      if (w.signal) {
        const applied = (await after()) ?? w.proven;
        const n = applied.length;
        const how = `Migrate interrupted (${w.signal})`;
        if (!w.current) fail(`${how} before any migration ran; nothing was applied.`);
        if (applied.includes(w.current))
          fail(
            `${how} after ${shown(w.current)} was applied: ${n} migration(s) applied, ${state.pending.length - n} still pending.`,
          );
        fail(
          `${how} during ${shown(w.current)}: it was rolled back; ${n ? `the ${n} migration(s) before it stay applied` : 'nothing was applied'}.`,
        );
      }
      if (w.run.code !== 0) {
        const e = dbmateError(w.run.stderr);
        const n = w.proven.length;
        const before = n ? ` The ${n} migration(s) before it stay applied.` : '';
        const lost = await isLost(c);
        if (lost)
          fail(
            `The server went away ${w.current ? `during ${shown(w.current)}` : 'before any migration ran'} (dbmate: ${e.message}): ${w.current ? `it was not committed, so it is pending; ${n ? `the ${n} migration(s) before it stay applied` : 'nothing was applied'}` : 'nothing was applied'}. Run ${m.retry ?? 'db-migrate again'} once the server is back.`,
          );
        if (!w.current) fail(`dbmate failed: ${e.message}. Nothing was applied.`);
        const text = readFileSync(join(m.dir, w.current), 'utf-8');
        if (e.parse)
          fail(
            `dbmate cannot read ${shown(w.current)}: ${e.message}. It did not run.${before} Fix the file and ${m.retry ?? 'run db-migrate again'}.`,
          );
        const at = e.line ? ` at line ${fileLine(text, 'up', e.line)}` : '';
        const undo = withoutTransaction(text, 'up')
          ? 'It ran without a transaction (transaction:false): what ran before the failing statement stays.'
          : 'It ran in one transaction and was rolled back, so the database is as it was before it.';
        fail(
          `Migration ${shown(w.current)} failed${at}: ${e.message}. ${undo}${before} Fix the file and ${m.retry ?? 'run db-migrate again'}.`,
        );
      }
      const done = new Set((await after()) ?? w.proven);
      return {
        applied: state.pending.filter((f) => done.has(f.file)).map((f) => f.file),
        pending: state.pending.filter((f) => !done.has(f.file)),
      };
    }),
  );
}

/** Undoes the newest applied migration with its `-- migrate:down` section. */
export async function rollbackLast(
  m: MigrateContext,
  beforeChange: (last: MigrationFile, c: Client) => Promise<void>,
): Promise<MigrationFile> {
  return withMigrationLock(m, (c) =>
    interruptible(async (intr) => {
      const state = await readState(m, c);
      // dbmate rolls back the last applied file; an applied version newer than it without a file
      // would be passed over.
      const last = state.applied[state.applied.length - 1];
      const newer = state.missing.filter((v) => !last || compareVersions(v, last.version) > 0);
      if (newer.length)
        fail(
          `The newest applied migration ${newer[newer.length - 1]} has no file in ${m.shownDir}; restore the file before rolling back.`,
        );
      if (!last)
        fail(
          `No migration of ${m.shownDir} is applied to '${m.settings.database}'; nothing to roll back.`,
        );
      const text = readFileSync(join(m.dir, last.file), 'utf-8');
      const problem = migrationProblem(text);
      const shown = join(m.shownDir, last.file);
      if (problem) fail(`${shown} ${problem}. Nothing was rolled back.`);
      await beforeChange(last, c);
      if (intr.signal) fail(`Rollback interrupted (${intr.signal}); nothing was rolled back.`);
      const w = await watchedDbmate(m, c, intr, 'rollback');
      const stillApplied = async () =>
        (await isLost(c)) ? undefined : (await appliedVersions(c)).includes(last.version);
      if (w.signal) {
        const kept = await stillApplied();
        fail(
          kept === false
            ? `Rollback interrupted (${w.signal}) after ${shown} was rolled back.`
            : `Rollback interrupted (${w.signal}); ${shown} is still applied.`,
        );
      }
      if (w.run.code !== 0) {
        const e = dbmateError(w.run.stderr);
        if (await isLost(c))
          fail(
            `The server went away during the rollback of ${shown} (dbmate: ${e.message}): it was not committed, so ${last.file} is still applied. Run db-migrate --rollback again once the server is back.`,
          );
        const at = e.line ? ` at line ${fileLine(text, 'down', e.line)}` : '';
        const undo = e.parse
          ? 'It did not run'
          : withoutTransaction(text, 'down')
            ? 'It ran without a transaction (transaction:false): what ran before the failing statement stays'
            : 'It ran in one transaction, so the database is as it was';
        fail(
          `Rollback of ${shown} failed${at}: ${e.message}. ${undo}: ${last.file} is still applied. Fix its -- migrate:down section and run db-migrate --rollback again.`,
        );
      }
      return last;
    }),
  );
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
    const files = listMigrationFiles(m.dir, m.shownDir);
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
