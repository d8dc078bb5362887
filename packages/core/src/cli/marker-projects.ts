/**
 * The workspace as the command line sees it, with no monorepo tool to ask: its root, and its
 * projects, which are the folders holding an acme-pg.json marker (database projects and the apps
 * wired to them), named as their package.json or project.json names them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { isWorkspaceMember, workspacePatterns } from '../workspace/workspace-globs';
import { MARKER_FILE } from '../workspace/marker-file';
import { UsageError } from './schema-options';

export interface MarkerProject {
  name: string;
  /** Relative to the workspace root, with forward slashes ('' for the root itself). */
  root: string;
  kind?: string;
  module?: string;
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf-8'));
  } catch {
    return undefined;
  }
}

const MONOREPO_FILES = ['nx.json', 'turbo.json', 'pnpm-workspace.yaml'];

/** The workspace globs of the folder `dir`. */
function globsAt(dir: string): string[] {
  return workspacePatterns((p) =>
    existsSync(join(dir, p)) ? readFileSync(join(dir, p), 'utf-8') : null,
  );
}

const hasWorkspaceList = (w: unknown) =>
  Array.isArray(w) || Array.isArray((w as { packages?: unknown } | undefined)?.packages);

function isMonorepoRoot(dir: string): boolean {
  return (
    MONOREPO_FILES.some((f) => existsSync(join(dir, f))) ||
    hasWorkspaceList(readJson(join(dir, 'package.json'))?.['workspaces'])
  );
}

/** Whether `dir` is one of the packages of the monorepo at `root` (or an Nx project of it). */
function isMember(root: string, dir: string): boolean {
  if (existsSync(join(root, 'nx.json')) && existsSync(join(dir, 'project.json'))) return true;
  return isWorkspaceMember(globsAt(root), relative(root, dir).split(sep).join('/'));
}

/**
 * The workspace root for `cwd`, as npm finds a project: the nearest folder up from `cwd` with a
 * polytope.yml, a monorepo's root file (nx.json, turbo.json, pnpm-workspace.yaml, package.json
 * workspaces) or a package.json. A plain package that a monorepo above lists in its workspaces
 * belongs to that monorepo; any other is its own root. No such folder: `cwd` itself.
 */
export function findWorkspaceRoot(cwd: string): string {
  const start = resolve(cwd);
  let nearest: string | undefined;
  for (let dir = start; ; dir = dirname(dir)) {
    if (['polytope.yml', 'package.json', ...MONOREPO_FILES].some((f) => existsSync(join(dir, f)))) {
      nearest = dir;
      break;
    }
    if (dirname(dir) === dir) return start;
  }
  if (existsSync(join(nearest, 'polytope.yml')) || isMonorepoRoot(nearest)) return nearest;
  for (let dir = dirname(nearest); dirname(dir) !== dir; dir = dirname(dir))
    if (isMonorepoRoot(dir)) return isMember(dir, nearest) ? dir : nearest;
  return nearest;
}

function insideOtherWorkspace(root: string, dir: string): boolean {
  for (let d = dir; d !== root && d.startsWith(root); d = dirname(d))
    if (existsSync(join(d, 'polytope.yml')) || isMonorepoRoot(d)) return true;
  return false;
}

const SKIP = new Set(['node_modules', 'dist', 'build', 'tmp', 'coverage', 'out', 'target', 'venv']);
const MAX_DEPTH = 6;

/** Every marked folder under the root (not in node_modules, build output or hidden folders). */
export function findMarkerProjects(root: string): MarkerProject[] {
  const found: MarkerProject[] = [];
  const walk = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // a folder we may not read holds nothing of ours
    }
    if (entries.some((e) => e.name === MARKER_FILE && e.isFile())) {
      const marker = readJson(join(dir, MARKER_FILE)) ?? {};
      const rel = relative(root, dir).split(sep).join('/');
      const named =
        readJson(join(dir, 'project.json'))?.['name'] ??
        readJson(join(dir, 'package.json'))?.['name'];
      // Without a project file (no Nx), a database project goes by its module's id, as the
      // generator names it in its hints; any other folder by its name.
      const module = typeof marker['module'] === 'string' ? marker['module'] : undefined;
      const fallback = marker['kind'] === 'database' && module ? module : basename(dir) || 'root';
      found.push({
        name: typeof named === 'string' && named ? named : fallback,
        root: rel,
        kind: typeof marker['kind'] === 'string' ? marker['kind'] : undefined,
        module: typeof marker['module'] === 'string' ? marker['module'] : undefined,
      });
    }
    if (depth >= MAX_DEPTH) return;
    for (const e of entries)
      if (e.isDirectory() && !e.name.startsWith('.') && !SKIP.has(e.name))
        walk(join(dir, e.name), depth + 1);
  };
  walk(root, 0);
  // A folder below with its own polytope.yml or monorepo root is a workspace of its own: its
  // markers' paths are relative to it, not to us.
  const ours = found.filter((p) => !insideOtherWorkspace(root, join(root, p.root)));
  return ours.sort((a, b) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0));
}

/**
 * Which project a command runs for: --project (a name or a folder), else the marked project
 * around `cwd`, else the database project of --module, else the only database project.
 */
export function chooseProject(
  root: string,
  cwd: string,
  projects: MarkerProject[],
  wanted: { project?: string; module?: string },
): MarkerProject {
  if (wanted.project) {
    const asPath = relative(root, resolve(cwd, wanted.project)).split(sep).join('/');
    const hit =
      projects.find((p) => p.name === wanted.project) ??
      projects.find((p) => p.root === asPath) ??
      // A database's module id names it too (`--project reports` for sql/rep of module reports).
      projects.find((p) => p.kind === 'database' && p.module === wanted.project);
    if (!hit)
      throw new UsageError(
        `No project '${wanted.project}' with an ${MARKER_FILE} here; the projects are: ${names(projects)}.`,
        false,
      );
    return hit;
  }
  const here = relative(root, resolve(cwd)).split(sep).join('/');
  const around = projects
    .filter((p) => p.root === '' || here === p.root || here.startsWith(`${p.root}/`))
    .sort((a, b) => b.root.length - a.root.length)[0];
  if (around && around.root !== '') return around;
  const databases = projects.filter((p) => p.kind === 'database');
  const ofModule = wanted.module ? databases.filter((p) => p.module === wanted.module) : databases;
  if (ofModule.length === 1) return ofModule[0];
  if (wanted.module && ofModule.length === 0)
    throw new UsageError(
      `No database project for module '${wanted.module}' here (${databases.length ? `there are: ${describe(databases)}` : `no ${MARKER_FILE} of kind database under ${root}`}). Add it with: acme-pg g module ${wanted.module}`,
      false,
    );
  if (databases.length === 0)
    throw new UsageError(
      `No PostgreSQL module here: no ${MARKER_FILE} of kind database under ${root}. Add one with: acme-pg g module`,
      false,
    );
  throw new UsageError(
    `Several databases here (${describe(databases)}): say which with --project <name> or --module <id>.`,
    false,
  );
}

const names = (ps: MarkerProject[]) => ps.map((p) => p.name).join(', ') || 'none';
const describe = (ps: MarkerProject[]) =>
  ps.map((p) => `${p.name}${p.module ? ` (module ${p.module})` : ''}`).join(', ');
