/**
 * Runs pg_dump into a hidden temporary name beside the target and renames it only when pg_dump
 * succeeded, so a failed or interrupted backup never leaves a file that looks finished.
 */
import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../utils/errors';
import { BackupFormat, partialName, sizeOf } from './backup-files';
import { ConnectionSettings } from './settings';
import { runTool, ToolInstall } from './tools';

export interface DumpRequest {
  install: ToolInstall;
  settings: ConnectionSettings;
  database?: string;
  format: BackupFormat;
  compress: boolean;
  jobs?: number;
  schemaOnly?: boolean;
  dataOnly?: boolean;
  noOwner?: boolean;
  dir: string;
  name: string;
  /** Called every half second while writing, with the bytes so far. */
  onProgress?: (bytes: number, seconds: number) => void;
}

export interface DumpResult {
  path: string;
  bytes: number;
  seconds: number;
}

export function dumpArgs(r: DumpRequest, target: string): string[] {
  const args = [`--format=${r.format[0]}`, `--file=${target}`, '--no-password'];
  if (r.format === 'plain' && r.compress) args.push('--compress=6');
  if (r.format === 'directory' && r.jobs && r.jobs > 1) args.push(`--jobs=${r.jobs}`);
  if (r.schemaOnly) args.push('--schema-only');
  if (r.dataOnly) args.push('--data-only');
  if (r.noOwner) args.push('--no-owner', '--no-privileges');
  return args;
}

/** Makes the folder (0700 when it is new) and returns it. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!statSync(dir).isDirectory()) fail(`${dir} is not a folder.`);
}

function makePrivate(path: string): void {
  const st = statSync(path);
  chmodSync(path, st.isDirectory() ? 0o700 : 0o600);
  if (st.isDirectory()) for (const f of readdirSync(path)) makePrivate(join(path, f));
}

export async function dumpDatabase(r: DumpRequest): Promise<DumpResult> {
  ensurePrivateDir(r.dir);
  const finalPath = join(r.dir, r.name);
  const tmp = join(r.dir, partialName(r.name));
  const started = Date.now();
  let kill: (() => void) | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = sig;
    kill?.();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const ticker = r.onProgress
    ? setInterval(() => r.onProgress!(sizeOf(tmp), (Date.now() - started) / 1000), 500)
    : undefined;
  try {
    const run = await runTool(r.install, {
      args: dumpArgs(r, tmp),
      settings: r.settings,
      database: r.database,
      privateFiles: true,
      onSpawn: (k) => (kill = k),
    });
    if (interrupted) fail(`Backup interrupted (${interrupted}); no backup was written.`);
    if (run.code !== 0) {
      const detail = run.stderr.trim().split('\n').slice(0, 5).join(' | ');
      fail(
        `pg_dump failed (exit ${run.code ?? run.signal}): ${detail || 'no message'}. No backup was written.`,
      );
    }
    makePrivate(tmp);
    renameSync(tmp, finalPath);
    return { path: finalPath, bytes: sizeOf(finalPath), seconds: (Date.now() - started) / 1000 };
  } finally {
    if (ticker) clearInterval(ticker);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    rmSync(tmp, { recursive: true, force: true });
  }
}
