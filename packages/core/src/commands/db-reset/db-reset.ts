/**
 * db-reset: a development database made anew from its sources: drop it, create it like it was
 * (owner, locale, settings), run its init bundle, apply every migration, then the seeds. Only on
 * this machine unless --force, only after a confirmation, and only after a safety backup.
 */
import { leftBehind, leftBehindMessage } from '../../postgres/left-behind';
import type { RunContext } from '../run-context';
import { logger } from '../../utils/logger';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { createInterface } from 'node:readline';
import { applyPending } from '../../migrations/migrate';
import { runSeeds } from '../../migrations/seeds';
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
import { runTool } from '../../postgres/tools';
import { fail } from '../../utils/errors';
import { canPrompt } from '../db-values/prompt';
import { guardedWithOutputFile, note, resolveTarget } from '../executor-target';
import { localDatabase } from '../local-database';
import { clientTool, migrationTarget, safetyBackup, ServerVersion } from '../migration-target';
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
  const what = `db-reset drops '${db}' on ${where} with all its data (a safety backup is taken first)`;
  if (!canPrompt())
    fail(`${what}; add --yes to go on (there is no terminal to ask). Nothing was changed.`);
  const answer = await ask(`${what}. Type the database name to go on: `);
  if (answer !== db) fail(`'${answer}' is not '${db}'; nothing was changed.`);
}

/**
 * Puts an empty database like `db` (owner, locale, tablespace, grants, settings) in its place, as
 * db-restore --clean does: made beside it, then swapped in while `db` is closed (open sessions are
 * refused, or ended with --force), so no row is written that misses the safety backup, which is
 * taken of the replaced database before it is dropped (kept if the backup fails).
 */
async function recreate(
  admin: Client,
  db: string,
  backUp: (old: string) => Promise<string | undefined>,
  force = false,
): Promise<string | undefined> {
  const suffix = randomBytes(4).toString('hex');
  const fresh = derivedDatabaseName(db, `_reset_${suffix}`);
  const old = derivedDatabaseName(db, `_replaced_${suffix}`);
  const { isTemplate } = await createDatabaseLike(admin, fresh, db);
  try {
    const lock = await lockDatabase(admin, db, force);
    try {
      await swapDatabases(
        admin,
        { target: db, staging: fresh, old },
        { isTemplate, allowConnections: lock.allowed },
      );
    } catch (e) {
      await lock.unlock().catch(() => undefined);
      throw e;
    }
  } catch (e) {
    await dropDatabase(admin, fresh).catch(() => undefined);
    throw e;
  }
  await admin.query(`ALTER DATABASE ${ident(old)} ALLOW_CONNECTIONS true`);
  let backup: string | undefined;
  try {
    backup = await backUp(old);
  } catch (e) {
    fail(
      `'${db}' was reset, but the safety backup of its old content failed (${(e as Error).message}); the old content is kept as database '${old}'.`,
    );
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
  await confirm(o, db, where);

  const admin = await maintenanceConnection(s, o.timeout ?? 5, db);
  let backup: string | undefined;
  let server: ServerVersion;
  try {
    server = await serverMajor(admin);
    const left = leftBehindMessage(db, await leftBehind(admin, db));
    if (left?.refuse) fail(left.text);
    if (left) logger.warn(left.text);
    if (await databaseExists(admin, db)) {
      backup = await recreate(
        admin,
        db,
        async (old) => safetyBackup(t, o, context, 'the reset', server, old),
        !!o.force,
      );
    } else {
      await admin.query(`CREATE DATABASE ${ident(db)}`);
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
  note(o.json, `Recreated '${db}' on ${where}, empty.`);
  const undo = backup ? ` To go back: db-restore --file ${backup} --clean.` : '';

  const psql = clientTool(server, o, 'psql');
  let initScripts = false;
  if (bundle?.bundle && existsSync(bundle.bundle)) {
    const run = await runTool(psql, {
      args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--no-password', '-f', bundle.bundle],
      settings: s,
      env: bundle.scriptEnv,
    });
    if (run.code !== 0)
      fail(
        `The init scripts failed on the new '${db}': ${run.stderr.trim().split('\n')[0]}.${undo}`,
      );
    initScripts = true;
    note(o.json, `Ran the init scripts (${relative(context.root, bundle.bundle)}).`);
  }
  let migrations: string[] = [];
  try {
    migrations = (await applyPending(t.migrations, async () => undefined)).applied;
  } catch (e) {
    fail(`${(e as Error).message}${undo}`);
  }
  const seeds = o.skipSeed
    ? []
    : await runSeeds(psql, s, t.seedsDir, t.shownSeedsDir, bundle?.scriptEnv).catch((e) =>
        fail(`${(e as Error).message}${undo}`),
      );
  const result = { database: db, backup: backup ?? null, initScripts, migrations, seeds };
  write(result);
  if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else
    logger.info(
      `Reset '${db}': ${initScripts ? 'init scripts, ' : ''}${migrations.length} migration(s), ${o.skipSeed ? 'no seeds (--skipSeed)' : `${seeds.length} seed(s)`}.`,
    );
  return true;
}
