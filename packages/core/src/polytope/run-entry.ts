/**
 * Run entries: the items of a template's or entry tool's `run` list that start a module. A new one is
 * written the way its siblings are (`- api`, `- module: api`, `- { tool: api }`, `- tool: "api"`).
 */
import { isMap, isScalar, isSeq, Node, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { renderFlow, renderScalarLike } from './yaml-render';
import { AnyNode, contentEnd, dashColumn, Splicer } from './yaml-splice';

/** True when a run item (as plain JS) starts `id`. */
export function runsId(item: unknown, id: string): boolean {
  if (item === id) return true;
  if (!item || typeof item !== 'object') return false;
  const o = item as Record<string, unknown>;
  return o['module'] === id || o['tool'] === id || o['template'] === id;
}

export function seqRuns(seq: AnyNode, id: string): boolean {
  return isSeq(seq) && (seq.toJSON() as unknown[]).some((i) => runsId(i, id));
}

/** The item text (what follows `- `, or a flow item) for `id`, in the style of the list's last item. */
export function runItemText(seq: YAMLSeq, id: string, format: 'modules' | 'tools'): string {
  const items = seq.items as Node[];
  const last = [...items].reverse().find((n) => isScalar(n) || isMap(n));
  const key = format === 'tools' ? 'tool' : 'module';
  if (isMap(last)) {
    const k = ['tool', 'module'].find((x) => last.has(x)) ?? key;
    const ref = last.get(k, true) as AnyNode;
    const value = renderScalarLike(id, isScalar(ref) ? (ref as Scalar).type : undefined);
    return last.flow || seq.flow ? `{ ${k}: ${value} }` : `${k}: ${value}`;
  }
  if (format === 'tools') return `{ tool: ${renderFlow(id)} }`;
  return renderScalarLike(id, isScalar(last) ? (last as Scalar).type : undefined);
}

/** Appends the run entry for `id` to a non-empty `run` list. */
export function appendRunEntry(
  s: Splicer,
  seq: YAMLSeq,
  id: string,
  format: 'modules' | 'tools',
): void {
  const items = seq.items as Node[];
  const text = runItemText(seq, id, format);
  const last = items[items.length - 1];
  if (seq.flow) {
    s.insert(contentEnd(last), `, ${text}`);
    return;
  }
  const col = dashColumn(s, items[0]);
  s.insertLineAfter(contentEnd(last), `${' '.repeat(col)}- ${text}`, col + 1);
}

export function runListOf(entry: YAMLMap): AnyNode {
  return entry.get('run', true) as AnyNode;
}
