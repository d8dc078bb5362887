/**
 * The generators' tree over a plain folder: reads go to the disk, writes stay in memory until
 * flushed, so `--dry-run` writes nothing. Its workspace is the folder's own (FolderHost).
 */
import { FolderHost } from '../tree/folder-host';
import type { FileChange, WorkspaceTree } from '../tree/workspace-tree';

type TreeWriteOptions = { mode?: Mode };
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import type { Mode } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative, sep } from 'node:path';

interface Change {
  content: Buffer | null;
  mode?: Mode;
}

export class FileTree implements WorkspaceTree {
  private readonly changes = new Map<string, Change>();
  readonly host = new FolderHost(this);

  constructor(readonly root: string) {}

  private normalize(path: string): string {
    const rel = isAbsolute(path) ? relative(this.root, path) : path;
    return posix
      .normalize(rel.split(sep).join('/'))
      .replace(/^(\.\/)+|\/+$/g, '')
      .replace(/^\.$/, '');
  }

  /** Whether the disk has a file there: a stat, not a read. */
  private fileOnDisk(path: string): boolean {
    try {
      return statSync(join(this.root, path)).isFile();
    } catch {
      return false;
    }
  }

  private onDisk(path: string): Buffer | null {
    const full = join(this.root, path);
    try {
      return statSync(full).isFile() ? readFileSync(full) : null;
    } catch {
      return null;
    }
  }

  read(filePath: string): Buffer | null;
  read(filePath: string, encoding: BufferEncoding): string | null;
  read(filePath: string, encoding?: BufferEncoding): Buffer | string | null {
    const path = this.normalize(filePath);
    const change = this.changes.get(path);
    const content = change ? change.content : this.onDisk(path);
    if (content === null) return null;
    return encoding ? content.toString(encoding) : Buffer.from(content);
  }

  write(filePath: string, content: Buffer | string, options?: TreeWriteOptions): void {
    const path = this.normalize(filePath);
    const buffer = Buffer.from(content);
    const disk = this.onDisk(path);
    if (disk && disk.equals(buffer) && !options?.mode) this.changes.delete(path);
    else this.changes.set(path, { content: buffer, mode: options?.mode });
  }

  exists(filePath: string): boolean {
    const path = this.normalize(filePath);
    return this.isFile(path) || this.children(path).length > 0;
  }

  isFile(filePath: string): boolean {
    const path = this.normalize(filePath);
    const change = this.changes.get(path);
    if (change) return change.content !== null;
    return this.fileOnDisk(path);
  }

  children(dirPath: string): string[] {
    const dir = this.normalize(dirPath);
    const names = new Set<string>();
    try {
      for (const e of readdirSync(join(this.root, dir), { withFileTypes: true })) names.add(e.name);
    } catch {
      // not a folder on disk: only what was written under it
    }
    const prefix = dir ? `${dir}/` : '';
    for (const [path, change] of this.changes)
      if (path.startsWith(prefix) && change.content !== null)
        names.add(path.slice(prefix.length).split('/')[0]);
    return [...names].filter((n) => {
      const child = prefix + n;
      return this.isFile(child) || this.hasLiveFileUnder(child);
    });
  }

  private hasLiveFileUnder(dir: string): boolean {
    for (const [path, change] of this.changes)
      if (path.startsWith(`${dir}/`) && change.content !== null) return true;
    try {
      return readdirSync(join(this.root, dir)).some((n) => {
        const child = `${dir}/${n}`;
        return this.isFile(child) || this.hasLiveFileUnder(child);
      });
    } catch {
      return false;
    }
  }

  delete(filePath: string): void {
    const path = this.normalize(filePath);
    if (this.isFile(path)) {
      if (this.fileOnDisk(path)) this.changes.set(path, { content: null });
      else this.changes.delete(path);
      return;
    }
    for (const child of this.children(path)) this.delete(`${path}/${child}`);
  }

  rename(from: string, to: string): void {
    const content = this.read(from);
    if (content === null) {
      for (const child of this.children(from)) this.rename(`${from}/${child}`, `${to}/${child}`);
      return;
    }
    this.write(to, content);
    this.delete(from);
  }

  changePermissions(filePath: string, mode: Mode): void {
    const path = this.normalize(filePath);
    const content = this.read(path);
    if (content !== null) this.changes.set(path, { content, mode });
  }

  listChanges(): FileChange[] {
    return [...this.changes].flatMap(([path, c]): FileChange[] => {
      const onDisk = this.fileOnDisk(path);
      if (c.content === null && !onDisk) return [];
      const type = c.content === null ? 'DELETE' : onDisk ? 'UPDATE' : 'CREATE';
      return [{ path, type, content: c.content, ...(c.mode ? { options: { mode: c.mode } } : {}) }];
    });
  }

  /**
   * Writes every change to disk, all or nothing: each new content goes to a file beside its place
   * first; only when all are written do they replace the old ones, which are kept aside until the
   * end, so a failure part way puts every file back as it was.
   */
  flush(): void {
    const changes = this.listChanges();
    const tag = `.acme-pg-${process.pid}`;
    const staged: { full: string; temporary?: string; aside?: string; placed?: boolean }[] = [];
    const undo = () => {
      for (const f of staged.reverse()) {
        if (f.temporary) rmSync(f.temporary, { force: true });
        if (f.aside && existsSync(f.aside)) renameSync(f.aside, f.full);
      }
    };
    const made: string[] = [];
    try {
      for (const change of changes) {
        const full = join(this.root, change.path);
        if (change.type === 'DELETE') {
          staged.push({ full });
          continue;
        }
        const folder = dirname(full);
        if (!existsSync(folder)) {
          mkdirSync(folder, { recursive: true });
          made.push(folder);
        }
        const temporary = `${full}${tag}.tmp`;
        const mode = change.options?.mode ?? (existsSync(full) ? statSync(full).mode : undefined);
        staged.push({ full, temporary });
        writeFileSync(temporary, change.content!, mode !== undefined ? { mode } : {});
        if (mode !== undefined) chmodSync(temporary, mode);
      }
      for (const f of staged) {
        if (existsSync(f.full)) {
          f.aside = `${f.full}${tag}.old`;
          renameSync(f.full, f.aside);
        }
        if (f.temporary) {
          renameSync(f.temporary, f.full);
          f.temporary = undefined;
          f.placed = true;
        }
      }
    } catch (e) {
      // The new files go; the old come back; folders made for them go if left empty.
      for (const f of staged) if (f.placed) rmSync(f.full, { force: true });
      undo();
      for (const folder of made.reverse()) removeEmptyFolders(folder, this.root);
      const err = e as NodeJS.ErrnoException;
      const where = err.path
        ? relative(this.root, err.path.replace(/\.acme-pg-\d+\.(tmp|old)$/, ''))
        : '';
      throw new FlushError(
        `Cannot write ${where || 'the changes'}: ${explain(err)}. Nothing was changed.`,
      );
    }
    for (const f of staged) if (f.aside) rmSync(f.aside, { force: true });
  }
}

/** A write that failed and was undone: the message says what to fix. */
export class FlushError extends Error {}

function explain(e: NodeJS.ErrnoException): string {
  if (e.code === 'EROFS') return 'the file system is read-only';
  if (e.code === 'EACCES' || e.code === 'EPERM')
    return 'permission denied (check the owner and mode, or chattr +i)';
  if (e.code === 'ENOSPC') return 'no space left on the device';
  return e.code ?? e.message;
}

function removeEmptyFolders(folder: string, root: string): void {
  for (let dir = folder; dir.startsWith(root) && dir !== root; dir = dirname(dir)) {
    try {
      if (readdirSync(dir).length > 0) return;
      rmdirSync(dir);
    } catch {
      return;
    }
  }
}
