import { ExecutorContext, logger } from '@nx/devkit';
import {
  findServerBinaries,
  runningPid,
  serverUser,
  stopServer,
} from '../../postgres/local-server';
import { guarded } from '../executor-target';
import { localDatabase } from '../local-database';
import { DbDownExecutorSchema } from './schema';

export default async function dbDownExecutor(
  options: DbDownExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return guarded(async () => {
    const db = localDatabase(options, context);
    const pid = runningPid(db.pgdata);
    if (!pid) {
      logger.info(
        `The local server of '${db.target.moduleId}' is not running (data: ${db.shownDataDir}).`,
      );
      return true;
    }
    const bin = findServerBinaries(context.root, db.major, options.pgBinDir);
    stopServer(bin, db.pgdata, serverUser(false));
    logger.info(
      `Stopped the local server of '${db.target.moduleId}' (pid ${pid}); its data stays in ${db.shownDataDir}.`,
    );
    return true;
  });
}
