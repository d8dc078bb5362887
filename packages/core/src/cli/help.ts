/** `acme-pg <command> --help`: the command's options, from its schema.json, as Nx shows them. */
import { withDocsPaths } from '../utils/commands';
import { CommandSchema, unparsedOption } from './schema-options';

const WIDTH = 100;

function wrap(text: string, indent: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && indent + line.length + 1 + w.length > WIDTH) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

export function commandHelp(name: string, summary: string, schema: CommandSchema): string {
  const rest = unparsedOption(schema);
  const out = [
    `Usage: acme-pg ${name} [options]${rest ? ' [-- <psql arguments>]' : ''}`,
    '',
    wrap(summary, 0),
    '',
    'Options:',
  ];
  const entries = Object.entries(schema.properties).filter(([n]) => n !== rest);
  const label = (n: string, t?: string) =>
    `  --${n}${t === 'boolean' ? '' : t === 'number' || t === 'integer' ? ' <n>' : ' <value>'}`;
  const col = Math.min(34, Math.max(...entries.map(([n, p]) => label(n, p.type).length)) + 2);
  for (const [n, p] of entries) {
    const extra = [
      p.enum ? `One of: ${p.enum.join(', ')}.` : '',
      p.default !== undefined && p.default !== false
        ? `Default: ${JSON.stringify(p.default)}.`
        : '',
    ]
      .filter(Boolean)
      .join(' ');
    const text = wrap(withDocsPaths(`${p.description ?? ''} ${extra}`.trim()), col);
    const l = label(n, p.type);
    out.push(l.length < col ? `${l.padEnd(col)}${text}` : `${l}\n${' '.repeat(col)}${text}`);
  }
  out.push(`  --help${' '.repeat(col - 8)}Show this help.`);
  out.push(
    '',
    'Options may be written --camelCase or --kebab-case. Exit codes: 0 done, 1 failed, 2 usage.',
  );
  return `${out.join('\n')}\n`;
}
