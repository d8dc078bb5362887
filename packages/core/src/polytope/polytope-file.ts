/**
 * Reads a polytope.yml into a yaml Document and checks the shape that @acme/pg relies on, in either
 * format: `templates` + `modules` lists (documented, with a schema) or the newer `tools` map.
 */
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  Node,
  parseAllDocuments,
  YAMLMap,
  YAMLSeq,
} from 'yaml';
import { fail } from '../utils/errors';
import { AnyNode, findPair, scalarText } from './yaml-splice';

export type PolytopeFormat = 'modules' | 'tools';

export interface PolytopeFile {
  path: string;
  text: string;
  /** Null for an empty file (or one holding only comments). */
  root: YAMLMap | null;
  format: PolytopeFormat;
  lines: LineCounter;
}

export const ID_PATTERN = /^[a-z0-9_-]+$/;

export function parsePolytopeFile(path: string, text: string): PolytopeFile {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const where = (pos: number) => {
    const { line, col } = lines.linePos(pos);
    return `${path}:${line}:${col}`;
  };
  if (!Array.isArray(docs)) fail(`${path} could not be read as YAML.`);
  if (docs.length > 1)
    fail(
      `${path} holds ${docs.length} YAML documents; Polytope reads one. Remove the extra '---' sections.`,
    );
  const doc = docs[0];
  const error = doc?.errors[0];
  if (error) {
    const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    fail(`${where(error.pos[0])}: invalid YAML: ${message}. Fix the syntax and run again.`);
  }
  const contents = doc?.contents as AnyNode;
  const empty =
    !contents || (isScalar(contents) && (contents.value === null || contents.value === ''));
  if (empty) return { path, text, root: null, format: 'modules', lines };
  if (isSeq(contents))
    fail(
      `${path} is a YAML list; a polytope.yml must be a map with 'templates' and 'modules' (or 'tools').`,
    );
  if (!isMap(contents))
    fail(
      `${path} is a single YAML scalar; a polytope.yml must be a map with 'templates' and 'modules' (or 'tools').`,
    );
  if (contents.flow)
    fail(
      `${path} is written as one flow map ({...}); @acme/pg edits block-style files only. Rewrite it in block style.`,
    );

  const root = contents;
  const tools = findPair(root, 'tools');
  const modules = findPair(root, 'modules');
  const templates = findPair(root, 'templates');
  if (tools && (modules || templates))
    fail(
      `${path} has both 'tools' and '${modules ? 'modules' : 'templates'}'; use one format per file (either 'templates' + 'modules', or 'tools'). Nothing was changed.`,
    );
  const file: PolytopeFile = { path, text, root, format: tools ? 'tools' : 'modules', lines };

  if (file.format === 'tools') {
    if (!isMap(tools!.value) && !isNull(tools!.value))
      fail(`${where(keyPos(tools!.key))}: 'tools' must be a map of tool names to tools.`);
    return file;
  }
  for (const key of ['modules', 'templates']) {
    const pair = findPair(root, key);
    if (!pair || isNull(pair.value)) continue;
    if (!isSeq(pair.value))
      fail(`${where(keyPos(pair.key))}: '${key}' must be a list (items starting with '- ').`);
    checkListOfIds(pair.value, key, where);
  }
  return file;
}

function keyPos(node: unknown): number {
  return (node as Node).range?.[0] ?? 0;
}

export function isNull(node: AnyNode): boolean {
  return !node || (isScalar(node) && (node.value === null || node.value === undefined));
}

function checkListOfIds(seq: YAMLSeq, key: string, where: (pos: number) => string): void {
  const seen = new Map<string, number>();
  for (const item of seq.items as Node[]) {
    if (!isMap(item))
      fail(`${where(item.range![0])}: each entry of '${key}' must be a map with an 'id'.`);
    const idNode = item.get('id', true) as AnyNode;
    const id = scalarText(idNode);
    if (id === undefined) fail(`${where(item.range![0])}: an entry of '${key}' has no 'id'.`);
    if (!ID_PATTERN.test(id))
      fail(
        `${where(idNode!.range![0])}: id '${id}' is invalid; ids use only a-z, 0-9, '_' and '-'.`,
      );
    const first = seen.get(id);
    if (first !== undefined) {
      fail(
        `${where(idNode!.range![0])}: duplicate ${key === 'modules' ? 'module' : 'template'} id '${id}' (first at ${where(first)}). Ids must be unique.`,
      );
    }
    seen.set(id, idNode!.range![0]);
  }
}

export function listOf(file: PolytopeFile, key: string): YAMLSeq | null {
  const value = file.root ? findPair(file.root, key)?.value : null;
  return isSeq(value) ? value : null;
}

export function entryById(seq: YAMLSeq | null, id: string): YAMLMap | undefined {
  return (seq?.items as Node[] | undefined)?.find(
    (n): n is YAMLMap => isMap(n) && scalarText(n.get('id', true) as AnyNode) === id,
  );
}

export function toolsMap(file: PolytopeFile): YAMLMap | null {
  const value = file.root ? findPair(file.root, 'tools')?.value : null;
  return isMap(value) ? value : null;
}

export function positionOf(file: PolytopeFile, node: AnyNode): string {
  const { line, col } = file.lines.linePos(node?.range?.[0] ?? 0);
  return `${file.path}:${line}:${col}`;
}
