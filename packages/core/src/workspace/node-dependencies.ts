/**
 * Where a Node app's dependencies go so that the workspace's install really installs them: the
 * app's own package.json only when it is a member of the root's npm/yarn workspaces or of
 * pnpm-workspace.yaml; otherwise the root's, which is the only one `npm install` at the root reads.
 */
import { joinPathFragments, readJson, Tree } from '../tree/tree-api';
import { isWorkspaceMember as isMember, workspacePatterns } from './workspace-globs';

/** True when the install at the root installs `root`'s own package.json (a workspace member). */
export function isWorkspaceMember(tree: Tree, root: string): boolean {
  return isMember(
    workspacePatterns((p) => (tree.isFile(p) ? tree.read(p, 'utf-8') : null)),
    root,
  );
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
