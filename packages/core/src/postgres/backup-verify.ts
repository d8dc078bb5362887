/**
 * Whether a backup is whole, checked before anything destructive. psql ends a COPY block at the end
 * of its input and commits, so a plain dump cut in half would load "successfully": a plain dump must
 * end with pg_dump's completion trailer, and its `\unrestrict` key must be the `\restrict` key it
 * began with (two pg_dumps writing one file give two keys). A gzipped one must decompress to its end.
 * An archive must pass `pg_restore --list` (its table of contents); a cut in its data is caught by
 * pg_restore itself while loading, which then fails all or nothing.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { BackupInfo } from './backup-inspect';
import { ConnectionSettings } from './settings';
import { runTool, ToolInstall } from './tools';

const EDGE = 64 * 1024;
const TRAILER = '-- PostgreSQL database dump complete';

/** What is wrong with a plain script's beginning and end, or undefined when it is whole. */
export function scriptProblem(head: string, tail: string): string | undefined {
  const restrict = /^\\restrict (\S+)\s*$/m.exec(head)?.[1];
  const m = /\n-- PostgreSQL database dump complete\n--\n\s*(?:\\unrestrict (\S+)\s*)?$/.exec(tail);
  const cut =
    "does not end with pg_dump's '-- PostgreSQL database dump complete': it is cut short, or not a pg_dump script";
  if (!m) {
    const after = tail.slice(tail.lastIndexOf(TRAILER) + TRAILER.length);
    const end = `\n--\n\n${restrict ? `\\unrestrict ${restrict}\n\n` : ''}`;
    if (!tail.includes(TRAILER) || end.startsWith(after)) return cut;
    return 'has text after the end of the dump';
  }
  if (restrict && m[1] !== restrict && restrict.startsWith(m[1] ?? '')) return cut;
  if ((restrict ?? '') !== (m[1] ?? ''))
    return 'begins with one \\restrict key and ends with another: two dumps were written into one file';
  return undefined;
}

function edges(path: string): { head: string; tail: string } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (pos: number, len: number) => {
      const buf = Buffer.alloc(len);
      return buf.subarray(0, readSync(fd, buf, 0, len, pos)).toString('utf-8');
    };
    return { head: read(0, EDGE), tail: read(Math.max(0, size - EDGE), Math.min(size, EDGE)) };
  } finally {
    closeSync(fd);
  }
}

/** Decompresses the whole file, keeping its first and last bytes. */
function gzipEdges(path: string): Promise<{ head: string; tail: string } | { error: string }> {
  return new Promise((resolve) => {
    let head = Buffer.alloc(0);
    let tail = Buffer.alloc(0);
    const source = createReadStream(path);
    const gunzip = createGunzip();
    const done = (e?: Error) => {
      source.destroy();
      gunzip.destroy();
      resolve(
        e ? { error: e.message } : { head: head.toString('utf-8'), tail: tail.toString('utf-8') },
      );
    };
    source.on('error', done);
    gunzip.on('error', done);
    gunzip.on('data', (d: Buffer) => {
      if (head.length < EDGE) head = Buffer.concat([head, d]).subarray(0, EDGE);
      tail = Buffer.concat([tail, d]);
      if (tail.length > EDGE) tail = tail.subarray(tail.length - EDGE);
    });
    gunzip.on('end', () => done());
    source.pipe(gunzip);
  });
}

/** Why the backup cannot be trusted, or undefined when it is whole. */
export async function backupProblem(
  file: string,
  info: BackupInfo,
  tool: { install: ToolInstall; settings: ConnectionSettings },
): Promise<string | undefined> {
  if (info.kind === 'archive') {
    const run = await runTool(tool.install, {
      args: ['--list', file],
      settings: tool.settings,
    });
    if (run.code === 0) return undefined;
    const detail = run.stderr.trim().split('\n')[0] ?? `exit ${run.code}`;
    return `is not a readable archive (pg_restore --list: ${detail.replace(/^pg_restore: (error: )?/, '')})`;
  }
  if (!info.gzip) {
    const { head, tail } = edges(file);
    return scriptProblem(head, tail);
  }
  const r = await gzipEdges(file);
  if ('error' in r) return `does not decompress to its end (${r.error}): it is cut short`;
  return scriptProblem(r.head, r.tail);
}
