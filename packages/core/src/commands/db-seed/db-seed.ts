import type { RunContext } from '../run-context';
import { logger } from '../../utils/logger';
import { readSeedFolder, runSeeds } from '../../migrations/seeds';
import { guardedWithOutputFile, note } from '../executor-target';
import { serverMajor, withClient } from '../../postgres/connect';
import { clientTool, migrationTarget } from '../migration-target';
import { DbSeedExecutorSchema } from './schema';
import { generatorCommand } from '../../utils/commands';

export default async function dbSeedExecutor(
  options: DbSeedExecutorSchema,
  context: RunContext,
): Promise<{ success: boolean }> {
  return guardedWithOutputFile(context.root, options.outputFile, async (write) => {
    const t = migrationTarget(options, context, false);
    const server = await withClient(
      t.target.settings,
      { timeoutSeconds: options.timeout ?? 5 },
      serverMajor,
    );
    const db = t.target.settings.database;
    const seeds = await runSeeds(
      clientTool(server, options, 'psql'),
      t.target.settings,
      t.seedsDir,
      t.shownSeedsDir,
      { ...(t.target.envFile ?? {}), ...process.env },
      (line) => note(options.json, line),
    );
    const result = { database: db, seeds, ignored: readSeedFolder(t.seedsDir).ignored };
    write(result);
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (seeds.length === 0)
      logger.info(
        `No seeds in ${t.shownSeedsDir}; add one with ${generatorCommand('seed')} <name>. Nothing was run.`,
      );
    else
      logger.info(
        `Seeded '${db}' with ${seeds.length} file(s) of ${t.shownSeedsDir}, in one transaction: ${seeds.join(', ')}.`,
      );
    return true;
  });
}
