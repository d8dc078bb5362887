/**
 * What db-migrate, db-seed and db-reset share: the database project's folders of migrations and
 * seeds, dbmate, and the safety backup taken before a change.
 */
import type { RunContext } from './run-context';
import { join, relative } from 'node:path';
import { outputDirOf, SAFETY_DIR } from '../postgres/backup-files';
import { dumpDatabase } from '../postgres/dump';
import { findPsql, findTool, ToolInstall, ToolNeed } from '../postgres/tools';
import { migrateContext, MigrateContext } from '../migrations/migrate';
import { SEEDS_DIR } from '../migrations/migration-files';
import { fail } from '../utils/errors';
import { ExecutorTarget, note, resolveTarget, TargetOptions } from './executor-target';
import { generatorCommand, targetCommand } from '../utils/commands';
import { shellQuote } from '../polytope/pt-cli';

export interface MigrationOptions extends TargetOptions {
  noBackup?: boolean;
  outputDir?: string;
  json?: boolean;
  pgBinDir?: string;
}

export interface MigrationTarget {
  target: ExecutorTarget;
  /** The database project's folder, as shown (sql/<id>). */
  projectRoot: string;
  migrations: MigrateContext;
  seedsDir: string;
  shownSeedsDir: string;
}

export type ServerVersion = { major: number; version: string };

/** Resolves where everything is; connects to nothing (each command connects once, where it must). */
export function migrationTarget(
  o: MigrationOptions,
  context: RunContext,
  needDbmate = true,
): MigrationTarget {
  const target = resolveTarget(o, context);
  if (!target.record)
    fail(
      `Module '${target.moduleId}' has no database project in this workspace; run ${generatorCommand('module')} --id ${target.moduleId}.`,
    );
  const projectRoot = target.record.projectRoot;
  const timeoutSeconds = o.timeout ?? 5;
  return {
    target,
    projectRoot,
    migrations: migrateContext(context.root, projectRoot, target.settings, {
      timeoutSeconds,
      needDbmate,
      report: (line) => note(o.json, line),
    }),
    seedsDir: join(context.root, projectRoot, SEEDS_DIR),
    shownSeedsDir: join(projectRoot, SEEDS_DIR),
  };
}

/**
 * The client tool for a command against `server`. pg_dump must be of its major or newer; psql may be
 * older (down to 15, with a note), as db-up and db-psql take it: plain SQL runs the same.
 */
export function clientTool(
  server: ServerVersion,
  o: MigrationOptions,
  tool: 'pg_dump' | 'psql',
  refusal: Pick<ToolNeed, 'orElse' | 'outcome'> = {},
): ToolInstall {
  const where = { pgBinDir: o.pgBinDir, env: process.env };
  if (tool === 'psql') return findPsql(server, where, (m) => note(o.json, m), refusal.outcome);
  return findTool(
    tool,
    { minMajor: server.major, why: `the server runs PostgreSQL ${server.version}`, ...refusal },
    where,
  );
}

/** How a refusal for want of pg_dump for the safety backup goes on. */
export const WITHOUT_BACKUP: Pick<ToolNeed, 'orElse' | 'outcome'> = {
  orElse: 'add --noBackup to go on without a safety backup',
  outcome: 'Nothing was changed.',
};

/**
 * A custom-format backup of the database before a change, in the safety folder (never pruned,
 * never taken for the newest backup). `from` is the database to dump when it is not the target
 * itself (a replaced copy); the file is named for the target. Returns its path as shown, or
 * undefined with --noBackup.
 */
export async function safetyBackup(
  t: MigrationTarget,
  o: MigrationOptions,
  context: RunContext,
  why: string,
  /** The server's version, or how to ask for it (not asked with --noBackup). */
  serverVersion: ServerVersion | (() => Promise<ServerVersion>),
  from?: string,
): Promise<string | undefined> {
  if (o.noBackup) {
    note(o.json, `No safety backup (--noBackup) before ${why}.`);
    return undefined;
  }
  const server = typeof serverVersion === 'function' ? await serverVersion() : serverVersion;
  const { dir } = outputDirOf(o, t.target.moduleId, context.root);
  const db = t.target.settings.database;
  const result = await dumpDatabase({
    install: clientTool(server, o, 'pg_dump', WITHOUT_BACKUP),
    settings: t.target.settings,
    database: from,
    nameFor: db,
    format: 'custom',
    compress: false,
    dir: join(dir, SAFETY_DIR),
    serverVersion: server.version,
    // The way back: Ctrl-C does not stop it.
    uninterruptible: true,
  });
  const shown = relative(context.root, result.path) || result.path;
  note(
    o.json,
    `Safety backup of '${db}' before ${why}: ${shown} (to go back: ${targetCommand(context.projectName ?? 'postgres', 'db-restore', `--file ${shellQuote(shown)} --clean`)}).`,
  );
  return shown;
}
