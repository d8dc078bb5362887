/** Finding programs: an executable regular file, or the first one of a name on PATH. */
import { statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function isExecutable(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

export function pathDirs(env: NodeJS.ProcessEnv): string[] {
  return (env['PATH'] ?? '').split(delimiter).filter(Boolean);
}

export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  return pathDirs(env)
    .map((dir) => join(dir, name))
    .find(isExecutable);
}
