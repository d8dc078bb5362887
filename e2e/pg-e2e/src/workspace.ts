/**
 * A fresh Nx workspace made by the real create-nx-workspace (at the repo's Nx version, and on Nx
 * 22), with the packed @acme/pg tarball added by `nx add`, the way a user installs the package.
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
  writeFileSync,
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

export function tarballPath(pkg: 'pg' | 'pg-core' | 'turbo-pg' = 'pg'): string {
  const tgz = readdirSync(e2eTmp).find((f) => new RegExp(`^acme-${pkg}-\\d.*\\.tgz$`).test(f));
  if (!tgz) throw new Error(`No packed @acme/${pkg} in tmp/e2e: the global setup did not run.`);
  return join(e2eTmp, tgz);
}

/** The Nx line below the repo's, to prove the lower end of the declared peer range. */
export const NX_OLD_VERSION = '22';

/**
 * The Nx line above the repo's, the upper end of the range. create-nx-workspace and @nx/js stop at
 * 23, so this workspace is made by hand, as an Nx 24 user without those plugins has it.
 */
export const NX_NEW_VERSION = '24.0.6';

export type Pristine = 'pristine' | 'pristine-22' | 'pristine-24';

function createWorkspace(name: string, version: string): string {
  execFileSync(
    'npx',
    [
      '-y',
      `create-nx-workspace@${version}`,
      name,
      '--preset=apps',
      '--nxCloud=skip',
      '--no-interactive',
      '--packageManager=npm',
      '--skipGit',
    ],
    { cwd: e2eTmp, env, stdio: 'pipe' },
  );
  return join(e2eTmp, name);
}

function createBareWorkspace(name: string, version: string): string {
  const dir = join(e2eTmp, name);
  mkdirSync(dir, { recursive: true });
  const pkg = { name, version: '0.0.0', private: true, devDependencies: { nx: version } };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(dir, 'nx.json'), '{}\n');
  writeFileSync(join(dir, '.gitignore'), 'node_modules\n');
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, env, stdio: 'pipe' });
  return dir;
}

/**
 * Builds and packs the plugin, and makes the pristine workspaces once per run: one at the repo's Nx
 * version, one on Nx 22 and one on Nx 24, each with the tarball installed by `nx add`, as a user
 * would.
 */
export function prepare(): void {
  rmSync(e2eTmp, { recursive: true, force: true });
  mkdirSync(e2eTmp, { recursive: true });
  execFileSync(
    'npx',
    ['nx', 'run-many', '-t', 'build', '-p', 'core', 'pg', 'turbo-pg', '--skip-nx-cache'],
    {
      cwd: repoRoot,
      env,
      stdio: 'pipe',
    },
  );
  for (const pkg of ['core', 'pg', 'turbo'])
    execFileSync(
      'npm',
      ['pack', join(repoRoot, 'dist', 'packages', pkg), '--pack-destination', e2eTmp],
      { cwd: repoRoot, env, stdio: 'pipe' },
    );
  for (const [name, version] of [
    ['pristine', NX_VERSION],
    ['pristine-22', NX_OLD_VERSION],
    ['pristine-24', NX_NEW_VERSION],
  ]) {
    const dir =
      version === NX_NEW_VERSION
        ? createBareWorkspace(name, version)
        : createWorkspace(name, version);
    installCore(dir);
    const add = nx(dir, ['add', `@acme/pg@file:${tarballPath()}`]);
    if (add.status !== 0) throw new Error(`nx add @acme/pg failed in ${name}:\n${add.output}`);
    writeFileSync(join(e2eTmp, `${name}.nx-add.log`), add.output);
  }
}

/**
 * @acme/pg-core from its tarball, as the registry would give it: @acme/pg depends on it, and it is
 * not published yet. npm then takes it as the installed copy that @acme/pg's range matches.
 */
export function installCore(dir: string): void {
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '-D', tarballPath('pg-core')], {
    cwd: dir,
    env,
    stdio: 'pipe',
  });
}

/** A copy of a pristine workspace, with @acme/pg added. */
export function freshWorkspace(name: string, from: Pristine = 'pristine'): string {
  const dir = join(e2eTmp, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(e2eTmp, from), dir, { recursive: true, verbatimSymlinks: true });
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
