/**
 * What a backup is, read from its first bytes: a plain SQL script (maybe gzipped) for psql, or an
 * archive (custom, directory or tar) for pg_restore; and which pg_dump wrote it, because a tool
 * older than the writer cannot read it.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fail } from '../utils/errors';

export interface BackupInfo {
  kind: 'plain' | 'archive';
  gzip: boolean;
  /** The pg_dump that wrote it, when the backup says. */
  writer?: { major: number; version: string };
}

function head(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

function majorOf(version: string): { major: number; version: string } | undefined {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return undefined;
  const first = Number(m[1]);
  return { major: first >= 10 ? first : Number(`${first}.${m[2] ?? 0}`), version };
}

/**
 * The header of a custom or directory archive (pg_backup_archiver.c, ReadHead): magic, version,
 * int and offset sizes, format, compression, creation time, then length-prefixed strings: the
 * database name, the server's version and pg_dump's version.
 */
export function archiveWriter(buf: Buffer): { major: number; version: string } | undefined {
  return archiveVersions(buf)?.writer;
}

function archiveVersions(
  buf: Buffer,
): { writer?: { major: number; version: string }; server?: string } | undefined {
  if (buf.subarray(0, 5).toString('latin1') !== 'PGDMP') return undefined;
  const [vmaj, vmin] = [buf[5], buf[6]];
  const version = vmaj * 100 + vmin;
  const intSize = buf[8];
  let pos = 11;
  const readInt = (): number => {
    const negative = buf[pos] !== 0;
    let value = 0;
    for (let i = 0; i < intSize; i++) value += buf[pos + 1 + i] * 2 ** (8 * i);
    pos += 1 + intSize;
    return negative ? -value : value;
  };
  const readStr = (): string | undefined => {
    const len = readInt();
    if (len < 0) return undefined;
    const s = buf.subarray(pos, pos + len).toString('utf-8');
    pos += len;
    return s;
  };
  try {
    if (version >= 115) pos += 1;
    else readInt();
    for (let i = 0; i < 7; i++) readInt();
    readStr();
    const server = readStr();
    const dumpVersion = readStr();
    return { writer: dumpVersion ? majorOf(dumpVersion) : undefined, server };
  } catch {
    return undefined;
  }
}

function plainWriter(text: string): { major: number; version: string } | undefined {
  const m = /^-- Dumped by pg_dump version (\S+)/m.exec(text);
  return m ? majorOf(m[1]) : undefined;
}

/** `shown` is how messages name the file (relative to the workspace). */
export function inspectBackup(path: string, shown = path): BackupInfo {
  if (!existsSync(path)) fail(`${shown} does not exist.`);
  if (statSync(path).isDirectory()) {
    const toc = join(path, 'toc.dat');
    if (!existsSync(toc))
      fail(`${shown} is a folder without toc.dat: not a directory-format backup.`);
    return { kind: 'archive', gzip: false, writer: archiveWriter(head(toc, 4096)) };
  }
  const buf = head(path, 65536);
  if (buf.length === 0) fail(`${shown} is empty: not a backup.`);
  if (buf.subarray(0, 5).toString('latin1') === 'PGDMP')
    return { kind: 'archive', gzip: false, writer: archiveWriter(buf) };
  if (buf.subarray(257, 262).toString('latin1') === 'ustar')
    return { kind: 'archive', gzip: false };
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    let text = '';
    try {
      // Only the start of the stream is here: gunzip what it can.
      text = gunzipSync(buf, { finishFlush: 2 }).toString('utf-8');
    } catch {
      fail(`${shown} looks gzipped but cannot be read; is it complete?`);
    }
    return { kind: 'plain', gzip: true, writer: plainWriter(text) };
  }
  if (buf.includes(0))
    fail(
      `${shown} is neither a SQL script nor a pg_dump archive; give a backup made by db-backup or pg_dump.`,
    );
  return { kind: 'plain', gzip: false, writer: plainWriter(buf.toString('utf-8')) };
}

/** The server version a backup was dumped from, as pg_dump recorded it in its first bytes. */
export function dumpedFrom(path: string): string | undefined {
  const file = statSync(path).isDirectory() ? join(path, 'toc.dat') : path;
  const buf = head(file, 8192);
  const archive = archiveVersions(buf);
  if (archive) return archive.server;
  let text = buf.toString('utf-8');
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      text = gunzipSync(buf, { finishFlush: 2 }).toString('utf-8');
    } catch {
      return undefined;
    }
  }
  return /^-- Dumped from database version (\S+)/m.exec(text)?.[1];
}
