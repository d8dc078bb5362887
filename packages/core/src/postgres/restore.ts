/**
 * Loads a backup into one database with the real tools, never through a driver (plain dumps carry
 * psql meta-commands such as \restrict): psql with ON_ERROR_STOP for scripts, pg_restore with
 * --exit-on-error for archives, all-or-nothing unless parallel jobs are asked for.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BackupInfo } from './backup-inspect';
import { ConnectionSettings } from './settings';
import { runTool, ToolInstall, ToolRun } from './tools';

export interface LoadRequest {
  install: ToolInstall;
  settings: ConnectionSettings;
  database: string;
  file: string;
  info: BackupInfo;
  jobs?: number;
  noOwner?: boolean;
  /**
   * A data-only load into tables that may have rows: through psql, in one transaction that never
   * moves a sequence backwards. `converter` is the pg_restore that turns an archive into a script.
   */
  guardSequences?: { converter?: ToolInstall };
  /** Called with a way to stop the running tool (Ctrl-C). */
  onSpawn?: (kill: () => void) => void;
}

export interface LoadResult {
  ok: boolean;
  /** The first error the tool printed, masked. */
  error?: string;
  /** Roles the tool said do not exist. */
  missingRole?: string;
  /** The signal that ended the tool, if one did. */
  signal?: NodeJS.Signals;
  /** Rows loaded, when the tool reports them (psql prints `COPY n` per table). */
  rows?: number;
}

/**
 * A database name for libpq's --dbname, which reads anything with `=` as a connection string: so it
 * is always given as one, `dbname='…'`, quoted and escaped, and a name can never point elsewhere.
 */
export function dbnameConninfo(database: string): string {
  return `dbname='${database.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const SEQUENCES_BEFORE = `CREATE TEMP TABLE acme_pg_sequences ON COMMIT DROP AS SELECT format('%I.%I', schemaname, sequencename) AS seq, last_value FROM pg_catalog.pg_sequences WHERE last_value IS NOT NULL`;
const SEQUENCES_AFTER = `SELECT pg_catalog.setval(s.seq::regclass, s.last_value, true) FROM pg_temp.acme_pg_sequences s JOIN pg_catalog.pg_sequences q ON format('%I.%I', q.schemaname, q.sequencename) = s.seq WHERE q.last_value IS NULL OR q.last_value < s.last_value`;

export function loadArgs(r: LoadRequest): string[] {
  if (r.info.kind === 'plain' || r.guardSequences) {
    const args = ['-X', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '--no-password'];
    const viaStdin = r.info.gzip || r.info.kind === 'archive';
    if (r.guardSequences) args.push('-c', SEQUENCES_BEFORE);
    args.push('-f', viaStdin ? '-' : r.file);
    if (r.guardSequences) args.push('-c', SEQUENCES_AFTER);
    return args;
  }
  const args = ['--exit-on-error', '--no-password', `--dbname=${dbnameConninfo(r.database)}`];
  args.push(r.jobs && r.jobs > 1 ? `--jobs=${r.jobs}` : '--single-transaction');
  if (r.noOwner) args.push('--no-owner', '--no-privileges');
  args.push(r.file);
  return args;
}

/**
 * A stream that ends only when `producer` succeeded: if it fails, the stream errors instead, so the
 * consumer is stopped before it can take a cut script for a whole one.
 */
function gated(produce: (into: PassThrough) => Promise<ToolRun>): PassThrough {
  const gate = new PassThrough();
  produce(gate).then(
    (run) =>
      run.code === 0
        ? gate.end()
        : gate.destroy(new Error(run.stderr.trim().split('\n')[0] || `exit ${run.code}`)),
    (e: Error) => gate.destroy(e),
  );
  return gate;
}

function inputOf(r: LoadRequest): NodeJS.ReadableStream | undefined {
  if (r.info.kind === 'plain') {
    if (!r.info.gzip) return undefined;
    const file = createReadStream(r.file);
    const gunzip = createGunzip();
    file.on('error', (e) => gunzip.destroy(e));
    return file.pipe(gunzip);
  }
  if (!r.guardSequences) return undefined;
  const converter = r.guardSequences.converter ?? r.install;
  return gated((into) =>
    runTool(converter, {
      args: ['--data-only', '--file=-', r.file],
      settings: r.settings,
      onSpawn: r.onSpawn,
      stdoutTo: into,
    }),
  );
}

export async function loadBackup(r: LoadRequest): Promise<LoadResult> {
  const input = inputOf(r);
  const run = await runTool(r.install, {
    args: loadArgs(r),
    settings: r.settings,
    database: r.database,
    input,
    captureStdout: r.info.kind === 'plain' || !!r.guardSequences,
    onSpawn: r.onSpawn,
  });
  if (run.code === 0 && !run.inputError) {
    const copies = [...run.stdout.matchAll(/^COPY (\d+)$/gm)].map((m) => Number(m[1]));
    return {
      ok: true,
      rows:
        r.info.kind === 'plain' || r.guardSequences ? copies.reduce((a, b) => a + b, 0) : undefined,
    };
  }
  if (run.inputError)
    return {
      ok: false,
      error: `the backup could not be read to its end (${run.inputError.message})`,
    };
  const lines = run.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error =
    lines.find((l) => /\bERROR:|FATAL:|error:/.test(l)) ??
    lines[0] ??
    (run.signal ? `stopped by ${run.signal}` : `exit ${run.code}`);
  const missing = /role "([^"]+)" does not exist/.exec(run.stderr);
  return { ok: false, error, missingRole: missing?.[1], signal: run.signal ?? undefined };
}

/** Role names in OWNER TO, GRANT … TO, REVOKE … FROM and ALTER DEFAULT PRIVILEGES FOR ROLE lines. */
export async function rolesInScript(lines: AsyncIterable<string>): Promise<Set<string>> {
  const roles = new Set<string>();
  const name = /"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*)/g;
  const add = (list: string) => {
    for (const m of list.matchAll(name)) {
      const role = m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2];
      if (
        !['PUBLIC', 'WITH', 'GRANT', 'OPTION', 'CASCADE', 'GRANTED', 'BY'].includes(
          role.toUpperCase(),
        )
      )
        roles.add(role);
    }
  };
  let inCopy = false;
  for await (const line of lines) {
    if (inCopy) {
      if (line === '\\.') inCopy = false;
      continue;
    }
    if (/^COPY .* FROM stdin;$/.test(line)) {
      inCopy = true;
      continue;
    }
    let m = /^ALTER .* OWNER TO (.+);$/.exec(line);
    if (m) add(m[1]);
    m = /^(?:GRANT|REVOKE) .* (?:TO|FROM) (.+);$/.exec(line);
    if (m) add(m[1].replace(/ GRANTED BY .*$/, ''));
    m = /^ALTER DEFAULT PRIVILEGES FOR ROLE (\S+)/.exec(line);
    if (m) add(m[1]);
  }
  return roles;
}

/** The SQL lines of a backup: the script itself, or an archive's schema as pg_restore writes it. */
export async function scriptLines(
  r: Pick<LoadRequest, 'install' | 'settings' | 'file' | 'info'>,
): Promise<AsyncIterable<string>> {
  if (r.info.kind === 'plain') {
    const stream = createReadStream(r.file);
    const input = r.info.gzip ? stream.pipe(createGunzip()) : stream;
    const lines = createInterface({ input, crlfDelay: Infinity });
    // A cut file (loaded with --force) ends the lines where it ends, never in a crash.
    for (const s of [stream, input]) s.on('error', () => lines.close());
    return lines;
  }
  const run = await runTool(r.install, {
    args: ['--schema-only', '--file=-', r.file],
    settings: r.settings,
    captureStdout: true,
  });
  return createInterface({ input: Readable.from([run.stdout]), crlfDelay: Infinity });
}

/**
 * The tables a backup loads rows into when it holds rows only (pg_dump --data-only), as qualified
 * names; undefined when it also creates objects. Such a backup is meant for tables that exist.
 */
export async function dataOnlyTables(
  r: Pick<LoadRequest, 'install' | 'settings' | 'file' | 'info'>,
): Promise<string[] | undefined> {
  const tables: string[] = [];
  if (r.info.kind === 'archive') {
    const run = await runTool(r.install, {
      args: ['--list', r.file],
      settings: r.settings,
      captureStdout: true,
    });
    const entries = run.stdout.split('\n').filter((l) => /^\d+;/.test(l));
    if (
      entries.length === 0 ||
      !entries.every((l) => / (TABLE DATA|SEQUENCE SET|BLOB|BLOBS|LARGE OBJECTS?) /.test(l))
    )
      return undefined;
    for (const l of entries) {
      const m = / TABLE DATA (\S+) (.+) \S+$/.exec(l);
      if (m) tables.push(`"${m[1].replace(/"/g, '""')}"."${m[2].replace(/"/g, '""')}"`);
    }
    return tables;
  }
  for await (const line of await scriptLines(r)) {
    if (/^CREATE /.test(line)) return undefined;
    const m = /^COPY (.+?) (?:\(.*\) )?FROM stdin;$/.exec(line);
    if (m) tables.push(m[1]);
  }
  return tables;
}
