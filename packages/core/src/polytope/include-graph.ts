/**
 * A stack is its root polytope.yml and the local files it includes, transitively: `- modules/pg`
 * (a folder: its polytope.yml), `- path: tools` or `- deploy/extra.yml`, each relative to the file
 * that includes it. Remote includes (`- repo: gh:owner/name`) are listed, never followed.
 */
import { posix } from 'node:path';
import { isMap, isScalar, isSeq, Node, Scalar, YAMLSeq } from 'yaml';
import { fail } from '../utils/errors';
import { isNull, parsePolytopeFile, PolytopeFile, positionOf } from './polytope-file';
import { reparseEdited } from './verify-edit';
import { renderScalar, scalarInStyle } from './yaml-render';
import { appendSeqItem, contentEnd, findPair, scalarText, Splicer } from './yaml-splice';

export interface IncludeEntry {
  /** The entry as written: `modules/postgres`. */
  written: string;
  /** The included file, relative to the workspace root. */
  target: string;
  node: Node;
}

export interface Stack {
  root: PolytopeFile;
  /** The root first, then every included file once, depth first in include order. */
  files: PolytopeFile[];
  /** Local include entries of each file, by its path. */
  includes: Map<string, IncludeEntry[]>;
  /** Remote includes as written (`gh:bluetext-io/bluetext`), with the file that names them. */
  remote: { repo: string; from: string }[];
}

export interface StackReader {
  read(path: string): string | null;
  isFile(path: string): boolean;
}

export function includeSeq(file: PolytopeFile): YAMLSeq | null {
  const value = file.root ? findPair(file.root, 'include')?.value : null;
  return isSeq(value) ? value : null;
}

function includeTarget(from: string, written: string): string {
  const dir = posix.dirname(from);
  const joined = posix.normalize(posix.join(dir, written));
  return /\.ya?ml$/.test(written) ? joined : posix.join(joined, 'polytope.yml');
}

/** Reads the root and every local file it includes; a cycle or a missing file is an error. */
export function readStack(reader: StackReader, rootPath: string): Stack {
  const files: PolytopeFile[] = [];
  const includes = new Map<string, IncludeEntry[]>();
  const remote: Stack['remote'] = [];
  const visit = (path: string, text: string, chain: string[]): PolytopeFile => {
    const file = parsePolytopeFile(path, text);
    files.push(file);
    const entries: IncludeEntry[] = [];
    includes.set(path, entries);
    const pair = file.root ? findPair(file.root, 'include') : undefined;
    if (!pair || isNull(pair.value)) return file;
    if (!isSeq(pair.value))
      fail(`${positionOf(file, pair.key as Node)}: 'include' must be a list of folders or files.`);
    for (const item of pair.value.items as Node[]) {
      let written: string | undefined;
      if (isScalar(item)) written = scalarText(item);
      else if (isMap(item)) {
        const repo = scalarText(item.get('repo', true) as Scalar | undefined);
        if (repo !== undefined) {
          remote.push({ repo, from: path });
          continue;
        }
        written = scalarText(item.get('path', true) as Scalar | undefined);
      }
      if (!written)
        fail(
          `${positionOf(file, item)}: an include entry must be a folder, a file, { path: … } or { repo: … }.`,
        );
      const target = includeTarget(path, written);
      if (target.startsWith('../') || posix.isAbsolute(target))
        fail(
          `${positionOf(file, item)}: include '${written}' is outside the workspace; @acme/pg reads only files inside it.`,
        );
      entries.push({ written, target, node: item });
      if (chain.includes(target))
        fail(
          `${positionOf(file, item)}: include cycle: ${[...chain.slice(chain.indexOf(target)), target].join(' → ')}. Remove one of these include entries.`,
        );
      if (files.some((f) => f.path === target)) continue;
      const content = reader.isFile(target) ? reader.read(target) : null;
      if (content === null)
        fail(
          `${positionOf(file, item)}: include '${written}' names ${target}, which does not exist. Fix the entry or create the file, then run again.`,
        );
      visit(target, content, [...chain, target]);
    }
    return file;
  };
  const root = visit(rootPath, reader.read(rootPath) ?? '', [rootPath]);
  return { root, files, includes, remote };
}

/** Which file of the stack defines `id` (a module or a tool); two definitions are an error. */
export function fileDefining(stack: Stack, id: string): PolytopeFile | undefined {
  const defining = stack.files.filter((f) => definesId(f, id));
  if (defining.length > 1)
    fail(
      `'${id}' is defined in ${defining.map((f) => f.path).join(' and ')}; Polytope needs one definition. Remove one of them and run again.`,
    );
  return defining[0];
}

export function definesId(file: PolytopeFile, id: string): boolean {
  if (!file.root) return false;
  if (file.format === 'tools') {
    const tools = findPair(file.root, 'tools')?.value;
    return isMap(tools) && tools.has(id);
  }
  const modules = findPair(file.root, 'modules')?.value;
  return (
    isSeq(modules) &&
    (modules.items as Node[]).some((m) => isMap(m) && scalarText(m.get('id', true) as Node) === id)
  );
}

/**
 * Where a new module goes in an include-style stack: a folder of its own beside the folders the
 * stack already includes (`modules/<id>/polytope.yml`), included from the file that includes them.
 */
export function newModulePlace(stack: Stack, id: string): { host: PolytopeFile; entry: string } {
  const folderEntries = (f: PolytopeFile) =>
    (stack.includes.get(f.path) ?? []).filter((e) => !/\.ya?ml$/.test(e.written));
  const host = [...stack.files].sort(
    (a, b) => folderEntries(b).length - folderEntries(a).length,
  )[0];
  const parents = folderEntries(host).map((e) =>
    posix.dirname(posix.normalize(e.written.replace(/\/+$/, ''))),
  );
  const counts = new Map<string, number>();
  for (const p of parents) counts.set(p, (counts.get(p) ?? 0) + 1);
  const parent = parents.length
    ? [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0]
    : 'modules';
  return { host, entry: parent === '.' ? id : `${parent}/${id}` };
}

export function isIncludeStyle(stack: Stack): boolean {
  return (stack.includes.get(stack.root.path) ?? []).length > 0;
}

export { includeTarget };

/** The file's text with `entry` appended to its `include` list, written like the entries there. */
export function addIncludeEntry(file: PolytopeFile, entry: string): string {
  const seq = includeSeq(file);
  const s = new Splicer(file.text);
  if (seq && seq.items.length) {
    const last = seq.items[seq.items.length - 1] as Node;
    const style = isScalar(last) ? (last as Scalar).type : undefined;
    appendSeqItem(s, seq, scalarInStyle(entry, style));
  } else {
    const pair = file.root ? findPair(file.root, 'include') : undefined;
    const block = `include:\n  - ${renderScalar(entry)}`;
    if (pair) s.replace((pair.key as Node).range![0], contentEnd(pair), block);
    else s.insert(0, `${block}\n`);
  }
  const text = s.apply();
  const after = reparseEdited(file, text);
  const js = (f: PolytopeFile) => (f.root?.toJSON() ?? {}) as Record<string, unknown>;
  const { include: before, ...restBefore } = js(file);
  const { include: now, ...restAfter } = js(after);
  const expected = [...((before as unknown[] | null) ?? []), entry];
  if (
    JSON.stringify(now) !== JSON.stringify(expected) ||
    JSON.stringify(restBefore) !== JSON.stringify(restAfter)
  )
    throw new Error(
      `internal error: adding include '${entry}' to ${file.path} would change more; nothing was written.`,
    );
  return text;
}
