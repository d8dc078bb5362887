import type { RunContext } from '../run-context';
import { logger } from '../../utils/logger';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { isSchemaDump, schemaDumpHeader } from '../../init-scripts/bundle';
import {
  applyPending,
  baseline,
  dumpSchema,
  MigrationState,
  readState,
  rollbackLast,
} from '../../migrations/migrate';
import { fail } from '../../utils/errors';
import { guardedWithOutputFile } from '../executor-target';
import { serverMajor, withClient } from '../../postgres/connect';
import { clientTool, migrationTarget, MigrationTarget, safetyBackup } from '../migration-target';
import { DbMigrateExecutorSchema } from './schema';

export default async function dbMigrateExecutor(
  options: DbMigrateExecutorSchema,
  context: RunContext,
): Promise<{ success: boolean }> {
  return guardedWithOutputFile(context.root, options.outputFile, (write) =>
    migrate(options, context, write),
  );
}

type Write = (result: object) => void;

function checkOptions(o: DbMigrateExecutorSchema): void {
  const modes = (['status', 'rollback', 'dryRun', 'dumpSchema'] as const).filter((k) => o[k]);
  if (o.baseline !== undefined) modes.push('baseline' as never);
  if (modes.length > 1)
    fail(`--${modes.join(' and --')} exclude each other; give one (or none to apply migrations).`);
}

function print(
  o: DbMigrateExecutorSchema,
  write: Write,
  result: Record<string, unknown>,
  text: string[],
): void {
  write(result);
  if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else for (const line of text) logger.info(line);
}

function statusLines(t: MigrationTarget, s: MigrationState): string[] {
  const db = t.target.settings.database;
  const lines = [
    ...s.applied.map((f) => `  [X] ${f.file}`),
    ...s.pending.map((f) => `  [ ] ${f.file}`),
    ...s.missing.map(
      (v) => `  [?] ${v} (applied, but its file is not in ${t.migrations.shownDir})`,
    ),
  ];
  return [
    `Migrations of '${db}' in ${t.migrations.shownDir}: ${s.applied.length} applied, ${s.pending.length} pending.`,
    ...lines,
  ];
}

/**
 * schema.sql sits in the init-script folder: one that lacks our header is an init script of the
 * user's (or a dump of an older version of ours, still bundled as one), never overwritten.
 */
function refuseForeignSchemaFile(file: string, shown: string): void {
  let text: string;
  try {
    if (!statSync(file).isFile())
      fail(`${shown} is there already and is not a file; move it away and run again.`);
    text = readFileSync(file, 'utf-8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (isSchemaDump(text)) return;
  const older = text.includes('-- Dbmate schema migrations')
    ? ` If it is a dump written by an older db-migrate --dumpSchema (it ends with dbmate's 'schema migrations' INSERT), it is bundled as an init script and makes a new database skip every migration: delete it, run sync, then --dumpSchema again.`
    : ` To keep both, rename it (the bundle runs scripts in byte order of their names), run sync, then --dumpSchema again.`;
  fail(
    `${shown} is there already and was not written by db-migrate --dumpSchema: it is an init script of yours, which the dump would overwrite.${older} Nothing was written.`,
  );
}

/**
 * The dump, with our header first, put in place whole: dbmate writes it to a temporary file beside
 * the target, which gets the header and is then renamed over it.
 */
async function writeSchemaDump(
  file: string,
  db: string,
  dump: (tmp: string) => Promise<void>,
): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    await dump(tmp);
    const body = readFileSync(tmp, 'utf-8');
    writeFileSync(tmp, `${schemaDumpHeader(db)}\n${body}`);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}

async function migrate(
  o: DbMigrateExecutorSchema,
  context: RunContext,
  write: Write,
): Promise<boolean> {
  checkOptions(o);
  const t = migrationTarget(o, context);
  const m = t.migrations;
  const db = t.target.settings.database;

  if (o.status || o.dryRun) {
    const s = await readState(m);
    if (o.status) {
      print(
        o,
        write,
        {
          database: db,
          applied: s.applied.map((f) => f.file),
          pending: s.pending.map((f) => f.file),
          missing: s.missing,
          ignored: s.ignored,
        },
        statusLines(t, s),
      );
    } else {
      print(
        o,
        write,
        { database: db, applied: [], pending: s.pending.map((f) => f.file), dryRun: true },
        s.pending.length
          ? [
              `Would apply ${s.pending.length} migration(s) to '${db}' (dry run, nothing changed):`,
              ...s.pending.map((f) => `  ${f.file}`),
            ]
          : [`'${db}' is up to date with ${m.shownDir}; nothing would run.`],
      );
    }
    return true;
  }

  if (o.baseline !== undefined) {
    const recorded = await baseline(m, o.baseline);
    print(
      o,
      write,
      { database: db, baseline: o.baseline, recorded },
      recorded.length
        ? [
            `Recorded ${recorded.length} migration(s) of '${db}' as applied, without running them (--baseline ${o.baseline}):`,
            ...recorded.map((f) => `  ${f}`),
          ]
        : [`Every migration up to ${o.baseline} was recorded as applied already; nothing changed.`],
    );
    return true;
  }

  if (o.dumpSchema) {
    const file = join(context.root, t.projectRoot, 'schema.sql');
    const shown = relative(context.root, file);
    refuseForeignSchemaFile(file, shown);
    const server = await withClient(
      t.target.settings,
      { timeoutSeconds: m.timeoutSeconds },
      serverMajor,
    );
    const pgDump = clientTool(server, o, 'pg_dump');
    await writeSchemaDump(file, db, (tmp) => dumpSchema(m, tmp, join(pgDump.path, '..')));
    print(o, write, { database: db, schemaFile: shown }, [
      `Wrote the schema of '${db}' to ${shown} (pg_dump ${pgDump.version}); the init bundle leaves it out.`,
    ]);
    return true;
  }

  if (o.rollback) {
    let backup: string | undefined;
    const last = await rollbackLast(m, async (f, c) => {
      backup = await safetyBackup(t, o, context, `rolling back ${f.file}`, () => serverMajor(c));
    });
    print(o, write, { database: db, rolledBack: last.file, backup: backup ?? null }, [
      `Rolled back ${join(m.shownDir, last.file)} on '${db}'.`,
    ]);
    return true;
  }

  let backup: string | undefined;
  const { applied, pending } = await applyPending(m, async (todo, c) => {
    backup = await safetyBackup(t, o, context, `applying ${todo.length} migration(s)`, () =>
      serverMajor(c),
    );
  });
  print(
    o,
    write,
    {
      database: db,
      applied,
      pending: pending.map((f) => f.file),
      backup: backup ?? null,
    },
    applied.length
      ? [`Applied ${applied.length} migration(s) to '${db}'; it is up to date with ${m.shownDir}.`]
      : [`'${db}' is up to date with ${m.shownDir}; no migration to apply.`],
  );
  return true;
}
