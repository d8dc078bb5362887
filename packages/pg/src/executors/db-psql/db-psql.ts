import { ExecutorContext } from '@nx/devkit';
import { serverMajor, withClient } from '../../postgres/connect';
import { findTool, runTool } from '../../postgres/tools';
import { fail } from '../../utils/errors';
import { guarded, resolveTarget } from '../executor-target';
import { DbPsqlExecutorSchema } from './schema';

/** Options of psql that would bypass the resolved connection or put a secret on the command line. */
const CONNECTION_FLAGS = /^(-h|--host|-p|--port|-U|--username|-d|--dbname|-W|--password)(=|$)/;

export default async function dbPsqlExecutor(
  options: DbPsqlExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return guarded(async () => {
    const args = (options.args ?? []).map(String);
    const bad = args.find((a) => CONNECTION_FLAGS.test(a));
    if (bad) {
      fail(
        `${bad} is not passed to psql: the connection comes from the target's options and the environment (--host, --port, --database, --user; see docs/executors/connection.md).`,
      );
    }
    const { settings } = resolveTarget(options, context);
    const server = await withClient(
      settings,
      { timeoutSeconds: options.timeout ?? 5 },
      serverMajor,
    );
    const psql = findTool(
      'psql',
      { minMajor: server.major, why: `the server runs PostgreSQL ${server.version}` },
      { pgBinDir: options.pgBinDir, env: process.env },
    );
    // The terminal goes straight to psql; its exit code is ours.
    const run = await runTool(psql, {
      args: ['-v', 'ON_ERROR_STOP=1', ...args],
      settings,
      stdio: 'inherit',
    });
    return run.code === 0;
  });
}
