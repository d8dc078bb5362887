/**
 * Loads a backup into one database with the real tools, never through a driver (plain dumps carry
 * psql meta-commands such as \restrict): psql with ON_ERROR_STOP for scripts, pg_restore with
 * --exit-on-error for archives, all-or-nothing unless parallel jobs are asked for.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BackupInfo } from './backup-inspect';
import { ConnectionSettings } from './settings';
import { runTool, ToolInstall } from './tools';

export interface LoadRequest {
  install: ToolInstall;
  settings: ConnectionSettings;
  database: string;
  file: string;
  info: BackupInfo;
  jobs?: number;
  noOwner?: boolean;
}

export interface LoadResult {
  ok: boolean;
  /** The first error the tool printed, masked. */
  error?: string;
  /** Roles the tool said do not exist. */
  missingRole?: string;
  /** Rows loaded, when the tool reports them (psql prints `COPY n` per table). */
  rows?: number;
}

export function loadArgs(r: LoadRequest): string[] {
  if (r.info.kind === 'plain') {
    return [
      '-X',
      '-v',
      'ON_ERROR_STOP=1',
      '--single-transaction',
      '--no-password',
      '-f',
      r.info.gzip ? '-' : r.file,
    ];
  }
  const args = ['--exit-on-error', '--no-password', `--dbname=${r.database}`];
  args.push(r.jobs && r.jobs > 1 ? `--jobs=${r.jobs}` : '--single-transaction');
  if (r.noOwner) args.push('--no-owner', '--no-privileges');
  args.push(r.file);
  return args;
}

export async function loadBackup(r: LoadRequest): Promise<LoadResult> {
  const input =
    r.info.kind === 'plain' && r.info.gzip
      ? createReadStream(r.file).pipe(createGunzip())
      : undefined;
  const run = await runTool(r.install, {
    args: loadArgs(r),
    settings: r.settings,
    database: r.database,
    input,
    captureStdout: r.info.kind === 'plain',
  });
  if (run.code === 0) {
    const copies = [...run.stdout.matchAll(/^COPY (\d+)$/gm)].map((m) => Number(m[1]));
    return {
      ok: true,
      rows: r.info.kind === 'plain' ? copies.reduce((a, b) => a + b, 0) : undefined,
    };
  }
  const lines = run.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error =
    lines.find((l) => /\bERROR:|FATAL:|error:/.test(l)) ?? lines[0] ?? `exit ${run.code}`;
  const missing = /role "([^"]+)" does not exist/.exec(run.stderr);
  return { ok: false, error, missingRole: missing?.[1] };
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
    return createInterface({
      input: r.info.gzip ? stream.pipe(createGunzip()) : stream,
      crlfDelay: Infinity,
    });
  }
  const run = await runTool(r.install, {
    args: ['--schema-only', '--file=-', r.file],
    settings: r.settings,
    captureStdout: true,
  });
  return createInterface({ input: Readable.from([run.stdout]), crlfDelay: Infinity });
}

/**
 * Whether a backup holds rows only (pg_dump --data-only): such a backup is meant to be loaded into
 * tables that exist already.
 */
export async function isDataOnly(
  r: Pick<LoadRequest, 'install' | 'settings' | 'file' | 'info'>,
): Promise<boolean> {
  if (r.info.kind === 'archive') {
    const run = await runTool(r.install, {
      args: ['--list', r.file],
      settings: r.settings,
      captureStdout: true,
    });
    const entries = run.stdout.split('\n').filter((l) => /^\d+;/.test(l));
    return (
      entries.length > 0 &&
      entries.every((l) => / (TABLE DATA|SEQUENCE SET|BLOB|BLOBS|LARGE OBJECTS?) /.test(l))
    );
  }
  for await (const line of await scriptLines(r)) if (/^CREATE /.test(line)) return false;
  return true;
}
