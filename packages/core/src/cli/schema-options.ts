/**
 * A command's options on the command line, from the same schema.json that Nx reads for the
 * executor: one definition, so `acme-pg db-backup --format custom` and
 * `nx run app:db-backup --format custom` take the same options with the same defaults and checks.
 */
import { parseArgs, ParseArgsConfig } from 'node:util';

export interface OptionSchema {
  type?: 'string' | 'number' | 'integer' | 'boolean' | 'array';
  description?: string;
  enum?: string[];
  default?: unknown;
  $default?: { $source?: string; index?: number };
}

export interface CommandSchema {
  properties: Record<string, OptionSchema>;
  required?: string[];
}

export class UsageError extends Error {
  /** Whether `--help` would show the way out (a wrong option), or the message says it already. */
  constructor(
    message: string,
    readonly seeHelp = true,
  ) {
    super(message);
  }
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The options given by position (a generator's name), in their order. */
function positionalOptions(schema: CommandSchema): string[] {
  return Object.entries(schema.properties)
    .filter(([, p]) => p.$default?.$source === 'argv')
    .sort(([, a], [, b]) => (a.$default?.index ?? 0) - (b.$default?.index ?? 0))
    .map(([n]) => n);
}

/** The one option that takes what follows `--` (db-psql's arguments for psql), if any. */
export function unparsedOption(schema: CommandSchema): string | undefined {
  return Object.entries(schema.properties).find(([, p]) => p.$default?.$source === 'unparsed')?.[0];
}

/** The name nearest to a mistyped one, when it is near enough to be what was meant. */
export function closest(word: string, names: string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i][j] = Math.min(
          d[i - 1][j] + 1,
          d[i][j - 1] + 1,
          d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
    return d[a.length][b.length];
  };
  const best = names
    .map((n) => ({ n, d: distance(word.toLowerCase(), n.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.n : undefined;
}

function convert(name: string, p: OptionSchema, raw: string): unknown {
  if (p.type === 'number' || p.type === 'integer') {
    const n = raw.trim() === '' ? NaN : Number(raw);
    if (!Number.isFinite(n) || (p.type === 'integer' && !Number.isInteger(n)))
      throw new UsageError(`--${name} takes a number; '${raw}' is not one.`);
    return n;
  }
  if (p.enum && !p.enum.includes(raw))
    throw new UsageError(`--${name} is one of ${p.enum.join(', ')}; '${raw}' is not.`);
  return raw;
}

/**
 * argv (after the command's name) → the executor's options, with the schema's defaults. Options
 * are written --camelCase or --kebab-case, as Nx accepts them; `--name=value` and `--name value`
 * both work. Anything after `--` goes to the unparsed option, untouched.
 */
export function parseCommandArgs(schema: CommandSchema, argv: string[]): Record<string, unknown> {
  const dashdash = argv.indexOf('--');
  const own = dashdash < 0 ? argv : argv.slice(0, dashdash);
  const rest = dashdash < 0 ? [] : argv.slice(dashdash + 1);
  const unparsed = unparsedOption(schema);
  if (rest.length > 0 && !unparsed)
    throw new UsageError(`This command takes no arguments after --; '${rest[0]}' is one.`);
  const config: NonNullable<ParseArgsConfig['options']> = {};
  const byFlag = new Map<string, string>();
  for (const [name, p] of Object.entries(schema.properties)) {
    if (name === unparsed) continue;
    for (const flag of new Set([name, kebab(name)])) {
      config[flag] = {
        type: p.type === 'boolean' ? 'boolean' : 'string',
        multiple: p.type === 'array',
      };
      byFlag.set(flag, name);
    }
  }
  // Switches turn off as in Nx: --no-<name>, unless that is another option's own flag (--no-backup).
  const negated = new Map<string, string>();
  for (const [name, p] of Object.entries(schema.properties))
    if (p.type === 'boolean' && !byFlag.has(`no-${kebab(name)}`)) {
      negated.set(`no-${kebab(name)}`, name);
      config[`no-${kebab(name)}`] = { type: 'boolean' };
    }
  const switches = own.map((arg) => {
    const m = /^--([^=]+)=(true|false)$/.exec(arg);
    const name = m && byFlag.get(m[1]);
    if (!m || !name || schema.properties[name].type !== 'boolean') return arg;
    return m[2] === 'true' ? `--${m[1]}` : `--no-${kebab(name)}`;
  });
  const byPosition = positionalOptions(schema);
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: switches,
      options: config,
      strict: true,
      allowPositionals: byPosition.length > 0,
    }));
  } catch (e) {
    throw new UsageError(explainParseError(e as Error, [...byFlag.keys()], !!unparsed));
  }
  const options: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(schema.properties))
    if (p.default !== undefined) options[name] = p.default;
  for (const [flag, value] of Object.entries(values)) {
    const off = negated.get(flag);
    if (off !== undefined) {
      if (Object.keys(values).some((f) => byFlag.get(f) === off))
        throw new UsageError(`--${kebab(off)} and --${flag} contradict each other; give one.`);
      options[off] = false;
      continue;
    }
    const name = byFlag.get(flag)!;
    const p = schema.properties[name];
    options[name] = Array.isArray(value)
      ? value.map((v) => convert(flag, p, String(v)))
      : typeof value === 'string'
        ? convert(flag, p, value)
        : value;
  }
  if (positionals.length > byPosition.length)
    throw new UsageError(
      `Unexpected argument '${positionals[byPosition.length]}'${byPosition.length ? `: only ${byPosition.map((n) => `<${n}>`).join(' ')} is given by position` : ''}.`,
    );
  const flagged = new Set(Object.keys(values).map((f) => byFlag.get(f)));
  positionals.forEach((v, i) => {
    const name = byPosition[i];
    if (flagged.has(name))
      throw new UsageError(`<${name}> is given twice: by position and as --${name}.`);
    options[name] = convert(name, schema.properties[name], v);
  });
  if (unparsed && rest.length > 0) options[unparsed] = rest;
  for (const name of schema.required ?? [])
    if (options[name] === undefined) throw new UsageError(`--${name} is required.`);
  return options;
}

function explainParseError(e: Error, flags: string[], takesRest: boolean): string {
  const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(e.message)?.[1];
  if (unknown) {
    const guess = closest(unknown.replace(/^-+/, ''), flags);
    return `Unknown option ${unknown}.${guess ? ` Did you mean --${guess}?` : ''}`;
  }
  const positional = /Unexpected argument '([^']*)'/.exec(e.message)?.[1];
  if (positional !== undefined)
    return `Unexpected argument '${positional}': options are written --name value${takesRest ? '; what is for psql goes after --' : ''}.`;
  const missing = /Option '(-{1,2}[^ ']+)[^']*' argument missing/.exec(e.message)?.[1];
  if (missing) return `${missing} needs a value.`;
  const flagWithValue = /Option '(-{1,2}[^ ']+)[^']*' does not take an argument/.exec(
    e.message,
  )?.[1];
  if (flagWithValue) return `${flagWithValue} is a switch: give it without a value.`;
  return e.message;
}
