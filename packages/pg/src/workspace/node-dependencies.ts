/**
 * Where a Node app's dependencies go so that the workspace's install really installs them: the
 * app's own package.json only when it is a member of the root's npm/yarn workspaces or of
 * pnpm-workspace.yaml; otherwise the root's, which is the only one `npm install` at the root reads.
 */
import { joinPathFragments, readJson, Tree } from '@nx/devkit';
import { minimatch } from 'minimatch';
import { parse } from 'yaml';

function workspacePatterns(tree: Tree): string[] {
  const patterns: string[] = [];
  if (tree.isFile('package.json')) {
    const w = readJson(tree, 'package.json').workspaces;
    const list = Array.isArray(w) ? w : Array.isArray(w?.packages) ? w.packages : [];
    patterns.push(...list.filter((p: unknown): p is string => typeof p === 'string'));
  }
  if (tree.isFile('pnpm-workspace.yaml')) {
    try {
      const doc = parse(tree.read('pnpm-workspace.yaml', 'utf-8') ?? '');
      const list = Array.isArray(doc?.packages) ? doc.packages : [];
      patterns.push(...list.filter((p: unknown): p is string => typeof p === 'string'));
    } catch {
      // A broken pnpm-workspace.yaml installs nothing of the app's own: the root's is used.
    }
  }
  return patterns;
}

/** True when the install at the root installs `root`'s own package.json (a workspace member). */
export function isWorkspaceMember(tree: Tree, root: string): boolean {
  const dir = root.replace(/\/+$/, '');
  let member = false;
  for (const p of workspacePatterns(tree)) {
    const negated = p.startsWith('!');
    const pattern = (negated ? p.slice(1) : p).replace(/^\.\//, '').replace(/\/+$/, '');
    if (minimatch(dir, pattern)) member = !negated;
  }
  return member;
}

/** The app's own package.json, when it has one. */
export function appPackageJson(tree: Tree, root: string): string | undefined {
  const path = joinPathFragments(root, 'package.json');
  return root && tree.isFile(path) ? path : undefined;
}

/** The package.json whose dependencies the install at the root installs for the app. */
export function installedPackageJson(tree: Tree, root: string): string {
  const own = appPackageJson(tree, root);
  return own && isWorkspaceMember(tree, root) ? own : 'package.json';
}

/** The version a package.json gives `name` in any of its dependency fields, if it lists it. */
export function declaredVersion(tree: Tree, packageJson: string, name: string): string | undefined {
  const json = readJson(tree, packageJson);
  for (const k of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'])
    if (typeof json[k]?.[name] === 'string') return json[k][name];
  return undefined;
}
