import type { RunContext } from '../run-context';
import { serverMajor, withClient } from '../../postgres/connect';
import { findPsql, runTool } from '../../postgres/tools';
import { docsPath } from '../../utils/commands';
import { fail } from '../../utils/errors';
import { guarded, resolveTarget } from '../executor-target';
import { connectionOverride } from './psql-args';
import { DbPsqlExecutorSchema } from './schema';

export default async function dbPsqlExecutor(
  options: DbPsqlExecutorSchema,
  context: RunContext,
): Promise<{ success: boolean }> {
  return guarded(async () => {
    const args = (options.args ?? []).map(String);
    const bad = connectionOverride(args);
    if (bad !== undefined) {
      fail(
        `'${bad}' is not passed to psql: it would choose the connection, which comes from the target's options, the environment and the env file (--host, --port, --database, --user; see ${docsPath('executors/connection.md')}). Nothing was run.`,
      );
    }
    const { settings, envFile } = resolveTarget(options, context);
    const server = await withClient(
      settings,
      { timeoutSeconds: options.timeout ?? 5 },
      serverMajor,
    );
    const psql = findPsql(server, { pgBinDir: options.pgBinDir, env: process.env }, (m) =>
      process.stderr.write(`${m}\n`),
    );
    // The terminal goes straight to psql; its exit code is ours.
    const run = await runTool(psql, {
      args: ['-v', 'ON_ERROR_STOP=1', ...args],
      settings,
      env: { ...initScriptEnv(envFile), ...process.env },
      stdio: 'inherit',
    });
    return run.code === 0;
  });
}

/**
 * The init scripts' variables (PGINIT_<ROLE>_PASSWORD) from the env file, so a database-user script
 * runs against the live database as it does at init; the process environment wins, as everywhere.
 */
function initScriptEnv(envFile: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(envFile ?? {}).filter(([k]) => k.startsWith('PGINIT_')));
}
