import { ExecutorContext, logger } from '@nx/devkit';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ignoreInGit } from '../../postgres/gitignore';
import {
  checkPortFree,
  checkTraversable,
  findServerBinaries,
  initdb,
  isInitialised,
  pgCtl,
  prepareDataDir,
  removeDataDir,
  runInitScripts,
  runningPid,
  serverUser,
  ServerBinaries,
  startServer,
  stopServer,
} from '../../postgres/local-server';
import { maskedUrl } from '../../postgres/settings';
import { findTool } from '../../postgres/tools';
import { fail } from '../../utils/errors';
import { askHidden, canPrompt } from '../db-values/prompt';
import { guarded } from '../executor-target';
import { LocalDatabase, localDatabase } from '../local-database';
import { DbUpExecutorSchema } from './schema';

export default async function dbUpExecutor(
  options: DbUpExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return guarded(() => up(options, context));
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

async function up(o: DbUpExecutorSchema, context: ExecutorContext): Promise<boolean> {
  const db = localDatabase(o, context);
  const s = db.target.settings;
  const id = db.target.moduleId;
  const bin = findServerBinaries(context.root, db.major, o.pgBinDir);
  const runAs = serverUser(!!o.createSystemUser || !!process.env['CI']);
  prepareDataDir(db.dataDir, runAs);
  checkTraversable(db.dataDir, runAs);
  ignoreInGit(context.root, db.dataDir, 'folder');
  for (const n of db.notes) logger.warn(n);

  if (o.reset) {
    await confirmReset(o, db);
    stopServer(bin, db.pgdata, runAs);
    removeDataDir(db.pgdata);
    logger.info(`Deleted the data of '${id}' in ${db.shownDataDir}.`);
  }
  const pid = runningPid(db.pgdata);
  if (pid) {
    logger.info(`The local server of '${id}' is already running (pid ${pid}).`);
    report(db, bin, context.projectName);
    return true;
  }
  await checkPortFree(s.port);
  const socketDir = db.dataDir.length < 80 ? db.dataDir : '/tmp';
  const log = join(db.dataDir, 'server.log');
  const start = {
    bin,
    pgdata: db.pgdata,
    port: s.port,
    socketDir,
    settings: db.settings,
    log,
    runAs,
  };
  if (!isInitialised(db.pgdata)) await firstStart(db, bin, start);
  else startServer(start);

  report(db, bin, context.projectName);
  if (o.detach) return true;
  // The foreground: until Ctrl-C (or Nx stopping a continuous task), then a clean stop.
  logger.info('Running in the foreground; Ctrl-C stops the server.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  stopServer(bin, db.pgdata, runAs);
  logger.info(`Stopped the local server of '${id}'.`);
  return true;
}

/**
 * initdb and the init bundle, as the image does on an empty volume. While the scripts run, the
 * server takes connections only on its socket (pg_hba.conf has no host line yet); afterwards the
 * host lines come back with a reload, not a restart. A failure removes the data folder.
 */
async function firstStart(
  db: LocalDatabase,
  bin: ServerBinaries,
  start: Parameters<typeof startServer>[0],
): Promise<void> {
  const s = db.target.settings;
  if (s.password === undefined && db.authMethod !== 'trust') {
    fail(
      `The database is not initialised and no superuser password is given (the image refuses this too). Set ${s.sources.password === 'none' ? 'POSTGRES_PASSWORD' : s.sources.password}, or write an env file with nx run <database>:db-values --envFile .env.${db.target.moduleId} --noPt --generatePassword.`,
    );
  }
  const psql = findTool(
    'psql',
    { minMajor: Math.max(15, bin.major), why: 'the init scripts use \\getenv' },
    { env: process.env },
  );
  removeDataDir(db.pgdata);
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
    const hba = join(db.pgdata, 'pg_hba.conf');
    const full = readFileSync(hba, 'utf-8');
    writeFileSync(hba, 'local all all trust\n');
    startServer(start);
    runInitScripts({
      psql,
      socketDir: start.socketDir,
      port: start.port,
      user: s.user,
      database: s.database,
      bundle: db.bundle,
      env: db.scriptEnv,
    });
    writeFileSync(hba, full);
    const reload = pgCtl(bin, ['-D', db.pgdata, 'reload'], start.runAs, db.dataDir);
    if (reload.status !== 0) fail(`pg_ctl reload failed: ${reload.stderr.trim()}`);
    logger.info(
      `Initialised '${db.target.moduleId}' in ${db.shownDataDir}${db.bundle && existsSync(db.bundle) ? ' and ran its init scripts' : ''}.`,
    );
  } catch (e) {
    try {
      stopServer(bin, db.pgdata, start.runAs);
    } finally {
      removeDataDir(db.pgdata);
    }
    throw e;
  }
}

function report(db: LocalDatabase, bin: ServerBinaries, project = '<database>'): void {
  const s = db.target.settings;
  logger.info(
    [
      `PostgreSQL ${bin.version} for module '${db.target.moduleId}' is up at localhost:${s.port} (data: ${db.shownDataDir}, log: ${join(db.shownDataDir, 'server.log')}).`,
      `  user      ${s.user}`,
      `  password  ${s.password ? '****' : '(none)'}  (from ${s.sources.password})`,
      `  database  ${s.database}`,
      `  DATABASE_URL=${maskedUrl({ ...s, host: 'localhost' })}`,
      `Stop it with: nx run ${project}:db-down`,
    ].join('\n'),
  );
}
