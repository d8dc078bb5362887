/**
 * db-reset: a development database made anew from its sources: drop it, create it like it was
 * (owner, locale, settings), run its init bundle, apply every migration, then the seeds. Only on
 * this machine unless --force, only after a confirmation, and only after a safety backup.
 */
import { ExecutorContext, logger } from '@nx/devkit';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { createInterface } from 'node:readline';
import { applyPending } from '../../migrations/migrate';
import { runSeeds } from '../../migrations/seeds';
import {
  createDatabaseLike,
  databaseExists,
  disconnectAll,
  dropDatabase,
  ident,
  otherConnections,
} from '../../postgres/databases';
import { runTool } from '../../postgres/tools';
import { fail } from '../../utils/errors';
import { canPrompt } from '../db-values/prompt';
import { guarded, note, resolveTarget } from '../executor-target';
import { localDatabase } from '../local-database';
import {
  clientTool,
  maintenance,
  migrationTarget,
  safetyBackup,
  ServerVersion,
  serverVersion,
} from '../migration-target';
import { DbResetExecutorSchema } from './schema';

export default async function dbResetExecutor(
  options: DbResetExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return guarded(() => reset(options, context));
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

async function reset(o: DbResetExecutorSchema, context: ExecutorContext): Promise<boolean> {
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

  const admin = await maintenance(s, o.timeout ?? 5, 'postgres');
  let backup: string | undefined;
  let server: ServerVersion;
  try {
    server = await serverVersion(admin);
    const exists = await databaseExists(admin, db);
    if (exists) {
      const open = await otherConnections(admin, db);
      if (open.count > 0 && !o.force)
        fail(
          `${open.count} open connection(s) to '${db}' (${open.apps.join(', ')}); close them, or add --force to end them. Nothing was changed.`,
        );
      backup = await safetyBackup(t, o, context, 'the reset', server);
      // The new database is made like the old one while that still exists, then takes its name.
      const fresh = `${Buffer.from(db)
        .subarray(0, 40)
        .toString('utf-8')
        .replace(/\uFFFD+$/, '')}_reset_${randomBytes(4).toString('hex')}`;
      await createDatabaseLike(admin, fresh, db);
      try {
        await disconnectAll(admin, db);
        await dropDatabase(admin, db);
      } catch (e) {
        await dropDatabase(admin, fresh).catch(() => undefined);
        throw e;
      }
      await admin.query(`ALTER DATABASE ${ident(fresh)} RENAME TO ${ident(db)}`);
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
  if (o.json)
    process.stdout.write(
      `${JSON.stringify({ database: db, backup: backup ?? null, initScripts, migrations, seeds })}\n`,
    );
  else
    logger.info(
      `Reset '${db}': ${initScripts ? 'init scripts, ' : ''}${migrations.length} migration(s), ${o.skipSeed ? 'no seeds (--skipSeed)' : `${seeds.length} seed(s)`}.`,
    );
  return true;
}
