import { asideName, leftBehind, leftBehindMessage, putBackSql } from '../../postgres/left-behind';
import type { RunContext } from '../run-context';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { BackupInfo, inspectBackup } from '../../postgres/backup-inspect';
import {
  derivedDatabaseName,
  listBackups,
  newestBackup,
  outputDirOf,
  SAFETY_DIR,
  shownPath,
  sizeOf,
} from '../../postgres/backup-files';
import { backupProblem } from '../../postgres/backup-verify';
import { maintenanceConnection, serverMajor, withClient } from '../../postgres/connect';
import {
  createDatabaseLike,
  databaseExists,
  dropDatabase,
  ident,
  lockDatabase,
  openSessionsMessage,
  otherConnections,
  roleNames,
  swapDatabases,
  tableRows,
  tablesWithRows,
  userObjects,
  waitForNoConnections,
} from '../../postgres/databases';
import { abandonedNote, dumpDatabase, removeAbandonedPartials } from '../../postgres/dump';
import { Interrupt, interruptible, shielded } from '../../postgres/interrupt';
import {
  dataOnlyTables,
  loadBackup,
  LoadRequest,
  rolesInScript,
  scriptLines,
} from '../../postgres/restore';
import { ConnectionSettings } from '../../postgres/settings';
import { findTool, ToolInstall } from '../../postgres/tools';
import { fail } from '../../utils/errors';
import { logger } from '../../utils/logger';
import { targetCommand } from '../../utils/commands';
import { shellQuote } from '../../polytope/pt-cli';
import { guardedWithOutputFile, note, resolveTarget } from '../executor-target';
import { DbRestoreExecutorSchema } from './schema';

export default async function dbRestoreExecutor(
  options: DbRestoreExecutorSchema,
  context: RunContext,
): Promise<{ success: boolean }> {
  return guardedWithOutputFile(context.root, options.outputFile, (write) =>
    restore(options, context, write),
  );
}

interface Plan {
  file: string;
  shownFile: string;
  info: BackupInfo;
  tool: ToolInstall;
  serverVersion: string;
  /** For the safety backup, when one is needed. */
  pgDump?: ToolInstall;
  exists: boolean;
  /** Restore into a new database and swap it in: --clean, or parallel jobs, which cannot be atomic. */
  swap: boolean;
  /** A data-only backup loaded into existing tables (sequences never move backwards). */
  dataOnly: boolean;
  /** psql, which loads a data-only archive as a script (pg_restore converts it). */
  psql?: ToolInstall;
  /** The project it runs for, to print the command that goes back. */
  project?: string;
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
    return { file, shownFile: shownPath(root, file) };
  }
  const newest = newestBackup(dir, database);
  if (!newest) {
    fail(
      `No full backup of '${database}' in ${shownDir}/ to restore. Give one with --file, or make one with db-backup (see them with db-restore --list).`,
    );
  }
  return { file: newest.path, shownFile: join(shownDir, newest.name) };
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function megabytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** db-restore --list: this database's backups, newest first. */
function listAll(
  o: DbRestoreExecutorSchema,
  dir: string,
  shown: string,
  db: string,
  write: (result: object) => void,
): boolean {
  const entries = listBackups(dir, db).map((e) => ({
    file: join(shown, e.name),
    kind: e.kind,
    format: e.compress ? 'plain (gzip)' : e.format,
    bytes: sizeOf(e.path),
    time: e.time.toISOString(),
    serverVersion: e.serverVersion,
  }));
  write({ backups: entries });
  if (o.json) {
    process.stdout.write(`${JSON.stringify(entries)}\n`);
    return true;
  }
  if (entries.length === 0) {
    logger.info(`No backups of '${db}' in ${shown}/.`);
    return true;
  }
  logger.info(`Backups of '${db}' in ${shown}/, newest first:`);
  for (const e of entries)
    logger.info(
      `  ${e.time}  ${e.kind.padEnd(6)}  ${e.format.padEnd(12)}  ${megabytes(e.bytes).padStart(9)}  PostgreSQL ${e.serverVersion}  ${e.file}`,
    );
  return true;
}

async function restore(
  o: DbRestoreExecutorSchema,
  context: RunContext,
  write: (result: object) => void,
): Promise<boolean> {
  if (o.jobs !== undefined && (!Number.isInteger(o.jobs) || o.jobs < 1))
    fail(`Invalid --jobs ${o.jobs}: give a whole number, 1 or more.`);
  const timeoutSeconds = o.timeout ?? 5;
  const target = resolveTarget(o, context);
  const s = target.settings;
  const db = s.database;
  const { dir, shown } = outputDirOf(o, target.moduleId, context.root);
  if (o.list) {
    const removed = [dir, join(dir, SAFETY_DIR)].flatMap(removeAbandonedPartials);
    const abandoned = abandonedNote(removed, context.root);
    if (abandoned) note(o.json, abandoned);
    return listAll(o, dir, shown, db, write);
  }
  const started = Date.now();

  const { rows: loadedRows, shownFile } = await interruptible(async (intr) => {
    const admin = await maintenanceConnection(s, timeoutSeconds, db);
    try {
      const plan = {
        ...(await planRestore(o, context.root, admin, s, dir, shown, timeoutSeconds)),
        project: context.projectName,
      };
      return {
        rows: await execute(plan, o, admin, s, dir, shown, intr),
        shownFile: plan.shownFile,
      };
    } finally {
      await admin.end().catch(() => undefined);
    }
  });
  const counts = await withClient(s, { timeoutSeconds }, (c) => tableRows(c, loadedRows));
  const seconds = (Date.now() - started) / 1000;
  const json = { database: db, file: shownFile, tables: counts.tables, rows: counts.rows, seconds };
  write(json);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    logger.info(
      `Restored '${db}' from ${shownFile}: ${count(counts.tables, 'table')}, ${count(counts.rows, 'row')}, in ${seconds.toFixed(1)} s.`,
    );
  }
  return true;
}

/** Everything is checked here, before anything is changed. */
async function planRestore(
  o: DbRestoreExecutorSchema,
  root: string,
  admin: Client,
  s: ConnectionSettings,
  dir: string,
  shown: string,
  timeoutSeconds: number,
): Promise<Plan> {
  const db = s.database;
  const server = await serverMajor(admin);
  const { file, shownFile } = chooseFile(o, root, dir, shown, db);
  const info = inspectBackup(file, shownFile);
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
  if (!o.force) {
    const problem = await backupProblem(file, info, { install: tool, settings: s });
    if (problem)
      fail(
        `${shownFile} ${problem}. Nothing was changed. Restore another backup (db-restore --list), or add --force to load this one as it is.`,
      );
  }

  const left = leftBehindMessage(db, await leftBehind(admin, db));
  if (left?.refuse) fail(left.text);
  if (left) logger.warn(left.text);
  const exists = await databaseExists(admin, db);
  if (!exists && !o.createDatabase) {
    fail(
      `Database '${db}' does not exist on ${s.host}:${s.port}. Add --createDatabase to create it, or check the name (from ${s.sources.database}).`,
    );
  }
  const content = exists
    ? await withClient(s, { timeoutSeconds }, userObjects)
    : { count: 0, summary: '' };
  let dataOnly = false;
  let append = false;
  if (exists && !o.clean && content.count > 0) {
    const tables = await dataOnlyTables({ install: tool, settings: s, file, info });
    if (!tables) {
      fail(
        `Database '${db}' is not empty (${content.summary}); restoring into it would mix old and new data. Use --clean to replace it (a safety backup is taken first). Nothing was changed.`,
      );
    }
    if ((o.jobs ?? 1) > 1)
      fail(
        '--jobs cannot load a data-only backup into existing tables all or nothing; leave it out.',
      );
    dataOnly = true;
    const full = await withClient(s, { timeoutSeconds }, (c) => tablesWithRows(c, tables));
    if (full.length > 0 && !o.append) {
      fail(
        `${shownFile} holds rows only, and ${full.length === 1 ? '1 of its tables already has' : `${full.length} of its tables already have`} rows in '${db}' (${full.slice(0, 3).join(', ')}${full.length > 3 ? ', …' : ''}): loading would mix them. Add --append to add the rows anyway (after a safety backup; sequences never move backwards). Nothing was changed.`,
      );
    }
    append = full.length > 0;
    note(
      o.json,
      `${shownFile} holds rows only: loading them into the existing tables of '${db}', in one transaction.`,
    );
  }
  const swap = exists && !dataOnly && (!!o.clean || (o.jobs ?? 1) > 1);
  if (swap) await checkConnections(admin, db, !!o.force);
  // A database with no user object of any kind has nothing to lose; any other gets a safety backup.
  const pgDump =
    (swap && content.count > 0) || append
      ? findTool(
          'pg_dump',
          {
            minMajor: server.major,
            why: `the safety backup of '${db}' (server ${server.version})`,
          },
          search,
        )
      : undefined;
  if ((o.jobs ?? 1) > 1)
    note(
      o.json,
      `--jobs ${o.jobs}: pg_restore cannot run in parallel inside one transaction, so it restores into a new database that replaces '${db}' only when complete.`,
    );
  const psql =
    dataOnly && info.kind === 'archive' ? findTool('psql', { minMajor, why }, search) : undefined;
  return {
    file,
    shownFile,
    info,
    tool,
    psql,
    serverVersion: server.version,
    pgDump,
    exists,
    swap,
    dataOnly,
  };
}

async function checkConnections(admin: Client, db: string, force: boolean): Promise<void> {
  const open = await otherConnections(admin, db);
  if (open.count > 0 && !force) {
    fail(openSessionsMessage(db, open));
  }
}

async function safetyBackup(
  plan: Plan,
  o: DbRestoreExecutorSchema,
  s: ConnectionSettings,
  from: string,
  dir: string,
  shownDir: string,
  uninterruptible: boolean,
): Promise<void> {
  const safetyDir = join(dir, SAFETY_DIR);
  const safety = await dumpDatabase({
    install: plan.pgDump!,
    settings: s,
    database: from,
    nameFor: s.database,
    format: 'custom',
    compress: false,
    dir: safetyDir,
    serverVersion: plan.serverVersion,
    uninterruptible,
  });
  const file = join(shownDir, SAFETY_DIR, safety.name);
  const back = plan.project
    ? targetCommand(plan.project, 'db-restore', `--file ${shellQuote(file)} --clean`)
    : `db-restore --file ${shellQuote(file)} --clean`;
  note(o.json, `Safety backup of the current '${s.database}': ${file} (to go back: ${back}).`);
}

async function execute(
  plan: Plan,
  o: DbRestoreExecutorSchema,
  admin: Client,
  s: ConnectionSettings,
  dir: string,
  shownDir: string,
  intr: Interrupt,
): Promise<number | undefined> {
  const db = s.database;
  const request = (database: string): LoadRequest => ({
    install: plan.psql ?? plan.tool,
    settings: s,
    database,
    file: plan.file,
    info: plan.info,
    jobs: o.jobs,
    noOwner: o.noOwner,
    guardSequences: plan.dataOnly ? { converter: plan.tool } : undefined,
    onSpawn: (kill) => intr.track(kill),
  });
  const suffix = randomBytes(4).toString('hex');
  const staging = derivedDatabaseName(db, `_restore_${suffix}`);
  const unchanged = plan.exists ? `'${db}' is as it was` : `'${db}' was not created`;

  if (!plan.exists) {
    // Loaded under another name and renamed when complete: the target never exists half-loaded.
    await admin.query(`CREATE DATABASE ${ident(staging)}`);
    try {
      const rows = await load(request(staging), plan, admin, intr, unchanged);
      intr.check(`Restore interrupted; ${unchanged}`);
      await waitForNoConnections(admin, staging);
      await admin.query(`ALTER DATABASE ${ident(staging)} RENAME TO ${ident(db)}`);
      note(o.json, `Created database '${db}'.`);
      return rows;
    } catch (e) {
      await dropDatabase(admin, staging).catch(() => undefined);
      throw e;
    }
  }
  if (!plan.swap) {
    if (plan.pgDump) await safetyBackup(plan, o, s, db, dir, shownDir, false);
    intr.check(`Restore interrupted; ${unchanged}`);
    // One transaction: a failure leaves the target as it was.
    return load(request(db), plan, admin, intr, unchanged);
  }

  const old = derivedDatabaseName(db, `_replaced_${suffix}`);
  let rows: number | undefined;
  const { isTemplate } = await createDatabaseLike(admin, staging, db);
  try {
    rows = await load(request(staging), plan, admin, intr, unchanged);
    intr.check(`Restore interrupted; ${unchanged}`);
    // Closed from here to the swap: no session can write a row that would miss both the result
    // and the safety backup (which is taken of the old database, after the swap).
    const lock = await lockDatabase(admin, db, !!o.force);
    try {
      intr.check(`Restore interrupted; ${unchanged}`);
      await swapDatabases(
        admin,
        { target: db, staging, old },
        { isTemplate, allowConnections: lock.allowed },
      );
    } catch (e) {
      await lock.unlock().catch(() => undefined);
      throw e;
    }
  } catch (e) {
    await dropDatabase(admin, staging).catch(() => undefined);
    throw e;
  }
  await retire(plan, o, admin, s, old, dir, shownDir);
  return rows;
}

/**
 * The replaced database holds every row committed before it was closed: it is backed up (Ctrl-C
 * does not stop this: it is the way back), then dropped; kept if either fails.
 */
async function retire(
  plan: Plan,
  o: DbRestoreExecutorSchema,
  admin: Client,
  s: ConnectionSettings,
  old: string,
  dir: string,
  shownDir: string,
): Promise<void> {
  const { value: kept, signals } = await shielded(async () => {
    if (plan.pgDump) {
      try {
        await admin.query(`ALTER DATABASE ${ident(old)} ALLOW_CONNECTIONS true`);
        await safetyBackup(plan, o, s, old, dir, shownDir, true);
      } catch (e) {
        return `The safety backup of the replaced '${s.database}' failed (${(e as Error).message}); it is kept as database '${old}'. To go back to it: ${putBackSql(s.database, old, asideName(s.database, old))}`;
      }
    }
    try {
      await dropDatabase(admin, old);
      return undefined;
    } catch {
      return `The replaced database is kept as '${old}'; drop it when it is no longer in use.`;
    }
  });
  if (signals.length > 0)
    note(
      o.json,
      `${signals[0]} came after '${s.database}' was replaced; the safety backup of the old one was finished first.`,
    );
  // On stderr always: a database left behind must never go unsaid, with a terminal or without.
  if (kept) process.stderr.write(`${kept}\n`);
}

/** Loads the backup, or fails saying why and that nothing changed. */
async function load(
  r: LoadRequest,
  plan: Plan,
  admin: Client,
  intr: Interrupt,
  unchanged: string,
): Promise<number | undefined> {
  const result = await loadBackup(r);
  if (result.ok) return result.rows;
  // A tool stopped by a signal from outside (a host killing the process tree) may end before our
  // own signal is seen: wait for it a moment, to say it was an interruption.
  if (result.signal && !intr.signal) await new Promise((res) => setTimeout(res, 300));
  if (intr.signal) fail(`Restore interrupted (${intr.signal}); ${unchanged}.`);
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
