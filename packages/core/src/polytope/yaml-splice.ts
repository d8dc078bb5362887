/**
 * Edits a YAML text in place: the yaml Document API finds the nodes, and new text is spliced into the
 * original at their source ranges. Nothing is re-serialised, so comments, blank lines, quoting,
 * indentation, flow maps and key order outside the edited nodes stay byte for byte.
 */
import { isMap, isScalar, isSeq, Node, Pair, YAMLMap, YAMLSeq } from 'yaml';
import {
  RawScalar,
  isScalar as isPlainScalar,
  renderFlow,
  renderPair,
  renderScalarLike,
  renderSeqItem,
  renderSeqItems,
  YamlValue,
} from './yaml-render';

/** Marks a key or list entry to delete. */
export const REMOVE = Symbol('remove');

/** List entries matched by a key field (env entries by `name`): updated, appended or removed. */
export interface MergeBy {
  kind: 'merge-by';
  key: string;
  items: WantMap[];
  remove: string[];
}

export type Want = YamlValue | WantMap | MergeBy | typeof REMOVE;
/** Keys in wanted order; keys not listed are left as they are. */
export interface WantMap {
  [key: string]: Want;
}

export type AnyNode = Node | null | undefined;

function isMergeBy(want: Want): want is MergeBy {
  return (
    typeof want === 'object' &&
    want !== null &&
    !Array.isArray(want) &&
    (want as MergeBy).kind === 'merge-by' &&
    Array.isArray((want as MergeBy).items)
  );
}
/** The plain value that a `Want` stands for, used when a node is written from scratch. */
export function plain(want: Want): YamlValue {
  if (want === REMOVE) throw new Error('REMOVE has no plain value');
  if (isMergeBy(want)) return want.items.map((item) => plain(item));
  if (isPlainScalar(want as YamlValue) || Array.isArray(want)) return want as YamlValue;
  const out: Record<string, YamlValue> = {};
  for (const [k, v] of Object.entries(want as WantMap)) if (v !== REMOVE) out[k] = plain(v);
  return out;
}

export function scalarText(node: AnyNode): string | undefined {
  return isScalar(node) && node.value !== null && node.value !== undefined
    ? String(node.value)
    : undefined;
}

export function findPair(map: YAMLMap, key: string): Pair<Node, AnyNode> | undefined {
  return (map.items as Pair<Node, AnyNode>[]).find((p) => scalarText(p.key) === key);
}

export class Splicer {
  private readonly edits: {
    start: number;
    end: number;
    text: string;
    seq: number;
    depth: number;
  }[] = [];

  constructor(readonly text: string) {}

  get changed(): boolean {
    return this.edits.length > 0;
  }

  replace(start: number, end: number, text: string): void {
    if (this.text.slice(start, end) !== text)
      this.edits.push({ start, end, text, seq: this.edits.length, depth: 0 });
  }

  /**
   * Of several inserts at one place, deeper ones (a larger `depth`, the column of what they add)
   * come first: an item appended to a nested list must stay above a key added to the outer map.
   */
  insert(at: number, text: string, depth = 0): void {
    this.edits.push({ start: at, end: at, text, seq: this.edits.length, depth });
  }

  apply(): string {
    // From the end backwards; of several inserts at one place, the deepest, then the first
    // recorded, ends up first.
    const sorted = [...this.edits].sort(
      (a, b) => b.start - a.start || b.end - a.end || a.depth - b.depth || b.seq - a.seq,
    );
    // A file with CRLF line ends keeps them in what is spliced in.
    const eol = this.text.includes('\r\n')
      ? (t: string) => t.replace(/\r?\n/g, '\r\n')
      : (t: string) => t;
    let out = this.text;
    let limit = Infinity;
    for (const e of sorted) {
      if (e.end > limit) throw new Error('internal error: overlapping YAML edits');
      out = out.slice(0, e.start) + eol(e.text) + out.slice(e.end);
      limit = e.start;
    }
    return out;
  }

  lineStart(pos: number): number {
    return this.text.lastIndexOf('\n', pos - 1) + 1;
  }

  lineEnd(pos: number): number {
    const i = this.text.indexOf('\n', pos);
    if (i === -1) return this.text.length;
    return i > pos && this.text[i - 1] === '\r' ? i - 1 : i;
  }

  /**
   * Where the line after the one holding `pos` starts (the end of the text on the last line). A
   * `pos` that already starts a line (a block scalar's content ends after its newline) is kept.
   */
  nextLineStart(pos: number): number {
    if (pos > 0 && this.text[pos - 1] === '\n') return pos;
    const i = this.text.indexOf('\n', pos);
    return i === -1 ? this.text.length : i + 1;
  }

  /** Inserts `line` as a line of its own after the line holding `pos`. */
  insertLineAfter(pos: number, line: string, depth: number): void {
    let atLineStart = pos > 0 && this.text[pos - 1] === '\n';
    let at = atLineStart ? pos : this.lineEnd(pos);
    // After lines that are being removed (trailing list items): where they were.
    for (let cut = this.removalAround(at); cut; cut = this.removalAround(at)) {
      at = cut.start;
      atLineStart = true;
    }
    if (atLineStart) this.insert(at, `${line}\n`, depth);
    else this.insert(at, `\n${line}`, depth);
  }

  private removalAround(at: number) {
    return this.edits.find(
      (e) => e.text === '' && e.start < at && at < e.end && this.text[e.start - 1] === '\n',
    );
  }

  column(pos: number): number {
    return pos - this.lineStart(pos);
  }

  /** True when only spaces (or a sequence dash) stand before `pos` on its line. */
  startsLine(pos: number): boolean {
    return /^[ ]*$/.test(this.text.slice(this.lineStart(pos), pos));
  }
}

/** Where a node's own content ends: block collections' ranges run on to the next line. */
export function contentEnd(node: AnyNode | Pair<Node, AnyNode>): number {
  if (!node) return 0;
  if (node instanceof Pair)
    return node.value ? contentEnd(node.value) : contentEnd(node.key as Node);
  const n = node as Node;
  if ((isMap(n) || isSeq(n)) && !n.flow) {
    const items = (n as YAMLMap | YAMLSeq).items as (Node | Pair<Node, AnyNode>)[];
    return items.length ? contentEnd(items[items.length - 1]) : n.range![0];
  }
  return n.range![1];
}

function keyStart(pair: Pair<Node, AnyNode>): number {
  return (pair.key as Node).range![0];
}

/** Reconciles map `node` with `want`, recording edits; keys `want` does not name are left alone. */
export function reconcileMap(s: Splicer, node: YAMLMap, want: WantMap): void {
  if (node.flow && node.items.length === 0) {
    // `{}`: written afresh, in flow style (one insert per key would need commas between them).
    const value = plain(want);
    if (Object.keys(value as object).length)
      s.replace(node.range![0], node.range![1], renderFlow(value));
    return;
  }
  const wantedKeys = Object.keys(want);
  const missing: [string, number][] = [];
  wantedKeys.forEach((key, index) => {
    const w = want[key];
    const pair = findPair(node, key);
    if (w === REMOVE) {
      if (pair) removePair(s, node, pair);
    } else if (!pair) missing.push([key, index]);
    else reconcileValue(s, node, pair, key, w);
  });
  // New keys last, so they land after what the edits of existing keys leave in place.
  for (const [key, index] of missing) {
    const anchor = wantedKeys
      .slice(0, index)
      .reverse()
      .map((k) => findPair(node, k))
      .find((p) => p !== undefined);
    insertPair(s, node, key, plain(want[key]), anchor);
  }
}

function reconcileValue(
  s: Splicer,
  map: YAMLMap,
  pair: Pair<Node, AnyNode>,
  key: string,
  w: Want,
): void {
  const value = pair.value;
  if (isMergeBy(w)) {
    if (isSeq(value) && value.items.length > 0) return mergeSeq(s, map, pair, value, w);
  } else if (Array.isArray(w)) {
    if (isSeq(value) && JSON.stringify(value.toJSON()) === JSON.stringify(w)) return;
  } else if (isPlainScalar(w as YamlValue)) {
    if (isScalar(value)) {
      const wanted = w instanceof RawScalar ? w.value : w;
      if (value.value !== wanted) {
        s.replace(value.range![0], value.range![1], renderScalarLike(w as string, value.type));
      }
      return;
    }
  } else if (isMap(value)) {
    return reconcileMap(s, value, w as WantMap);
  }
  replacePair(s, map, pair, key, plain(w));
}

/** Writes a pair afresh, in the style of its map. */
function replacePair(
  s: Splicer,
  map: YAMLMap,
  pair: Pair<Node, AnyNode>,
  key: string,
  value: YamlValue,
): void {
  const start = keyStart(pair);
  if (map.flow) {
    s.replace(start, contentEnd(pair), `${renderFlow(key)}: ${renderFlow(value)}`);
    return;
  }
  const col = s.column(start);
  const old = pair.value;
  // A block list written afresh keeps the column its items had (`- ` under the key, or deeper).
  if (isSeq(old) && !old.flow && old.items.length && Array.isArray(value) && value.length) {
    const rendered = renderPair(key, value, col);
    if (rendered.includes('\n')) {
      const items = renderSeqItems(value, dashColumn(s, old.items[0] as Node));
      s.replace(
        start,
        contentEnd(pair),
        `${rendered.slice(col, rendered.indexOf('\n'))}\n${items}`,
      );
      return;
    }
  }
  s.replace(start, contentEnd(pair), renderPair(key, value, col).slice(col));
}

function insertPair(
  s: Splicer,
  map: YAMLMap,
  key: string,
  value: YamlValue,
  anchor?: Pair<Node, AnyNode>,
): void {
  const pairs = map.items as Pair<Node, AnyNode>[];
  if (map.flow) {
    if (pairs.length === 0)
      s.insert(map.range![0] + 1, ` ${renderFlow(key)}: ${renderFlow(value)} `);
    else
      s.insert(
        contentEnd(anchor ?? pairs[pairs.length - 1]),
        `, ${renderFlow(key)}: ${renderFlow(value)}`,
      );
    return;
  }
  const col = s.column(keyStart(pairs[0]));
  const after = anchor ?? pairs[pairs.length - 1];
  s.insertLineAfter(contentEnd(after), renderPair(key, value, col), col);
}

function removePair(s: Splicer, map: YAMLMap, pair: Pair<Node, AnyNode>): void {
  const pairs = map.items as Pair<Node, AnyNode>[];
  const i = pairs.indexOf(pair);
  if (map.flow) {
    if (i > 0) s.replace(contentEnd(pairs[i - 1]), contentEnd(pair), '');
    else if (pairs.length > 1) s.replace(keyStart(pair), keyStart(pairs[1]), '');
    else s.replace(map.range![0], map.range![1], '{}');
    return;
  }
  const start = keyStart(pair);
  if (!s.startsLine(start)) {
    throw new Error(
      `internal error: cannot remove the first key of a list item (${scalarText(pair.key)})`,
    );
  }
  s.replace(s.lineStart(start), s.nextLineStart(contentEnd(pair)), '');
}

/** The column of the `-` that introduces a block sequence item. */
export function dashColumn(s: Splicer, item: Node): number {
  const start = s.lineStart(item.range![0]);
  const dash = s.text.lastIndexOf('-', item.range![0]);
  return dash >= start ? dash - start : s.column(item.range![0]);
}

/** Inserts `key: value` as the line above `before`, a pair of block map `map`. */
export function insertPairBefore(
  s: Splicer,
  map: YAMLMap,
  before: Pair<Node, AnyNode>,
  key: string,
  value: YamlValue,
): void {
  if (map.flow) return insertPair(s, map, key, value);
  const start = keyStart(before);
  const col = s.column(start);
  s.insert(s.lineStart(start), `${renderPair(key, value, col)}\n`);
}

/** Appends `item` to a sequence, after `after` (by default its last item). */
export function appendSeqItem(s: Splicer, seq: YAMLSeq, item: YamlValue, after?: Node): void {
  const items = seq.items as Node[];
  const last = after ?? items[items.length - 1];
  if (seq.flow) {
    if (items.length === 0) s.insert(seq.range![0] + 1, renderFlow(item));
    else s.insert(contentEnd(last), `, ${renderFlow(item)}`);
    return;
  }
  const col = dashColumn(s, items[0]);
  // New entries are written like the one before them: `- { name: … }` or `- name: …` lines.
  const blockMaps = isMap(last) && !last.flow;
  s.insertLineAfter(contentEnd(last), renderSeqItem(item, col, blockMaps), col + 1);
}

/** The rest of the line after a flow item: only its comma and a comment may follow it. */
const FLOW_ITEM_TAIL = /^[ \t]*,?[ \t]*(#[^\n]*)?\r?(\n|$)/;

/** A flow list written one item per line (`[`, items, `]` on lines of their own). */
function isFlowPerLine(s: Splicer, seq: YAMLSeq): boolean {
  const items = seq.items as Node[];
  return (
    seq.flow === true &&
    items.length > 0 &&
    items.every(
      (n) => s.startsLine(n.range![0]) && FLOW_ITEM_TAIL.test(s.text.slice(contentEnd(n))),
    )
  );
}

function removeSeqItem(s: Splicer, seq: YAMLSeq, item: Node): void {
  const items = seq.items as Node[];
  const i = items.indexOf(item);
  if (isFlowPerLine(s, seq)) {
    // Its own line goes, comment and all; the others' lines and comments stay.
    s.replace(s.lineStart(item.range![0]), s.nextLineStart(contentEnd(item)), '');
    return;
  }
  if (seq.flow) {
    if (i > 0) s.replace(contentEnd(items[i - 1]), contentEnd(item), '');
    else
      s.replace(
        item.range![0],
        i + 1 < items.length ? items[i + 1].range![0] : contentEnd(item),
        '',
      );
    return;
  }
  const dashLineStart = s.lineStart(s.text.lastIndexOf('-', item.range![0]));
  s.replace(dashLineStart, s.nextLineStart(contentEnd(item)), '');
}

function mergeSeq(
  s: Splicer,
  map: YAMLMap,
  pair: Pair<Node, AnyNode>,
  seq: YAMLSeq,
  w: MergeBy,
): void {
  const items = seq.items as Node[];
  const keyOf = (n: Node) => (isMap(n) ? scalarText(n.get(w.key, true) as AnyNode) : undefined);
  const remaining = items.filter((n) => !w.remove.includes(keyOf(n) ?? '\u0000'));
  const updates: [YAMLMap, WantMap][] = [];
  const toAppend: YamlValue[] = [];
  for (const wanted of w.items) {
    const existing = remaining.find((n) => keyOf(n) === plain(wanted[w.key]));
    if (existing && isMap(existing)) updates.push([existing, wanted]);
    else toAppend.push(plain(wanted));
  }
  if (remaining.length === 0 && isFlowPerLine(s, seq)) {
    // Every old entry goes: the list is written afresh, still one item per line.
    const close = s.text.lastIndexOf(']', seq.range![1]);
    const pad = ' '.repeat(s.column(items[0].range![0]));
    const lines = toAppend.map((item) => `${pad}${renderFlow(item)}`).join(',\n');
    s.replace(seq.range![0], close + 1, `[\n${lines}\n${' '.repeat(s.column(close))}]`);
    return;
  }
  if (remaining.length === 0) {
    // Every old entry goes: write the list afresh rather than append after deleted lines.
    replacePair(s, map, pair, scalarText(pair.key) ?? '', toAppend);
    return;
  }
  const perLine = isFlowPerLine(s, seq);
  for (const n of items) if (!remaining.includes(n)) removeSeqItem(s, seq, n);
  for (const [node, wanted] of updates) reconcileMap(s, node, wanted);
  const last = remaining[remaining.length - 1];
  if (perLine && toAppend.length) return appendFlowLines(s, seq, last, toAppend);
  // After the last item that stays: the ones removed may be at the end.
  for (const item of toAppend) appendSeqItem(s, seq, item, last);
}

/**
 * New items of a one-item-per-line flow list, each on a line of its own after `last`; a comma goes
 * right after `last` (before its comment), and the list ends with a comma only if it did.
 */
function appendFlowLines(s: Splicer, seq: YAMLSeq, last: Node, add: YamlValue[]): void {
  const items = seq.items as Node[];
  const end = contentEnd(last);
  // Deepest of the inserts at `end`, so it lands before the new lines.
  if (!/^[ \t]*,/.test(s.text.slice(end))) s.insert(end, ',', Number.MAX_SAFE_INTEGER);
  const trailing = /^[ \t]*,/.test(s.text.slice(contentEnd(items[items.length - 1])));
  const pad = ' '.repeat(s.column(items[0].range![0]));
  const lines = add.map(
    (item, i) => `${pad}${renderFlow(item)}${i < add.length - 1 || trailing ? ',' : ''}`,
  );
  s.insertLineAfter(end, lines.join('\n'), pad.length + 1);
}
