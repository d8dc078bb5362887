/**
 * The env file that holds the view from this machine (host localhost, the exposed port, the
 * credentials), for the executors and for generated clients run outside the stack. KEY=VALUE lines,
 * values single-quoted (or double-quoted when they hold a single quote), as dotenv readers expect.
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fail } from '../utils/errors';

function quote(value: string): string {
  if (!value.includes("'") && !/[\r\n]/.test(value)) return `'${value}'`;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/**
 * Keys whose values a POSIX shell (`set -a; . file`) reads differently from dotenv and from us:
 * a double-quoted value (it holds a single quote) with `$`, a backtick, a backslash or a line break.
 */
export function shellUnsafeKeys(entries: Record<string, string>): string[] {
  return Object.entries(entries)
    .filter(([, v]) => v.includes("'") && /[$`\\\r\n]/.test(v))
    .map(([k]) => k);
}

export function renderEnvFile(entries: Record<string, string>, header: string): string {
  const lines = [`# ${header}`, ...Object.entries(entries).map(([k, v]) => `${k}=${quote(v)}`)];
  return `${lines.join('\n')}\n`;
}

/** Written to a temporary name with mode 0600, then renamed: never readable by others, never half-written. */
export function writeEnvFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function parseEnvFile(text: string, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) fail(`${path}:${i + 1}: not a KEY=VALUE line.`);
    const v = m[2];
    if (v.startsWith("'") && v.endsWith("'") && v.length >= 2) out[m[1]] = v.slice(1, -1);
    else if (v.startsWith('"') && v.endsWith('"') && v.length >= 2)
      out[m[1]] = v
        .slice(1, -1)
        .replace(/\\(["\\nr])/g, (_, c: string) => ({ n: '\n', r: '\r' })[c as 'n' | 'r'] ?? c);
    else out[m[1]] = v.replace(/\s+#.*$/, '');
  });
  return out;
}

export function readEnvFile(path: string): Record<string, string> | undefined {
  if (!existsSync(path)) return undefined;
  return parseEnvFile(readFileSync(path, 'utf-8'), path);
}
