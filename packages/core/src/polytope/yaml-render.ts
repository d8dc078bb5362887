/**
 * Renders plain JS values as YAML text in the blueprint's style: block maps, block sequences whose
 * items are flow maps, flow collections for anything made only of scalars. Output is always
 * re-parsed by the caller, so a rendering slip can never reach a user's file unnoticed.
 */
export type YamlValue =
  string | number | boolean | null | RawScalar | YamlValue[] | { [key: string]: YamlValue };

/** A string written as given (already quoted in the style the file uses). */
export class RawScalar {
  constructor(
    readonly value: string,
    readonly text: string,
  ) {}
}

// `@` and `%` are YAML indicators: a plain scalar cannot start with them.
const PLAIN_SAFE = /^(?:[A-Za-z0-9_./+$=~^]|-(?=[A-Za-z]))[A-Za-z0-9_./:@+$=~^% -]*$/;
const RESERVED = /^(?:true|false|yes|no|on|off|null|~|y|n)$/i;
const NUMBER_LIKE = /^[-+]?(?:\d[\d_]*)?(?:\.\d*)?(?:e[-+]?\d+)?$|^0x|^0o|^[-+]?\.(?:inf|nan)$/i;

/** A scalar that reads back as the same string in block and flow context alike. */
export function renderScalar(value: string | number | boolean | null | RawScalar): string {
  if (value instanceof RawScalar) return value.text;
  if (value === null) return 'null';
  if (typeof value !== 'string') return String(value);
  const plain =
    value.length > 0 &&
    PLAIN_SAFE.test(value) &&
    !value.endsWith(' ') &&
    !value.endsWith(':') &&
    !value.includes(': ') &&
    !value.includes(' #') &&
    !RESERVED.test(value) &&
    !NUMBER_LIKE.test(value);
  return plain ? value : JSON.stringify(value);
}

/** Keeps the quoting style a user chose when a scalar's value changes. */
export function renderScalarLike(
  value: string | number | boolean | null | RawScalar,
  style: string | undefined,
): string {
  if (value instanceof RawScalar) return value.text;
  if (typeof value === 'string' && style === 'QUOTE_DOUBLE') return JSON.stringify(value);
  if (typeof value === 'string' && style === 'QUOTE_SINGLE' && !/[\n\t\\]/.test(value)) {
    return `'${value.replace(/'/g, "''")}'`;
  }
  return renderScalar(value);
}

export function isScalar(value: YamlValue): value is string | number | boolean | null | RawScalar {
  return value === null || typeof value !== 'object' || value instanceof RawScalar;
}

/** `value` quoted as the file quotes its other scalars of that kind (`style` from the yaml parser). */
export function scalarInStyle(value: string, style: string | undefined): RawScalar {
  return new RawScalar(value, renderScalarLike(value, style));
}

function onlyScalars(value: YamlValue): boolean {
  if (isScalar(value)) return true;
  const children = Array.isArray(value) ? value : Object.values(value);
  return children.every(isScalar);
}

export function renderFlow(value: YamlValue): string {
  if (isScalar(value)) return renderScalar(value);
  if (Array.isArray(value)) return `[${value.map(renderFlow).join(', ')}]`;
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([k, v]) => `${renderScalar(k)}: ${renderFlow(v)}`).join(', ')} }`;
}

/**
 * `key: value` at the given indentation, as one or more lines without a final newline.
 * Sequences under a key are indented two columns deeper than the key.
 */
export function renderPair(key: string, value: YamlValue, indent: number): string {
  const head = `${' '.repeat(indent)}${renderScalar(key)}:`;
  if (fitsOnOneLine(value)) return `${head} ${renderFlow(value)}`;
  if (Array.isArray(value)) return `${head}\n${renderSeqItems(value, indent + 2)}`;
  return `${head}\n${renderMapBody(value as Record<string, YamlValue>, indent + 2)}`;
}

// Scalars, maps of scalars (a data-volume, a restart policy) and short lists of scalars (a `cmd`).
function fitsOnOneLine(value: YamlValue): boolean {
  if (isScalar(value)) return true;
  if (!onlyScalars(value)) return false;
  return !Array.isArray(value) || renderFlow(value).length <= 80;
}

export function renderMapBody(map: Record<string, YamlValue>, indent: number): string {
  return Object.entries(map)
    .map(([k, v]) => renderPair(k, v, indent))
    .join('\n');
}

/** Block sequence items at `indent`; map items whose values are all scalars stay on one line. */
export function renderSeqItems(items: YamlValue[], indent: number): string {
  return items.map((item) => renderSeqItem(item, indent)).join('\n');
}

/** `blockMaps`: a map of scalars as `- k: v` lines, like siblings written that way. */
export function renderSeqItem(item: YamlValue, indent: number, blockMaps = false): string {
  const pad = ' '.repeat(indent);
  const map = !isScalar(item) && !Array.isArray(item);
  if (onlyScalars(item) && !(blockMaps && map)) return `${pad}- ${renderFlow(item)}`;
  if (Array.isArray(item)) return `${pad}-\n${renderSeqItems(item, indent + 2)}`;
  const body = renderMapBody(item as Record<string, YamlValue>, indent + 2);
  return `${pad}- ${body.slice(indent + 2)}`;
}
