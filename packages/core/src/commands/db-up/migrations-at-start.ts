/**
 * db-up and the database project's migrations. On a new data folder they are applied right after
 * the init scripts, so a fresh local database has the schema the stack's migration step gives it.
 * On an existing one db-up only says what is pending: changing data someone has worked with is
 * db-migrate's, after its safety backup, never a side effect of starting the server.
 */
import { join } from 'node:path';
import {
  applyPending,
  listMigrationFiles,
  migrateContext,
  MigrateContext,
  readState,
} from '../../migrations/migrate';
import { MIGRATIONS_DIR } from '../../migrations/migration-files';
import { ConnectionError } from '../../postgres/connect';
import { ConnectionSettings } from '../../postgres/settings';
import { targetCommand } from '../../utils/commands';
import { PgPluginError } from '../../utils/errors';
import { logger } from '../../utils/logger';
import type { LocalDatabase } from '../local-database';

/** The migrations of `db`, or undefined when it has none (then dbmate is not needed either). */
function migrationsOf(
  db: LocalDatabase,
  settings: ConnectionSettings,
  timeoutSeconds: number,
  needDbmate: boolean,
  retry?: string,
): MigrateContext | undefined {
  if (listMigrationFiles(join(db.target.root, db.projectRoot, MIGRATIONS_DIR)).length === 0)
    return undefined;
  return migrateContext(db.target.root, db.projectRoot, settings, {
    timeoutSeconds,
    needDbmate,
    retry,
    // dbmate's line per file is db-migrate's to show; db-up says one line (or names the failure).
    report: (line) => {
      if (!/^(Applying|Applied): /.test(line)) logger.info(line);
    },
  });
}

export interface FirstStartServer {
  socketDir: string;
  port: number;
}

/**
 * Applies every migration to a database whose init scripts just ran, through the private socket
 * while pg_hba.conf still lets only that socket in: no app can connect between the scripts and the
 * migrations and see half a schema. The same lock as db-migrate, so a db-migrate started meanwhile
 * waits. No safety backup: the database is minutes old and holds only what its init scripts wrote,
 * which `db-up --reset` makes again; a failure keeps it as it is (each migration is one transaction).
 * Returns the line to print once the first start is complete, or the failure of a migration: that
 * is returned rather than thrown, since the cluster is whole and db-up keeps it.
 */
export async function migrateAfterInit(
  db: LocalDatabase,
  server: FirstStartServer,
  project: string,
  timeoutSeconds: number,
): Promise<{ line?: string; failure?: PgPluginError }> {
  const s = db.target.settings;
  const m = migrationsOf(
    db,
    { ...s, host: server.socketDir, port: server.port, sslmode: 'disable', passfile: undefined },
    timeoutSeconds,
    true,
    `apply it and the rest with ${targetCommand(project, 'db-migrate')}: db-up kept the new database with its init scripts`,
  );
  if (!m) return {};
  try {
    const { applied } = await applyPending(m, async () => undefined);
    return {
      line: `Applied ${applied.length} migration(s) from ${m.shownDir} after the init scripts (a new database: no safety backup needed).`,
    };
  } catch (e) {
    if (e instanceof PgPluginError) return { failure: e };
    if (e instanceof ConnectionError) return { failure: new PgPluginError(e.message) };
    throw e;
  }
}

/**
 * On a database that has data already: how many migrations it lacks, and the command that applies
 * them. A check that cannot connect is a warning: the server is up, which is what was asked.
 */
export async function notePending(
  db: LocalDatabase,
  port: number,
  project: string,
  timeoutSeconds: number,
): Promise<void> {
  const s = db.target.settings;
  const m = migrationsOf(db, { ...s, host: 'localhost', port }, timeoutSeconds, false);
  if (!m) return;
  try {
    const { pending } = await readState(m);
    if (pending.length === 0) return;
    logger.warn(
      `${pending.length} migration(s) of ${m.shownDir} are not applied to '${s.database}' yet (db-up applies them only to a new database). Apply them, after a safety backup, with: ${targetCommand(project, 'db-migrate')}`,
    );
  } catch (e) {
    logger.warn(
      `Could not check '${s.database}' for pending migrations of ${m.shownDir}: ${(e as Error).message}`,
    );
  }
}
