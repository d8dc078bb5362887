/**
 * A package manager's workspaces: the globs of the root's package.json (`workspaces`, or yarn's
 * `workspaces.packages`) and of pnpm-workspace.yaml (`packages`), and whether a folder is one of
 * them. One reading for the generators (where an app's dependencies go) and the command line
 * (which folder is the workspace root). No Nx here: it runs where there is none.
 */
// Loaded when a workspace has patterns to match or a pnpm-workspace.yaml to read, not before:
// every command finds its workspace root through here.
/* eslint-disable @typescript-eslint/no-require-imports */
const minimatch = (path: string, pattern: string): boolean =>
  (require('minimatch') as typeof import('minimatch')).minimatch(path, pattern);
const parse = (text: string): unknown => (require('yaml') as typeof import('yaml')).parse(text);
/* eslint-enable @typescript-eslint/no-require-imports */

/** The workspace globs at a root, read through `read` (a path relative to it → text, or null). */
export function workspacePatterns(read: (path: string) => string | null): string[] {
  const patterns: string[] = [];
  const strings = (list: unknown): string[] =>
    Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
  try {
    const w = JSON.parse(read('package.json') ?? '{}')?.workspaces;
    patterns.push(...strings(Array.isArray(w) ? w : w?.packages));
  } catch {
    // A package.json that does not parse lists no workspaces.
  }
  try {
    const pnpm = read('pnpm-workspace.yaml');
    if (pnpm !== null) patterns.push(...strings((parse(pnpm) as { packages?: unknown })?.packages));
  } catch {
    // A broken pnpm-workspace.yaml installs nothing: it lists no workspaces.
  }
  return patterns;
}

/**
 * Whether `dir` (relative to the root, `/`-separated) is a workspace: the last pattern that
 * matches decides, so a `!` pattern takes out what an earlier one took in.
 */
export function isWorkspaceMember(patterns: string[], dir: string): boolean {
  const folder = dir.replace(/\/+$/, '');
  let member = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    const pattern = (negated ? p.slice(1) : p).replace(/^\.\//, '').replace(/\/+$/, '');
    if (minimatch(folder, pattern)) member = !negated;
  }
  return member;
}
