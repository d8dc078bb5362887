/**
 * What makes the generated files a Turborepo's: the database folder a workspace package with db:*
 * scripts that call acme-pg, the apps' db:* scripts, and the tasks in turbo.json. Never replaces
 * a script, task or setting the user has.
 */
import { minimatch } from 'minimatch';
import { posix } from 'node:path';
import { isSeq, parseDocument } from 'yaml';
import { FileTreeLike } from './acme-pg';

/** The database package's scripts: every command of the module's database, and readiness. */
export const DATABASE_SCRIPTS: Record<string, string> = {
  'db:up': 'acme-pg db-up',
  'db:down': 'acme-pg db-down',
  'db:serve': 'acme-pg db-up --foreground',
  'db:values': 'acme-pg db-values',
  'db:check': 'acme-pg db-check',
  'db:ready': 'acme-pg db-check --wait 60',
  'db:backup': 'acme-pg db-backup',
  'db:restore': 'acme-pg db-restore',
  'db:psql': 'acme-pg db-psql',
  'db:migrate': 'acme-pg db-migrate',
  'db:seed': 'acme-pg db-seed',
  'db:reset': 'acme-pg db-reset',
};

/** An app's scripts: the commands an app runs against its database, as its role when it has one. */
export const APP_SCRIPTS: Record<string, string> = {
  'db:check': 'acme-pg db-check',
  'db:backup': 'acme-pg db-backup',
  'db:restore': 'acme-pg db-restore',
  'db:psql': 'acme-pg db-psql',
};

/**
 * Strict env mode hides every variable a task does not declare: the settings the commands read
 * (also with a module's prefix, ANALYTICS_POSTGRES_HOST) must pass through.
 */
export const PASS_THROUGH_ENV = [
  'POSTGRES_*',
  'PG*',
  'DATABASE_URL',
  '*_POSTGRES_*',
  '*_DATABASE_URL',
];

type Json = Record<string, unknown>;

function readJson(tree: FileTreeLike, path: string): Json | undefined {
  const text = tree.read(path, 'utf-8');
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new Error(
      `${path} is not plain JSON (comments or a syntax error), so it was left as it is. Fix it, or add what the generator prints by hand, then run it again.`,
    );
  }
}

/** Writes the JSON when its content changed: a file we add nothing to keeps its own layout. */
function writeJson(tree: FileTreeLike, path: string, json: Json): void {
  const text = tree.read(path, 'utf-8');
  if (text !== null && JSON.stringify(JSON.parse(text)) === JSON.stringify(json)) return;
  tree.write(path, `${JSON.stringify(json, null, 2)}\n`);
}

/** Adds the scripts a package lacks; returns the names of those it already had otherwise. */
function addScripts(json: Json, scripts: Record<string, string>): string[] {
  const have = (json['scripts'] as Record<string, string> | undefined) ?? {};
  const kept = Object.keys(scripts).filter((k) => have[k] !== undefined && have[k] !== scripts[k]);
  json['scripts'] = {
    ...have,
    ...Object.fromEntries(Object.entries(scripts).filter(([k]) => have[k] === undefined)),
  };
  return kept;
}

/** The Nx project file the module generator wrote, which a Turborepo without Nx has no use for. */
export function dropNxProjectFile(tree: FileTreeLike, folder: string, createdNow: boolean): void {
  if (!tree.exists('nx.json') && createdNow) tree.delete(posix.join(folder, 'project.json'));
}

export function wireDatabasePackage(tree: FileTreeLike, id: string, folder: string): string[] {
  const path = posix.join(folder, 'package.json');
  const json = readJson(tree, path) ?? { name: id, version: '0.0.0', private: true };
  const kept = addScripts(json, DATABASE_SCRIPTS);
  writeJson(tree, path, json);
  return [
    ...kept.map((k) => `${path}: script '${k}' is yours; it was kept.`),
    ...addToWorkspaces(tree, folder),
  ];
}

/** Whether the globs take the folder in, leave it out explicitly (`!…`), or do not name it. */
function membership(folder: string, globs: string[]): 'member' | 'excluded' | 'absent' {
  const clean = (g: string) => g.replace(/^\.\//, '').replace(/\/+$/, '');
  const hit = (g: string) => minimatch(folder, clean(g));
  if (globs.filter((g) => g.startsWith('!')).some((g) => hit(g.slice(1)))) return 'excluded';
  return globs.filter((g) => !g.startsWith('!')).some(hit) ? 'member' : 'absent';
}

/**
 * Makes the folder a workspace package: `<parent>/*` in pnpm-workspace.yaml's packages (pnpm), or
 * in package.json's workspaces (npm, yarn, bun), unless they hold it already.
 */
export function addToWorkspaces(tree: FileTreeLike, folder: string): string[] {
  const parent = posix.dirname(folder);
  const glob = parent === '.' ? folder : `${parent}/*`;
  const root = readJson(tree, 'package.json') ?? {};
  // addDependenciesToPackageJson leaves an empty `dependencies` behind when it adds a dev one.
  if (JSON.stringify(root['dependencies']) === '{}') delete root['dependencies'];
  const pnpm = tree.read('pnpm-workspace.yaml', 'utf-8');
  if (pnpm !== null) {
    const doc = parseDocument(pnpm);
    const packages = doc.get('packages');
    const globs = isSeq(packages)
      ? packages.items.map((i) => String((i as { value?: unknown }).value ?? i))
      : [];
    if (membership(folder, globs) === 'excluded')
      return [excludedNote(folder, 'pnpm-workspace.yaml')];
    if (membership(folder, globs) === 'absent') {
      if (isSeq(packages)) packages.add(glob);
      else doc.set('packages', [glob]);
      tree.write('pnpm-workspace.yaml', doc.toString());
    }
  } else {
    const w = root['workspaces'];
    const nested = w && !Array.isArray(w) ? (w as Json) : undefined;
    const globs = (
      Array.isArray(w) ? w : Array.isArray(nested?.['packages']) ? nested!['packages'] : []
    ) as string[];
    if (membership(folder, globs) === 'excluded') return [excludedNote(folder, 'package.json')];
    if (membership(folder, globs) === 'absent') {
      if (nested) nested['packages'] = [...globs, glob];
      else root['workspaces'] = [...globs, glob];
    }
  }
  writeJson(tree, 'package.json', root);
  return [];
}

const excludedNote = (folder: string, file: string) =>
  `${file} leaves ${folder} out of the workspaces; it was kept so, and turbo run does not see its db:* tasks until you take it in.`;

/** The app's scripts, and no Nx settings where there is no Nx. */
export function wireApp(tree: FileTreeLike, appRoot: string, hadNxKey: boolean): string[] {
  const path = posix.join(appRoot, 'package.json');
  const json = readJson(tree, path);
  if (!json) return [];
  if (!tree.exists('nx.json') && !hadNxKey) delete json['nx'];
  const devDependencies = json['devDependencies'] as Json | undefined;
  if (devDependencies && Object.keys(devDependencies).length === 0) delete json['devDependencies'];
  const kept = addScripts(json, APP_SCRIPTS);
  writeJson(tree, path, json);
  return kept.map((k) => `${path}: script '${k}' is yours; it was kept.`);
}

/** The db:* tasks in turbo.json: never cached (they touch a database), with the env they read. */
export function wireTurboJson(tree: FileTreeLike): string[] {
  const json = readJson(tree, 'turbo.json');
  if (!json) return ['There is no turbo.json at the root; the db:* tasks were not added.'];
  if (json['pipeline'] && !json['tasks'])
    return [
      'turbo.json uses `pipeline` (Turborepo 1); the db:* tasks are written for Turborepo 2 (`tasks`) and were not added.',
    ];
  const tasks = (json['tasks'] as Record<string, Json> | undefined) ?? {};
  const names = [...new Set([...Object.keys(DATABASE_SCRIPTS), ...Object.keys(APP_SCRIPTS)])];
  for (const name of names)
    if (!tasks[name])
      tasks[name] = {
        cache: false,
        // The foreground server runs until stopped: for `with`, never for dependsOn.
        ...(name === 'db:serve' ? { persistent: true } : {}),
        passThroughEnv: PASS_THROUGH_ENV,
      };
  json['tasks'] = tasks;
  writeJson(tree, 'turbo.json', json);
  return [];
}
