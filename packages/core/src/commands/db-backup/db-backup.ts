import type { RunContext } from '../run-context';
import { join, relative } from 'node:path';
import {
  BackupFormat,
  FORMATS,
  outputDirOf,
  parseBackupName,
  pruneBackups,
} from '../../postgres/backup-files';
import { ConnectionError, serverMajor, withClient } from '../../postgres/connect';
import {
  abandonedNote,
  DumpFailed,
  dumpDatabase,
  removeAbandonedPartials,
} from '../../postgres/dump';
import { ignoreInGit } from '../../postgres/gitignore';
import { chooseTool, findTools } from '../../postgres/tools';
import { fail } from '../../utils/errors';
import { logger } from '../../utils/logger';
import { guardedWithOutputFile, note, resolveTarget } from '../executor-target';
import { DbBackupExecutorSchema } from './schema';

export default async function dbBackupExecutor(
  options: DbBackupExecutorSchema,
  context: RunContext,
): Promise<{ success: boolean }> {
  return guardedWithOutputFile(context.root, options.outputFile, (write) =>
    backup(options, context, write),
  );
}

function checkOptions(o: DbBackupExecutorSchema): BackupFormat {
  const format = o.format ?? 'plain';
  if (!FORMATS.includes(format))
    fail(`Invalid --format '${format}': use plain, custom or directory.`);
  if (o.compress && format !== 'plain')
    fail(`--compress is for --format plain; ${format} backups are compressed already.`);
  if (o.jobs !== undefined && (!Number.isInteger(o.jobs) || o.jobs < 1))
    fail(`Invalid --jobs ${o.jobs}: give a whole number, 1 or more.`);
  if (o.jobs !== undefined && o.jobs > 1 && format !== 'directory')
    fail('--jobs needs --format directory: only that format can be dumped in parallel.');
  if (o.schemaOnly && o.dataOnly) fail('--schemaOnly and --dataOnly exclude each other; give one.');
  if (o.keep !== undefined && (!Number.isInteger(o.keep) || o.keep < 1))
    fail(`Invalid --keep ${o.keep}: give how many backups to keep, 1 or more.`);
  return format;
}

async function backup(
  o: DbBackupExecutorSchema,
  context: RunContext,
  write: (result: object) => void,
): Promise<boolean> {
  const format = checkOptions(o);
  const target = resolveTarget(o, context);
  const s = target.settings;
  const timeoutSeconds = o.timeout ?? 5;
  const search = { pgBinDir: o.pgBinDir, env: process.env };
  const installs = findTools('pg_dump', search);
  const need = (v: { major: number; version: string }) => ({
    minMajor: v.major,
    why: `the server runs PostgreSQL ${v.version}`,
  });
  // With one major of pg_dump here, the choice cannot depend on the server: run it at once, and
  // ask the server only if pg_dump fails (so a wrong password or a newer server gets the clear
  // message of db-check). With several, the server's version picks the same major.
  const server =
    new Set(installs.map((i) => i.major)).size === 1
      ? undefined
      : await withClient(s, { timeoutSeconds }, serverMajor);
  const pgDump = server ? chooseTool('pg_dump', installs, need(server), search) : installs[0];
  const { dir, shown } = outputDirOf(o, target.moduleId, context.root);
  const abandoned = abandonedNote(removeAbandonedPartials(dir), context.root);
  if (abandoned) note(o.json, abandoned);
  const tty = process.stderr.isTTY && !o.json;
  const result = await dumpDatabase({
    install: pgDump,
    settings: s,
    format,
    compress: !!o.compress,
    jobs: o.jobs,
    schemaOnly: o.schemaOnly,
    dataOnly: o.dataOnly,
    noOwner: o.noOwner,
    dir,
    root: context.root,
    serverVersion: server?.version,
    onProgress: tty
      ? (bytes, secs) =>
          process.stderr.write(`\r  writing: ${megabytes(bytes)}, ${secs.toFixed(0)} s `)
      : undefined,
  }).catch(async (e: unknown) => {
    if (server || !(e instanceof DumpFailed)) throw e;
    const v = await withClient(s, { timeoutSeconds }, serverMajor).catch((c: unknown) => {
      if (c instanceof ConnectionError) fail(`${c.message} No backup was written.`);
      throw c;
    });
    chooseTool('pg_dump', installs, need(v), search);
    throw e;
  });
  if (tty) process.stderr.write('\r\x1b[K');
  if (ignoreInGit(context.root, dir))
    note(o.json, `Added /${shown}/ to .gitignore: backups hold real data.`);
  const { older, later } = o.keep
    ? pruneBackups(dir, result.name, o.keep)
    : { older: [], later: [] };
  const pruned = [...older, ...later];
  const file = join(shown, result.name);
  const json = {
    file,
    bytes: result.bytes,
    seconds: round(result.seconds),
    pruned: pruned.map((p) => relative(context.root, p)),
  };
  write(json);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    const rate = result.seconds > 0 ? result.bytes / result.seconds : result.bytes;
    logger.info(
      `Backup of '${s.database}' written: ${file} (${megabytes(result.bytes)}, ${result.seconds.toFixed(1)} s, ${megabytes(rate)}/s; pg_dump ${pgDump.version}, server ${parseBackupName(result.name)?.serverVersion ?? 'unknown'}).`,
    );
    for (const p of older)
      logger.info(`Deleted older backup ${relative(context.root, p)} (--keep ${o.keep}).`);
    for (const p of later)
      logger.info(
        `Deleted backup ${relative(context.root, p)}, dated in the future (after this one: a wrong clock, or a copied file) (--keep ${o.keep}).`,
      );
  }
  return true;
}

function megabytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
