/**
 * Nx loads the dotenv files of the workspace and of the project into every task's environment
 * (`.env`, `.env.local`, `.env.<target>` …), so a DATABASE_URL written there for an app reaches
 * db-migrate as if the user had set it. Where a variable came from such a file, messages say so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

/** The files Nx loads for a task, in its order (the first to set a variable wins). */
function dotenvFiles(projectRoot: string | undefined, target: string | undefined): string[] {
  const variants = (dir: string) => {
    const p = dir ? `${dir}/` : '';
    const named = target
      ? [
          `${p}.env.${target}.local`,
          `${p}.env.${target}`,
          `${p}.${target}.local.env`,
          `${p}.${target}.env`,
        ]
      : [];
    return [...named, `${p}.env.local`, `${p}.local.env`, `${p}.env`];
  };
  return [...(projectRoot ? variants(projectRoot) : []), ...variants('')];
}

/**
 * Labels an environment variable for messages: `DATABASE_URL (from .env, which Nx loads into
 * every task)` when this is an Nx task and the first dotenv file that sets it gave this value.
 */
export function nxDotenvLabel(
  root: string,
  projectRoot: string | undefined,
  env: NodeJS.ProcessEnv,
): (name: string) => string {
  if (!env['NX_TASK_TARGET_PROJECT']) return (name) => name;
  const target = env['NX_TASK_TARGET_TARGET'];
  const parsed: [string, NodeJS.Dict<string>][] = [];
  for (const file of dotenvFiles(projectRoot, target)) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    try {
      parsed.push([file, parseEnv(readFileSync(path, 'utf-8'))]);
    } catch {
      // A file Nx could not read either sets nothing.
    }
  }
  return (name) => {
    const from = parsed.find(([, vars]) => vars[name] !== undefined);
    return from && from[1][name] === env[name]
      ? `${name} (from ${from[0]}, which Nx loads into every task)`
      : name;
  };
}
