/**
 * A fresh Nx workspace made by the real create-nx-workspace at the repo's Nx version, with the
 * packed @acme/pg tarball installed the way a user installs a published package.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';

export const repoRoot = join(__dirname, '..', '..', '..');
export const e2eTmp = join(repoRoot, 'tmp', 'e2e');
export const NX_VERSION: string = JSON.parse(
  readFileSync(join(repoRoot, 'node_modules', 'nx', 'package.json'), 'utf-8'),
).version;

export const env = {
  ...process.env,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_SKIP_NX_CACHE: 'true',
  CI: 'true',
  NX_INTERACTIVE: 'false',
};

export function tarballPath(): string {
  const tgz = readdirSync(e2eTmp).find((f) => /^acme-pg-.*\.tgz$/.test(f));
  if (!tgz) throw new Error('No packed @acme/pg in tmp/e2e: the global setup did not run.');
  return join(e2eTmp, tgz);
}

/** Builds and packs the plugin, and makes the pristine workspace once per run. */
export function prepare(): void {
  rmSync(e2eTmp, { recursive: true, force: true });
  mkdirSync(e2eTmp, { recursive: true });
  execFileSync('npx', ['nx', 'build', 'pg', '--skip-nx-cache'], {
    cwd: repoRoot,
    env,
    stdio: 'pipe',
  });
  execFileSync(
    'npm',
    ['pack', join(repoRoot, 'dist', 'packages', 'pg'), '--pack-destination', e2eTmp],
    { cwd: repoRoot, env, stdio: 'pipe' },
  );
  execFileSync(
    'npx',
    [
      '-y',
      `create-nx-workspace@${NX_VERSION}`,
      'pristine',
      '--preset=apps',
      '--nxCloud=skip',
      '--no-interactive',
      '--packageManager=npm',
      '--skipGit',
    ],
    { cwd: e2eTmp, env, stdio: 'pipe' },
  );
  const pristine = join(e2eTmp, 'pristine');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', tarballPath()], {
    cwd: pristine,
    env,
    stdio: 'pipe',
  });
}

/** A copy of the pristine workspace, with @acme/pg installed. */
export function freshWorkspace(name: string): string {
  const dir = join(e2eTmp, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(e2eTmp, 'pristine'), dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  output: string;
}

export function nx(cwd: string, args: string[], extraEnv: Record<string, string> = {}): Run {
  const r = spawnSync(join(cwd, 'node_modules', '.bin', 'nx'), args, {
    cwd,
    env: { ...env, ...extraEnv },
    encoding: 'utf-8',
  });
  // Nx colours its output whatever the environment says; tests read plain text.
  const plain = (t: string) => t.replace(/\x1b\[[0-9;]*m/g, '');
  return {
    status: r.status,
    stdout: plain(r.stdout),
    stderr: plain(r.stderr),
    output: plain(`${r.stdout}\n${r.stderr}`),
  };
}

/** Path → content hash of every file outside node_modules and Nx's caches. */
export function fileHashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (['node_modules', '.nx', '.git'].includes(name)) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else
        out[relative(root, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}
