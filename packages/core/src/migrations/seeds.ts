/**
 * Seeds: rows for development and tests, kept apart from the schema. They run with psql (so they
 * may use its meta-commands), every file in order inside one transaction: all seeded, or none.
 */
import { closeSync, existsSync, openSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConnectionSettings } from '../postgres/settings';
import { runTool, ToolInstall } from '../postgres/tools';
import { fail } from '../utils/errors';
import { logger } from '../utils/logger';
import { seedFolder } from './migration-files';

/** The seeds of the folder, and its `.sql` files that are not seeds by their names. */
export function readSeedFolder(dir: string): { seeds: string[]; ignored: string[] } {
  if (!existsSync(dir)) return { seeds: [], ignored: [] };
  return seedFolder(
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.isDirectory())
      .map((e) => e.name),
  );
}

export function listSeeds(dir: string): string[] {
  return readSeedFolder(dir).seeds;
}

/** The note naming the files a run passes over, or undefined. */
export function ignoredSeedsNote(ignored: string[]): string | undefined {
  return ignored.length
    ? `Not seeds by their names, so never run: ${ignored.join(', ')} (a seed is NNN-<name>.sql, e.g. 001-customers.sql).`
    : undefined;
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
  /** Where the note about files that are not seeds goes (a warning on stderr by default). */
  report: (line: string) => void = (line) => logger.warn(line),
): Promise<string[]> {
  const { seeds, ignored } = readSeedFolder(dir);
  const note = ignoredSeedsNote(ignored);
  if (note) report(note);
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
