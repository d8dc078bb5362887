/**
 * Seeds: rows for development and tests, kept apart from the schema. They run with psql (so they
 * may use its meta-commands), every file in order inside one transaction: all seeded, or none.
 */
import { closeSync, existsSync, openSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConnectionSettings } from '../postgres/settings';
import { runTool, ToolInstall } from '../postgres/tools';
import { fail } from '../utils/errors';
import { seedFiles } from './migration-files';

export function listSeeds(dir: string): string[] {
  return existsSync(dir) ? seedFiles(readdirSync(dir)) : [];
}

/** A seed that cannot be read, as one sentence; checked before a change that the seeds end. */
export function unreadableSeed(dir: string, shownDir: string): string | undefined {
  for (const f of listSeeds(dir)) {
    try {
      closeSync(openSync(join(dir, f), 'r'));
      if (!statSync(join(dir, f)).isFile()) throw new Error('not a file');
    } catch (e) {
      return `Cannot read seed ${join(shownDir, f)} (${(e as Error).message}).`;
    }
  }
  return undefined;
}

export async function runSeeds(
  psql: ToolInstall,
  settings: ConnectionSettings,
  dir: string,
  shownDir: string,
  env?: NodeJS.ProcessEnv,
): Promise<string[]> {
  const seeds = listSeeds(dir);
  if (seeds.length === 0) return [];
  const run = await runTool(psql, {
    args: [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '--single-transaction',
      '--no-password',
      ...seeds.flatMap((f) => ['-f', join(dir, f)]),
    ],
    settings,
    env,
  });
  if (run.code === 0) return seeds;
  const m = /psql:([^\n]*?):(\d+): (?:ERROR|FATAL|error):\s*(.*)/.exec(run.stderr);
  const where = m ? `${join(shownDir, relative(dir, m[1]))} line ${m[2]}` : shownDir;
  const message = m ? m[3].trim() : run.stderr.trim().split('\n')[0] || `exit ${run.code}`;
  fail(
    `Seed ${where} failed: ${message}. Nothing was seeded: the seeds run in one transaction. Fix it and run db-seed again.`,
  );
}
