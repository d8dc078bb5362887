/**
 * The `pt` command line, as far as @acme/pg uses it:
 *   pt values set KEY VALUE         a value (not secret) on the command line
 *   pt secrets set KEY --stdin      a secret on standard input, never on a command line
 *   pt values list / pt secrets list   which keys exist (`-o json` first, plain lines otherwise)
 */
import { spawn, spawnSync } from 'node:child_process';
import { findOnPath } from '../utils/executables';
import { shellQuote } from '../utils/shell-quote';

export { shellQuote };

export type KeyKind = 'value' | 'secret';

export interface PtSet {
  kind: KeyKind;
  key: string;
  value: string;
}

/** The command as run: a secret's value is not in it. */
export function ptArgs(s: PtSet): string[] {
  return s.kind === 'value'
    ? ['values', 'set', s.key, s.value]
    : ['secrets', 'set', s.key, '--stdin'];
}

/**
 * The command as a user would type it. A hidden secret (a password) is left for pt to read from
 * the terminal, never written into the command: a mask there would be stored if pasted.
 */
export function showPtCommand(s: PtSet, hide = s.kind === 'secret'): string {
  const cmd = ['pt', ...ptArgs(s)].map(shellQuote).join(' ');
  if (s.kind !== 'secret') return cmd;
  return hide ? cmd : `printf '%s' ${shellQuote(s.value)} | ${cmd}`;
}

export function findPt(env: NodeJS.ProcessEnv): string | undefined {
  return findOnPath('pt', env);
}

function keysFromJson(text: string): Set<string> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(data)) {
    const keys = data.map((e) =>
      typeof e === 'string'
        ? e
        : ((e as Record<string, unknown>)?.['id'] ??
          (e as Record<string, unknown>)?.['key'] ??
          (e as Record<string, unknown>)?.['name']),
    );
    return keys.every((k) => typeof k === 'string') ? new Set(keys as string[]) : undefined;
  }
  if (data && typeof data === 'object') return new Set(Object.keys(data));
  return undefined;
}

/** The keys that exist, or undefined when `pt` cannot say. */
export function listPtKeys(
  pt: string,
  kind: KeyKind,
  env: NodeJS.ProcessEnv,
): Set<string> | undefined {
  const plural = kind === 'value' ? 'values' : 'secrets';
  const json = spawnSync(pt, [plural, 'list', '-o', 'json'], {
    encoding: 'utf-8',
    env,
    timeout: 30_000,
  });
  if (json.status === 0) {
    const keys = keysFromJson(json.stdout);
    if (keys) return keys;
  }
  const plain = spawnSync(pt, [plural, 'list'], { encoding: 'utf-8', env, timeout: 30_000 });
  if (plain.status !== 0) return undefined;
  const keys = plain.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((k) => /^[a-z0-9][a-z0-9._-]*$/.test(k));
  return new Set(keys);
}

export interface PtResult {
  code: number | null;
  stderr: string;
}

export function runPtSet(pt: string, s: PtSet, env: NodeJS.ProcessEnv): Promise<PtResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(pt, ptArgs(s), { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({
        code,
        stderr: s.kind === 'secret' && s.value ? stderr.split(s.value).join('****') : stderr,
      }),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(s.kind === 'secret' ? s.value : '');
  });
}
