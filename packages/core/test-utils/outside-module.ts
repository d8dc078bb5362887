/**
 * A polytope.yml text without the parts an edit of one module may touch: the module (or tool)
 * itself, the run entries that start it and an include entry. Comparing this before and after an
 * edit proves every other byte was kept.
 */
import { isMap, isScalar, isSeq, Node, Pair, parseDocument, visit, YAMLMap, YAMLSeq } from 'yaml';

function contentEnd(node: Node | Pair): number {
  if (node instanceof Pair)
    return node.value ? contentEnd(node.value as Node) : contentEnd(node.key as Node);
  if ((isMap(node) || isSeq(node)) && !node.flow) {
    const items = (node as YAMLMap | YAMLSeq).items as (Node | Pair)[];
    return items.length ? contentEnd(items[items.length - 1]) : node.range![0];
  }
  return node.range![1];
}

function refersTo(item: unknown, id: string): boolean {
  if (item === id) return true;
  if (!item || typeof item !== 'object') return false;
  const o = item as Record<string, unknown>;
  return o['module'] === id || o['tool'] === id;
}

export function outsideModule(text: string, id: string, includeEntry?: string): string {
  const doc = parseDocument(text);
  const ranges: [number, number][] = [];
  const lineStart = (p: number) => text.lastIndexOf('\n', p - 1) + 1;
  const nextLine = (p: number) => {
    if (p > 0 && text[p - 1] === '\n') return p;
    const i = text.indexOf('\n', p);
    return i === -1 ? text.length : i + 1;
  };
  const cutItem = (seq: YAMLSeq, item: Node) => {
    if (seq.flow) {
      const i = seq.items.indexOf(item);
      const start = i > 0 ? contentEnd(seq.items[i - 1] as Node) : item.range![0];
      ranges.push([start, contentEnd(item)]);
    } else
      ranges.push([lineStart(text.lastIndexOf('-', item.range![0])), nextLine(contentEnd(item))]);
  };
  const root = doc.contents;
  if (!isMap(root)) return text;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    const value = pair.value as Node;
    if (key === 'modules' && isSeq(value))
      for (const m of value.items as Node[]) if (isMap(m) && m.get('id') === id) cutItem(value, m);
    if (key === 'tools' && isMap(value))
      for (const t of value.items)
        if (isScalar(t.key) && t.key.value === id)
          ranges.push([lineStart((t.key as Node).range![0]), nextLine(contentEnd(t))]);
    if (key === 'include' && isSeq(value) && includeEntry !== undefined)
      for (const e of value.items as Node[])
        if (isScalar(e) && e.value === includeEntry) cutItem(value, e);
  }
  visit(doc, {
    Pair(_, pair) {
      if (!(isScalar(pair.key) && pair.key.value === 'run' && isSeq(pair.value))) return;
      const seq = pair.value as YAMLSeq;
      for (const item of seq.items as Node[])
        if (refersTo((item as Node & { toJSON(): unknown }).toJSON(), id)) cutItem(seq, item);
    },
  });
  let out = text;
  for (const [a, b] of ranges.sort((x, y) => y[0] - x[0])) out = out.slice(0, a) + out.slice(b);
  return out;
}
