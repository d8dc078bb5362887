/**
 * db-reset: a development database made anew from its sources: drop it, create it like it was
 * (owner, locale, settings), run its init bundle, apply every migration, then the seeds. Only on
 * this machine unless --force, only after a confirmation, and only after a safety backup. Whatever
 * can refuse (the migration and seed files, the tools) is checked before anything changes.
 */
import { leftBehind, leftBehindMessage, putBackSql } from '../../postgres/left-behind';
import type { RunContext } from '../run-context';
import { logger } from '../../utils/logger';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { createInterface } from 'node:readline';
import { applyPending, checkPending, readMigrationFolder } from '../../migrations/migrate';
import { listSeeds, runSeeds, unreadableSeed } from '../../migrations/seeds';
import type { Client } from 'pg';
import { maintenanceConnection, serverMajor } from '../../postgres/connect';
import { derivedDatabaseName } from '../../postgres/backup-files';
import {
  createDatabaseLike,
  databaseExists,
  dropDatabase,
  ident,
  lockDatabase,
  swapDatabases,
} from '../../postgres/databases';
import { runTool, ToolInstall } from '../../postgres/tools';
import { targetCommand } from '../../utils/commands';
import { shellQuote } from '../../utils/shell-quote';
import { fail } from '../../utils/errors';
import { canPrompt } from '../db-values/prompt';
import { guardedWithOutputFile, note, resolveTarget } from '../executor-target';
import { localDatabase } from '../local-database';
import {
  clientTool,
  migrationTarget,
  MigrationTarget,
  safetyBackup,
  WITHOUT_BACKUP,
} from '../migration-target';
import { DbResetExecutorSchema } from './schema';

export default async function dbResetExecutor(
  options: DbResetExecutorSchema,
  context: RunContext,
): Promise<{ success: boolean }> {
  return guardedWithOutputFile(context.root, options.outputFile, (write) =>
    reset(options, context, write),
  );
}

/** Loopback addresses and Unix sockets: a server on this machine. */
export function isLocalHost(host: string): boolean {
  return (
    host.startsWith('/') ||
    host === 'localhost' ||
    host === '::1' ||
    host === '[::1]' ||
    /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((ok) => rl.question(question, (a) => (rl.close(), ok(a.trim()))));
}

async function confirm(o: DbResetExecutorSchema, db: string, where: string): Promise<void> {
  if (o.yes) return;
  const what = `db-reset drops '${db}' on ${where} with all its data${o.noBackup ? ', with no safety backup (--noBackup)' : ' (a safety backup is taken first)'}`;
  if (!canPrompt())
    fail(`${what}; add --yes to go on (there is no terminal to ask). Nothing was changed.`);
  const answer = await ask(`${what}. Type the database name to go on: `);
  if (answer !== db) fail(`'${answer}' is not '${db}'; nothing was changed.`);
}

/** What the reset will read, checked before anything changes: a refusal leaves the database as it was. */
function checkSources(
  t: MigrationTarget,
  o: DbResetExecutorSchema,
  bundle: string | undefined,
): { seeds: boolean } {
  const m = t.migrations;
  // The checks db-migrate makes before it applies anything, on every file: a reset applies all.
  checkPending(m, readMigrationFolder(m.dir, m.shownDir).files, 'Nothing was changed.');
  const problem = o.skipSeed ? undefined : unreadableSeed(t.seedsDir, t.shownSeedsDir);
  if (problem) fail(`${problem} Nothing was changed.`);
  if (bundle) {
    try {
      readFileSync(bundle);
    } catch (e) {
      fail(`Cannot read the init bundle ${bundle} (${(e as Error).message}). Nothing was changed.`);
    }
  }
  return { seeds: !o.skipSeed && listSeeds(t.seedsDir).length > 0 };
}

/**
 * Puts an empty database like `db` (owner, locale, tablespace, grants, settings) in its place, as
 * db-restore --clean does: made beside it, then swapped in while `db` is closed (open sessions are
 * refused, or ended with --force), so no row is written that misses the safety backup. The backup
 * is taken of the replaced database while the new one is still closed; when it fails, the swap is
 * undone, so the database is as it was.
 */
async function recreate(
  admin: Client,
  db: string,
  backUp: ((old: string) => Promise<string | undefined>) | undefined,
  force = false,
): Promise<string | undefined> {
  const suffix = randomBytes(4).toString('hex');
  const fresh = derivedDatabaseName(db, `_reset_${suffix}`);
  const old = derivedDatabaseName(db, `_replaced_${suffix}`);
  const { isTemplate } = await createDatabaseLike(admin, fresh, db);
  let allowed: boolean;
  try {
    const lock = await lockDatabase(admin, db, force);
    allowed = lock.allowed;
    try {
      await swapDatabases(
        admin,
        { target: db, staging: fresh, old },
        // Closed until the backup is there: the swap may have to be undone.
        { isTemplate, allowConnections: allowed && !backUp },
      );
    } catch (e) {
      await lock.unlock().catch(() => undefined);
      throw e;
    }
  } catch (e) {
    await dropDatabase(admin, fresh).catch(() => undefined);
    throw e;
  }
  let backup: string | undefined;
  if (backUp) {
    await admin.query(`ALTER DATABASE ${ident(old)} ALLOW_CONNECTIONS true`);
    try {
      backup = await backUp(old);
    } catch (e) {
      const why = (e as Error).message.replace(/\.$/, '');
      try {
        await swapDatabases(
          admin,
          { target: db, staging: old, old: fresh },
          { isTemplate, allowConnections: allowed },
        );
      } catch (back) {
        fail(
          `The safety backup of '${db}' failed (${why}), and putting its old content back failed too (${(back as Error).message}): '${db}' is now an empty copy, closed, and the old content is database '${old}'. Put it back with: ${putBackSql(db, old, fresh, allowed)} DROP DATABASE ${ident(fresh)};`,
        );
      }
      await dropDatabase(admin, fresh).catch(() => undefined);
      fail(
        `The safety backup of '${db}' failed (${why}); '${db}' was put back as it was. Nothing was changed.`,
      );
    }
    if (allowed) await admin.query(`ALTER DATABASE ${ident(db)} ALLOW_CONNECTIONS true`);
  }
  await dropDatabase(admin, old);
  return backup;
}

async function reset(
  o: DbResetExecutorSchema,
  context: RunContext,
  write: (result: object) => void,
): Promise<boolean> {
  // Before any connection: a remote server is refused without being touched.
  const first = resolveTarget(o, context).settings;
  if (!isLocalHost(first.host) && !o.force)
    fail(
      `db-reset is for development databases on this machine; '${first.database}' is on ${first.host}:${first.port} (host from ${first.sources.host}). Add --force if you really mean to reset it. Nothing was changed.`,
    );
  const t = migrationTarget(o, context);
  const s = t.target.settings;
  const db = s.database;
  const where = `${s.host}:${s.port}`;
  const bundle = t.target.file && t.target.module ? localDatabase(o, context) : undefined;
  const initBundle = bundle?.bundle && existsSync(bundle.bundle) ? bundle.bundle : undefined;
  const { seeds: haveSeeds } = checkSources(t, o, initBundle);
  await confirm(o, db, where);

  const admin = await maintenanceConnection(s, o.timeout ?? 5, db);
  let backup: string | undefined;
  let psql: ToolInstall | undefined;
  try {
    const server = await serverMajor(admin);
    const left = leftBehindMessage(db, await leftBehind(admin, db));
    if (left?.refuse) fail(left.text);
    if (left) logger.warn(left.text);
    // The tools it will need, before anything changes.
    const exists = await databaseExists(admin, db);
    if (exists && !o.noBackup) clientTool(server, o, 'pg_dump', WITHOUT_BACKUP);
    if (initBundle || haveSeeds)
      psql = clientTool(server, o, 'psql', { outcome: 'Nothing was changed.' });
    if (exists) {
      const backUp = o.noBackup
        ? undefined
        : (old: string) => safetyBackup(t, o, context, 'the reset', server, old);
      if (o.noBackup) await safetyBackup(t, o, context, 'the reset', server);
      backup = await recreate(admin, db, backUp, !!o.force);
    } else {
      await admin.query(`CREATE DATABASE ${ident(db)}`);
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
  note(o.json, `Recreated '${db}' on ${where}, empty.`);
  const undo = backup
    ? ` To go back: ${targetCommand(context.projectName ?? 'postgres', 'db-restore', `--file ${shellQuote(backup)} --clean`)}.`
    : '';

  let initScripts = false;
  if (initBundle && psql) {
    const run = await runTool(psql, {
      args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--no-password', '-f', initBundle],
      settings: s,
      env: bundle?.scriptEnv,
    });
    if (run.code !== 0)
      fail(
        `The init scripts failed on the new '${db}': ${run.stderr.trim().split('\n')[0]}.${undo}`,
      );
    initScripts = true;
    note(o.json, `Ran the init scripts (${relative(context.root, initBundle)}).`);
  }
  let migrations: string[] = [];
  try {
    migrations = (await applyPending(t.migrations, async () => undefined)).applied;
  } catch (e) {
    fail(`${(e as Error).message}${undo}`);
  }
  const seeds =
    o.skipSeed || !psql
      ? []
      : await runSeeds(psql, s, t.seedsDir, t.shownSeedsDir, bundle?.scriptEnv).catch((e) =>
          fail(`${(e as Error).message}${undo}`),
        );
  const result = { database: db, backup: backup ?? null, initScripts, migrations, seeds };
  write(result);
  if (o.json)
    process.stdout.write(`${JSON.stringify(result)}
`);
  else
    logger.info(
      `Reset '${db}': ${initScripts ? 'init scripts, ' : ''}${migrations.length} migration(s), ${o.skipSeed ? 'no seeds (--skipSeed)' : `${seeds.length} seed(s)`}.`,
    );
  return true;
}
