import type { RunContext } from '../run-context';
import { logger } from '../../utils/logger';
import {
  findServerBinaries,
  reachableBinaries,
  runningPid,
  serverUser,
  stopServer,
} from '../../postgres/local-server';
import { guarded } from '../executor-target';
import { forgetServer, localDatabase, refuseRemoteOptions } from '../local-database';
import { DbDownExecutorSchema } from './schema';

export default async function dbDownExecutor(
  options: DbDownExecutorSchema,
  context: RunContext,
): Promise<{ success: boolean }> {
  return guarded(async () => {
    refuseRemoteOptions(options, 'db-down');
    const runAs = serverUser(false);
    const db = localDatabase(options, context, runAs);
    const pid = runningPid(db.pgdata);
    if (!pid) {
      forgetServer(db);
      logger.info(
        `The local server of '${db.target.moduleId}' is not running (data: ${db.shownDataDir}).`,
      );
      return true;
    }
    const bin = reachableBinaries(
      findServerBinaries(context.root, db.major, options.pgBinDir),
      runAs,
    );
    stopServer(bin, db.pgdata, runAs);
    forgetServer(db);
    logger.info(
      `Stopped the local server of '${db.target.moduleId}' (pid ${pid}); its data stays in ${db.shownDataDir}.`,
    );
    return true;
  });
}
