/**
 * Finds, in psql's arguments, any that would choose the connection (the resolved settings must
 * decide it) or ask for a password. psql parses its command line with getopt_long, so this follows
 * getopt: short flags cluster (-qhother), an option's value may be attached (-Uother) or the next
 * word, long options may be abbreviated (--ho=x) and take `=value`, and every other word (wherever
 * it is, or after `--`) is a database name, user name, conninfo string or URI.
 */

/** psql's short options that take a value (its getopt string "aAbc:d:eEf:F:h:HlL:no:p:P:qR:sStT:U:v:VwWxXz?01"). */
const SHORT_WITH_VALUE = new Set('cdfFhLopPRTUv');
const SHORT_FORBIDDEN = new Set('dhpUW');
const LONG_WITH_VALUE = [
  'command',
  'dbname',
  'file',
  'field-separator',
  'host',
  'log-file',
  'output',
  'port',
  'pset',
  'record-separator',
  'table-attr',
  'username',
  'set',
  'variable',
];
const LONG_FORBIDDEN = ['host', 'port', 'username', 'dbname', 'password'];

/** The first argument that overrides the connection, or undefined when there is none. */
export function connectionOverride(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return args[i + 1];
    if (a.startsWith('--')) {
      const name = a.slice(2).split('=')[0];
      // getopt_long accepts any unambiguous prefix, and an ambiguous one is an error anyway.
      if (LONG_FORBIDDEN.some((f) => f.startsWith(name))) return a;
      const takesValue = LONG_WITH_VALUE.some((f) => f.startsWith(name));
      if (takesValue && !a.includes('=')) i++;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        if (SHORT_FORBIDDEN.has(a[j])) return a;
        if (SHORT_WITH_VALUE.has(a[j])) {
          if (j === a.length - 1) i++; // the value is the next word
          break;
        }
      }
      continue;
    }
    return a; // a database name, user name, conninfo or URI
  }
  return undefined;
}
