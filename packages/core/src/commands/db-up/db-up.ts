import type { RunContext } from '../run-context';
import { logger } from '../../utils/logger';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { refreshBundle } from '../../init-scripts/bundle-on-disk';
import { ignoreInGit } from '../../postgres/gitignore';
import {
  checkDataDir,
  checkPortFree,
  checkTraversable,
  clusterMajor,
  INIT_MARKER,
  findServerBinaries,
  initdb,
  isInitialised,
  pgCtl,
  prepareDataDir,
  privateSocketDir,
  reachableBinaries,
  removeDataDir,
  removeSocketDir,
  runInitScripts,
  RunAs,
  runningPid,
  serverUser,
  ServerBinaries,
  startServer,
  stopServer,
} from '../../postgres/local-server';
import { withDataLock } from '../../postgres/data-lock';
import { maskedUrl } from '../../postgres/settings';
import { connectionEnvNames } from '../../postgres/env-names';
import { findPsql, ToolInstall } from '../../postgres/tools';
import { fail, PgPluginError } from '../../utils/errors';
import { unpinnedImageProblem, withMajor } from '../../polytope/image';
import { updateLocalState } from '../../workspace/local-state';
import { askHidden, canPrompt } from '../db-values/prompt';
import { guarded } from '../executor-target';
import {
  forgetServer,
  LocalDatabase,
  localDatabase,
  refuseRemoteOptions,
  runningServer,
} from '../local-database';
import { DbUpExecutorSchema } from './schema';
import { targetCommand } from '../../utils/commands';
import { migrateAfterInit, notePending } from './migrations-at-start';

export default async function dbUpExecutor(
  options: DbUpExecutorSchema,
  context: RunContext,
): Promise<{ success: boolean }> {
  // Caught in every mode: a Ctrl-C during a first start must undo it (a half-initialised cluster
  // still has its trust line), not kill this process before it can.
  const stop = catchStopSignals();
  try {
    return await guarded(() => up(options, context, stop));
  } finally {
    stop.release();
  }
}

interface StopSignals {
  wait(): Promise<void>;
  received(): boolean;
  release(): void;
}

/**
 * Ctrl-C, SIGTERM (Nx stopping a continuous task) and SIGHUP, caught from the first moment in the
 * foreground: one that comes while the server is still starting is kept, so the server this run
 * starts is stopped right after, not left behind by a process killed half-way.
 */
function catchStopSignals(): StopSignals {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  let received = false;
  let wake: (() => void) | undefined;
  const on = () => {
    received = true;
    wake?.();
  };
  for (const sig of signals) process.on(sig, on);
  return {
    wait: () => (received ? Promise.resolve() : new Promise<void>((r) => (wake = r))),
    received: () => received,
    release: () => {
      for (const sig of signals) process.off(sig, on);
    },
  };
}

async function confirmReset(o: DbUpExecutorSchema, db: LocalDatabase): Promise<void> {
  if (o.yes) return;
  if (!canPrompt())
    fail(
      `--reset deletes every database in ${db.shownDataDir}; add --yes to confirm. Nothing was deleted.`,
    );
  const answer = await askHidden(
    `Delete all data of '${db.target.moduleId}' in ${db.shownDataDir}? Type yes: `,
  );
  if (answer.trim() !== 'yes') fail('Not confirmed; nothing was deleted.');
}

/**
 * Who started a server, as far as one Nx invocation goes: the root nx process (its pid and start
 * time, so a reused pid never matches). db-up records it; the foreground target of the same
 * `nx serve` then knows the server is its own to stop.
 */
function invocation(): string | undefined {
  // Nx 23 names its root process; Nx 22 does not, but forks every task from it.
  const underNx = !!process.env['NX_TASK_TARGET_PROJECT'];
  const pid = process.env['NX_INVOCATION_ROOT_PID'] || (underNx ? String(process.ppid) : undefined);
  if (!pid || !/^\d+$/.test(pid)) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf-8');
    return `${pid}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return `${pid}:`;
  }
}

/** The server to run; an image with no major in its tag is named as the cause, with the fix. */
function serverBinaries(db: LocalDatabase, root: string, pgBinDir?: string): ServerBinaries {
  const unpinned = db.major === null && db.image && !pgBinDir;
  try {
    const found = findServerBinaries(root, db.major, pgBinDir);
    if (unpinned)
      logger.warn(
        `${unpinnedImageProblem(db.image!)}. This runs PostgreSQL ${found.major} (${found.from}); pin the module to it in ${db.target.record?.polytopeFile ?? 'polytope.yml'}: image: ${withMajor(db.image!, found.major)}.`,
      );
    return found;
  } catch (e) {
    if (!unpinned || !(e instanceof PgPluginError)) throw e;
    return fail(
      `${unpinnedImageProblem(db.image!)}. Pin the module in ${db.target.record?.polytopeFile ?? 'polytope.yml'} (image: ${withMajor(db.image!)}, or the major its data was made with), then install that server. ${e.message}`,
    );
  }
}

async function up(o: DbUpExecutorSchema, context: RunContext, stop: StopSignals): Promise<boolean> {
  refuseRemoteOptions(o, 'db-up');
  const runAs = serverUser(!!o.createSystemUser || !!process.env['CI']);
  const db = localDatabase(o, context, runAs);
  const project = context.projectName ?? db.target.moduleId;
  const found = serverBinaries(db, context.root, o.pgBinDir);
  db.makeDataParent();
  checkDataDir(db.dataDir, db.pgdata, db.shownDataDir);
  checkTraversable(db.dataDir, runAs);
  prepareDataDir(db.dataDir, db.pgdata, runAs);
  const made = clusterMajor(db.pgdata);
  if (made && made !== found.major && !o.reset)
    fail(
      `${join(db.shownDataDir, 'data')} holds a PostgreSQL ${made} cluster, but the server is ${found.version}: one major cannot open another's data. Back it up with a PostgreSQL ${made} server, or start over with --reset --yes (deletes it).`,
    );
  if (db.inWorkspace && ignoreInGit(context.root, db.dataDir, 'data'))
    logger.info(`Added /${db.shownDataDir}/ to .gitignore.`);
  for (const n of db.notes) logger.warn(n);
  const bin = reachableBinaries(found, runAs);
  if (bin.copiedFrom)
    logger.warn(
      `The server runs as '${runAs?.name}', which cannot reach ${bin.copiedFrom}; it runs a copy in ${bin.dir}.`,
    );

  const own = await withDataLock(db.dataDir, db.shownDataDir, () =>
    startOnce(o, db, bin, runAs, context.root, project, stop),
  );
  if (!o.foreground) {
    if (stop.received() && own) {
      stopServer(bin, db.pgdata, runAs);
      forgetServer(db);
      fail(
        `db-up was interrupted; stopped the local server of '${db.target.moduleId}' it had started.`,
      );
    }
    return true;
  }
  return serveUntilStopped(db, bin, runAs, own, project, stop);
}

/**
 * Under the data folder's lock: --reset, a server that runs already, or a start. Returns whether
 * this run owns the server (started it, or its Nx invocation's db-up did).
 */
async function startOnce(
  o: DbUpExecutorSchema,
  db: LocalDatabase,
  bin: ServerBinaries,
  runAs: RunAs | undefined,
  root: string,
  project: string,
  stop: StopSignals,
): Promise<boolean> {
  const s = db.target.settings;
  const id = db.target.moduleId;
  if (o.reset) {
    await confirmReset(o, db);
    stopServer(bin, db.pgdata, runAs);
    forgetServer(db);
    removeDataDir(db.pgdata);
    logger.info(`Deleted the data of '${id}' in ${db.shownDataDir}.`);
  } else if (existsSync(join(db.dataDir, INIT_MARKER)) && clusterMajor(db.pgdata)) {
    // Its first start was cut short (Ctrl-C, a crash): the scripts did not all run.
    stopServer(bin, db.pgdata, runAs);
    removeDataDir(db.pgdata);
    logger.warn(`The first start of '${id}' in ${db.shownDataDir} was cut short; starting over.`);
  }
  const running = runningServer(db);
  if (running) {
    if (o.port !== undefined && o.port !== running.port)
      fail(
        `The local server of '${id}' already runs at localhost:${running.port} (pid ${running.pid}), not on ${o.port}. To move it, stop it first: ${targetCommand(project, 'db-down')}.`,
      );
    logger.info(
      `The local server of '${id}' is already running at localhost:${running.port} (pid ${running.pid}).`,
    );
    report(db, bin.version, running.port, project);
    await notePending(db, running.port, project, o.timeout ?? 5);
    return !!running.startedBy && running.startedBy === invocation();
  }
  await checkPortFree(s.port);
  forgetServer(db); // a server that crashed: its record and socket folder
  const socketDir = privateSocketDir(runAs);
  const start = {
    bin,
    pgdata: db.pgdata,
    port: s.port,
    socketDir,
    settings: db.settings,
    log: join(db.dataDir, 'server.log'),
    runAs,
  };
  const fresh = !isInitialised(db.pgdata);
  let migrationFailure: PgPluginError | undefined;
  try {
    if (fresh)
      migrationFailure = await firstStart(db, root, project, bin, start, stop, o.timeout ?? 5);
    else startServer(start);
  } catch (e) {
    removeSocketDir(socketDir);
    throw e;
  }
  updateLocalState(root, db.projectRoot, {
    server: {
      host: 'localhost',
      port: s.port,
      pid: runningPid(db.pgdata) ?? 0,
      version: bin.version,
      dataDir: db.pgdata,
      socketDir,
      startedAt: new Date().toISOString(),
      startedBy: o.foreground ? undefined : invocation(),
    },
  });
  report(db, bin.version, s.port, project);
  if (migrationFailure) {
    // The data stays either way; a foreground run does not leave behind a server it started.
    if (o.foreground) {
      stopServer(bin, db.pgdata, runAs);
      forgetServer(db);
      logger.info(`Stopped the local server of '${id}'; its data is kept.`);
    }
    throw migrationFailure;
  }
  if (!fresh) await notePending(db, s.port, project, o.timeout ?? 5);
  return true;
}

/**
 * The foreground: until a stop signal. A timer keeps the process alive in any runner and notices a
 * server that went away. Only a server this run started is stopped at the end.
 */
async function serveUntilStopped(
  db: LocalDatabase,
  bin: ServerBinaries,
  runAs: RunAs | undefined,
  own: boolean,
  project: string,
  stop: StopSignals,
): Promise<boolean> {
  const id = db.target.moduleId;
  logger.info(
    own
      ? 'Running in the foreground; Ctrl-C stops the server.'
      : `This run did not start it: watching it until Ctrl-C, which leaves it running.`,
  );
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    stop.wait().then(() => 'signal' as const),
    new Promise<'gone'>((resolve) => {
      timer = setInterval(() => {
        if (!runningPid(db.pgdata)) resolve('gone');
      }, 500);
    }),
  ]);
  clearInterval(timer);
  if (outcome === 'gone') {
    forgetServer(db);
    fail(
      `The local server of '${id}' stopped while in use; see ${join(db.shownDataDir, 'server.log')}.`,
    );
  }
  if (!own) {
    logger.info(
      `Left the local server of '${id}' running; stop it with ${targetCommand(project, 'db-down')}.`,
    );
    return true;
  }
  stopServer(bin, db.pgdata, runAs);
  forgetServer(db);
  logger.info(`Stopped the local server of '${id}'.`);
  return true;
}

/** psql for the init scripts: the server's major or newer, else 15 or newer with a note. */
function initPsql(serverMajor: number): ToolInstall {
  return findPsql({ major: serverMajor, version: String(serverMajor) }, { env: process.env }, (m) =>
    logger.warn(m.replace('runs SQL against', 'runs the init scripts against')),
  );
}

/**
 * initdb and the init bundle, as the image does on an empty volume. While the scripts run,
 * pg_hba.conf has only a trust line for the private socket (TCP gets no line); afterwards the module's rules come
 * back with a reload, not a restart. A failure empties data/ (all of it db-up's own), except a
 * failing migration after complete init scripts: that is returned, and the cluster kept.
 */
async function firstStart(
  db: LocalDatabase,
  root: string,
  project: string,
  bin: ServerBinaries,
  start: Parameters<typeof startServer>[0],
  stop: StopSignals,
  timeoutSeconds: number,
): Promise<PgPluginError | undefined> {
  const s = db.target.settings;
  // The steps below block the event loop; a signal is delivered when it turns again.
  const check = async () => {
    await new Promise((r) => setImmediate(r));
    if (stop.received())
      fail(
        `db-up was interrupted during the first start of '${db.target.moduleId}'; the half-made data folder was removed, so the next db-up starts over.`,
      );
  };
  if (s.password === undefined && db.authMethod !== 'trust') {
    fail(
      `The database is not initialised and no superuser password is given (the image refuses this too). Set ${s.sources.password === 'none' ? 'POSTGRES_PASSWORD' : s.sources.password}, or write an env file with ${targetCommand(project, 'db-values', `--envFile .env.${db.target.moduleId} --noPt --generatePassword`)}.`,
    );
  }
  const psql = initPsql(bin.major);
  if (db.bundle && refreshBundle(root, db.bundle))
    logger.warn(
      `The init bundle did not match the scripts beside it; rebuilt it as nx sync does (commit ${db.bundle.slice(root.length + 1)}).`,
    );
  removeDataDir(db.pgdata);
  const marker = join(db.dataDir, INIT_MARKER);
  writeFileSync(marker, `${process.pid}\n`);
  try {
    initdb({
      bin,
      pgdata: db.pgdata,
      user: s.user,
      password: s.password,
      authMethod: db.authMethod,
      initdbArgs: db.initdbArgs,
      runAs: start.runAs,
    });
    await check();
    const hba = join(db.pgdata, 'pg_hba.conf');
    const full = readFileSync(hba, 'utf-8');
    writeFileSync(hba, 'local all all trust\n');
    startServer(start);
    await check();
    runInitScripts({
      psql,
      socketDir: start.socketDir,
      port: start.port,
      user: s.user,
      database: s.database,
      bundle: db.bundle,
      env: db.scriptEnv,
    });
    await check();
    const migrations = await migrateAfterInit(
      db,
      { socketDir: start.socketDir, port: start.port },
      project,
      timeoutSeconds,
    );
    writeFileSync(hba, full);
    const reload = pgCtl(bin, ['-D', db.pgdata, 'reload'], start.runAs, db.dataDir);
    if (reload.status !== 0) fail(`pg_ctl reload failed: ${reload.stderr.trim()}`);
    rmSync(marker);
    logger.info(
      `Initialised '${db.target.moduleId}' in ${db.shownDataDir}${db.bundle ? ' and ran its init scripts' : ''}.`,
    );
    if (migrations.line) logger.info(migrations.line);
    return migrations.failure;
  } catch (e) {
    try {
      stopServer(bin, db.pgdata, start.runAs);
    } finally {
      removeDataDir(db.pgdata);
      rmSync(marker, { force: true });
    }
    throw e;
  }
}

function report(db: LocalDatabase, version: string, port: number, project: string): void {
  const s = db.target.settings;
  logger.info(
    [
      `PostgreSQL ${version} for module '${db.target.moduleId}' is up at localhost:${port} (data: ${db.shownDataDir}, log: ${join(db.shownDataDir, 'server.log')}).`,
      `  user      ${s.user}`,
      `  password  ${s.password ? '****' : '(none)'}  (from ${s.sources.password})`,
      `  database  ${s.database}`,
      `  DATABASE_URL=${maskedUrl({ ...s, host: 'localhost', port })}`,
      `Stop it with: ${targetCommand(project, 'db-down')}`,
    ].join('\n'),
  );
  // The env file is what apps and the printed checks read: on another port they would reach
  // whatever listens there, perhaps another checkout's database.
  const file = db.target.record?.envFile;
  const portName = connectionEnvNames(db.target.moduleId).port;
  const written = db.target.envFile?.[portName];
  if (file && written !== undefined && written !== String(port))
    logger.warn(
      `${file} says ${portName}=${written}, but this server listens on ${port}: apps and scripts that read ${file} reach whatever listens on ${written}. Write it again: ${targetCommand(project, 'db-values', `--envFile ${file} --noPt --exposedPort ${port}`)}`,
    );
}
