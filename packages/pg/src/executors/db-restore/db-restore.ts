import { ExecutorContext, logger } from '@nx/devkit';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Client } from 'pg';
import { BackupInfo, inspectBackup } from '../../postgres/backup-inspect';
import { listBackups, newBackupName, outputDirOf, SAFETY_DIR } from '../../postgres/backup-files';
import { connect, ConnectionError, serverMajor, withClient } from '../../postgres/connect';
import {
  allowConnections,
  createDatabaseLike,
  databaseExists,
  disconnectAll,
  dropDatabase,
  ident,
  otherConnections,
  relationCount,
  roleNames,
  swapDatabases,
  tableRows,
} from '../../postgres/databases';
import { dumpDatabase } from '../../postgres/dump';
import {
  isDataOnly,
  loadBackup,
  LoadRequest,
  rolesInScript,
  scriptLines,
} from '../../postgres/restore';
import { ConnectionSettings } from '../../postgres/settings';
import { findTool, ToolInstall } from '../../postgres/tools';
import { fail } from '../../utils/errors';
import { guarded, note, resolveTarget } from '../executor-target';
import { DbRestoreExecutorSchema } from './schema';

export default async function dbRestoreExecutor(
  options: DbRestoreExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return guarded(() => restore(options, context));
}

interface Plan {
  file: string;
  shownFile: string;
  info: BackupInfo;
  tool: ToolInstall;
  pgDump?: ToolInstall;
  exists: boolean;
  /** Restore into a new database and swap it in: --clean, or parallel jobs, which cannot be atomic. */
  swap: boolean;
}

/** The maintenance connection: the `postgres` database, or `template1` where there is none. */
async function maintenance(s: ConnectionSettings, timeoutSeconds: number): Promise<Client> {
  try {
    return await connect(s, { timeoutSeconds, database: 'postgres' });
  } catch (e) {
    if (e instanceof ConnectionError && e.failure.kind === 'database-missing')
      return connect(s, { timeoutSeconds, database: 'template1' });
    throw e;
  }
}

function chooseFile(
  o: DbRestoreExecutorSchema,
  root: string,
  dir: string,
  shownDir: string,
  database: string,
) {
  if (o.file) {
    const file = resolve(root, o.file);
    if (!existsSync(file)) fail(`--file ${o.file} does not exist.`);
    return { file, shownFile: relative(root, file) || file };
  }
  const newest = listBackups(dir, database)[0];
  if (!newest) {
    fail(
      `No backup of '${database}' in ${shownDir}/ to restore. Give one with --file, or make one with db-backup.`,
    );
  }
  return { file: newest.path, shownFile: join(shownDir, newest.name) };
}

async function restore(o: DbRestoreExecutorSchema, context: ExecutorContext): Promise<boolean> {
  if (o.jobs !== undefined && (!Number.isInteger(o.jobs) || o.jobs < 1))
    fail(`Invalid --jobs ${o.jobs}: give a whole number, 1 or more.`);
  const timeoutSeconds = o.timeout ?? 5;
  const target = resolveTarget(o, context);
  const s = target.settings;
  const db = s.database;
  const { dir, shown } = outputDirOf(o, target.moduleId, context.root);
  const started = Date.now();

  const admin = await maintenance(s, timeoutSeconds);
  let loadedRows: number | undefined;
  try {
    const server = await serverMajor(admin);
    const { file, shownFile } = chooseFile(o, context.root, dir, shown, db);
    const info = inspectBackup(file);
    if (info.kind === 'plain' && o.jobs && o.jobs > 1)
      fail(
        '--jobs needs an archive (custom or directory format); a plain script runs in one psql session.',
      );
    if (info.kind === 'plain' && o.noOwner) {
      fail(
        `${shownFile} is a plain script, whose owners were fixed when it was written. Back up with --noOwner, or use --format custom, whose owners pg_restore can leave out.`,
      );
    }
    const writerMajor = info.writer?.major ?? 0;
    const minMajor = Math.max(server.major, writerMajor);
    const toolName = info.kind === 'plain' ? 'psql' : 'pg_restore';
    const why = `the server runs PostgreSQL ${server.version}${info.writer ? ` and the backup was written by pg_dump ${info.writer.version}` : ''}`;
    const search = { pgBinDir: o.pgBinDir, env: process.env };
    const tool = findTool(toolName, { minMajor, why }, search);

    const exists = await databaseExists(admin, db);
    if (!exists && !o.createDatabase) {
      fail(
        `Database '${db}' does not exist on ${s.host}:${s.port}. Add --createDatabase to create it, or check the name (from ${s.sources.database}).`,
      );
    }
    let dataOnly = false;
    if (exists && !o.clean) {
      const n = await withClient(s, { timeoutSeconds }, relationCount);
      dataOnly = n > 0 && (await isDataOnly({ install: tool, settings: s, file, info }));
      if (dataOnly && (o.jobs ?? 1) > 1)
        fail(
          '--jobs cannot load a data-only backup into existing tables all or nothing; leave it out.',
        );
      if (dataOnly)
        note(
          o.json,
          `${shownFile} holds rows only: loading them into the existing tables of '${db}', in one transaction.`,
        );
      if (n > 0 && !dataOnly) {
        fail(
          `Database '${db}' is not empty (${n} tables, views or sequences); restoring into it would mix old and new data. Use --clean to replace it (a safety backup is taken first). Nothing was changed.`,
        );
      }
    }
    const swap = exists && !dataOnly && (!!o.clean || (o.jobs ?? 1) > 1);
    if (swap) await checkConnections(admin, db, !!o.force);
    const pgDump =
      swap && o.clean
        ? findTool(
            'pg_dump',
            {
              minMajor: server.major,
              why: `the safety backup of '${db}' (server ${server.version})`,
            },
            search,
          )
        : undefined;
    const plan: Plan = { file, shownFile, info, tool, pgDump, exists, swap };
    if ((o.jobs ?? 1) > 1)
      note(
        o.json,
        `--jobs ${o.jobs}: pg_restore cannot run in parallel inside one transaction, so it restores into a new database that replaces '${db}' only when complete.`,
      );
    loadedRows = await execute(plan, o, admin, s, dir, shown);
  } finally {
    await admin.end().catch(() => undefined);
  }
  const counts = await withClient(s, { timeoutSeconds }, (c) => tableRows(c, loadedRows));
  const seconds = (Date.now() - started) / 1000;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ database: db, tables: counts.tables, rows: counts.rows, seconds })}\n`,
    );
  } else {
    logger.info(
      `Restored '${db}': ${counts.tables} tables, ${counts.rows} rows, in ${seconds.toFixed(1)} s.`,
    );
  }
  return true;
}

async function checkConnections(admin: Client, db: string, force: boolean): Promise<void> {
  const open = await otherConnections(admin, db);
  if (open.count > 0 && !force) {
    fail(
      `${open.count} open connection(s) to '${db}' (${open.apps.join(', ')}) stop it being replaced. Close them, or add --force to end them. Nothing was changed.`,
    );
  }
}

async function execute(
  plan: Plan,
  o: DbRestoreExecutorSchema,
  admin: Client,
  s: ConnectionSettings,
  dir: string,
  shownDir: string,
): Promise<number | undefined> {
  const db = s.database;
  const request = (database: string): LoadRequest => ({
    install: plan.tool,
    settings: s,
    database,
    file: plan.file,
    info: plan.info,
    jobs: o.jobs,
    noOwner: o.noOwner,
  });

  if (!plan.exists) {
    await admin.query(`CREATE DATABASE ${ident(db)}`);
    note(o.json, `Created database '${db}'.`);
    return loadOrUndo(request(db), admin, db, plan);
  }
  if (!plan.swap) {
    // One transaction: a failure leaves the (empty) target as it was.
    return loadOrUndo(request(db), admin, null, plan);
  }
  if (plan.pgDump) {
    const safetyDir = join(dir, SAFETY_DIR);
    const safety = await dumpDatabase({
      install: plan.pgDump,
      settings: s,
      format: 'custom',
      compress: false,
      dir: safetyDir,
      name: newBackupName(safetyDir, db, 'custom', false),
    });
    note(
      o.json,
      `Safety backup of the current '${db}': ${join(shownDir, SAFETY_DIR, relative(safetyDir, safety.path))} (to go back: db-restore --file <it> --clean).`,
    );
  }
  const suffix = randomBytes(4).toString('hex');
  const staging = `${db.slice(0, 40)}_restore_${suffix}`;
  const old = `${db.slice(0, 40)}_replaced_${suffix}`;
  await createDatabaseLike(admin, staging, db);
  const rows = await loadOrUndo(request(staging), admin, staging, plan);
  try {
    await checkConnections(admin, db, !!o.force);
    if (o.force) await disconnectAll(admin, db);
    const { dropped } = await swapDatabases(admin, db, staging, old);
    if (!dropped)
      note(
        o.json,
        `The replaced database is kept as '${old}'; drop it when it is no longer in use.`,
      );
  } catch (e) {
    await allowConnections(admin, db).catch(() => undefined);
    await dropDatabase(admin, staging).catch(() => undefined);
    throw e;
  }
  return rows;
}

/** Loads the backup; on failure drops `undo` (a database made for this restore) and explains. */
async function loadOrUndo(
  r: LoadRequest,
  admin: Client,
  undo: string | null,
  plan: Plan,
): Promise<number | undefined> {
  const result = await loadBackup(r);
  if (result.ok) return result.rows;
  if (undo) await dropDatabase(admin, undo).catch(() => undefined);
  const unchanged = plan.exists
    ? `'${r.settings.database}' is as it was`
    : `'${r.settings.database}' was not created`;
  if (result.missingRole) {
    const needed = await rolesInScript(await scriptLines(r));
    const have = await roleNames(admin);
    const missing = [...needed].filter((x) => !have.has(x)).sort();
    const names = (missing.length ? missing : [result.missingRole]).join(', ');
    fail(
      `The backup needs roles that do not exist on this server: ${names}. Create them first, or restore with --noOwner (custom or directory backups; then your user owns everything). ${unchanged}.`,
    );
  }
  fail(
    `Restore of ${plan.shownFile} failed with ${r.install.path.split('/').pop()} ${r.install.version}: ${result.error}. ${unchanged}.`,
  );
}
