/**
 * The workspace of a plain folder, for the command line and Turborepo: its projects are the
 * folders with a project.json, and the package manager's workspaces; its formatter is the
 * folder's own Prettier, if it has one; its installs are its package manager's. No Nx here.
 */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import ignore, { Ignore } from 'ignore';
import { render } from 'ejs';
import { FORMATTER_CONFIGS } from '../workspace/formatters';
import { MARKER_FILE } from '../workspace/marker-file';
import { isWorkspaceMember, workspacePatterns } from '../workspace/workspace-globs';
import { fail } from '../utils/errors';
import { joinPathFragments, readJson, writeJson } from './tree-api';
import { Callback, FileTree, ProjectConfig, WorkspaceHost } from './workspace-tree';

// Copied as they are, never rendered: the generators' templates are text, but a user's may not be.
const BINARY = new Set(['.png', '.jpg', '.jpeg', '.gif', '.ico', '.woff', '.woff2', '.gz', '.zip']);

export class FolderHost implements WorkspaceHost {
  private ignored?: Ignore;
  private readonly named = new Map<string, ProjectConfig>();

  constructor(private readonly tree: FileTree) {}

  projects(): Map<string, ProjectConfig> {
    const patterns = workspacePatterns((p) => this.tree.read(p, 'utf-8'));
    const found = new Map<string, ProjectConfig>();
    const folders = new Set<string>();
    const folderProjects = this.nx() !== 'with-plugin';
    this.visitNotIgnoredFiles('', (path) => {
      const name = posix.basename(path);
      const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
      if (name === 'project.json' || (name === 'package.json' && isWorkspaceMember(patterns, dir)))
        folders.add(dir);
      // An app that `g client` wired, whatever its language: its marker makes it a project.
      else if (folderProjects && name === MARKER_FILE && this.isClientMarker(path))
        folders.add(dir);
    });
    for (const config of this.named.values()) folders.add(config.root);
    for (const root of [...folders].sort()) {
      const config = this.projectAt(root);
      if (!config) continue;
      const other = found.get(config.name!);
      // As Nx refuses it: a name that two folders claim could wire the wrong one.
      if (other)
        fail(
          `Two projects are named '${config.name}': ${other.root || '.'} and ${root || '.'}. Rename one (its package.json or project.json "name"), then run this again.`,
        );
      found.set(config.name!, config);
    }
    return found;
  }

  private isClientMarker(path: string): boolean {
    try {
      return readJson(this.tree, path)?.kind === 'client';
    } catch {
      return false;
    }
  }

  folderProject(path: string): ProjectConfig | undefined {
    if (this.nx() === 'with-plugin') return undefined;
    const root = posix.normalize(path.replace(/\\/g, '/')).replace(/^\.\/?|\/$/g, '');
    if (!root || root.startsWith('..') || posix.isAbsolute(root)) return undefined;
    if (!this.tree.exists(root) || this.tree.isFile(root)) return undefined;
    const config = this.projectAt(root);
    // A project from here on, for the generator that named it (its marker is not written yet).
    if (config) this.named.set(config.name!, config);
    return config;
  }

  /** A folder's project: project.json, else a workspace package.json, named as they say. */
  private projectAt(root: string): ProjectConfig | undefined {
    const read = (file: string) => {
      const path = joinPathFragments(root, file);
      try {
        return this.tree.exists(path) ? readJson(this.tree, path) : undefined;
      } catch {
        return undefined; // a file that does not parse makes no project
      }
    };
    const project = read('project.json');
    const pkg = read('package.json');
    const name = project?.name ?? pkg?.nx?.name ?? pkg?.name ?? (posix.basename(root) || 'root');
    if (typeof name !== 'string' || !name) return undefined;
    return { ...(pkg?.nx ?? {}), ...(project ?? {}), name, root };
  }

  readProject(name: string): ProjectConfig {
    const config = this.projects().get(name);
    if (!config) throw new Error(`Cannot find configuration for '${name}'`);
    return config;
  }

  /**
   * Nx around the folder: none (no nx.json), or an Nx workspace with or without @acme/pg to run
   * its targets. Project files carry Nx settings only in the last case; elsewhere a project is its
   * folder and its acme-pg.json, and nothing of Nx is written.
   */
  nx(): 'none' | 'with-plugin' | 'without-plugin' {
    if (!this.tree.exists('nx.json')) return 'none';
    try {
      require.resolve('@acme/pg/package.json', { paths: [this.tree.root] });
      return 'with-plugin';
    } catch {
      return 'without-plugin';
    }
  }

  private writesNxProjects(): boolean {
    return this.nx() === 'with-plugin';
  }

  /** Nx's `$schema` of a project.json, relative to its folder. */
  private schemaPath(root: string): string {
    return relative(join(this.tree.root, root), join(this.tree.root, NX_PROJECT_SCHEMA));
  }

  addProject(name: string, config: ProjectConfig): void {
    if (!this.writesNxProjects()) return;
    const path = joinPathFragments(config.root, 'project.json');
    if (this.tree.exists(path))
      throw new Error(
        `Cannot create a new project ${name} at ${config.root}. A project already exists in this directory.`,
      );
    writeJson(this.tree, path, {
      name,
      $schema: this.schemaPath(config.root),
      ...withEmptyTargetsNote(name, without(config, 'root')),
    });
  }

  updateProject(name: string, config: ProjectConfig): void {
    if (!this.writesNxProjects()) return;
    const projectJson = joinPathFragments(config.root, 'project.json');
    if (this.tree.exists(projectJson)) {
      // As Nx does: the file becomes the configuration given, under its name and schema.
      writeJson(this.tree, projectJson, {
        name: config.name ?? name,
        $schema: this.schemaPath(config.root),
        ...withEmptyTargetsNote(name, without(config, 'root')),
      });
      return;
    }
    // A package.json project keeps its Nx settings under `nx`, and only those that say something.
    const path = joinPathFragments(config.root, 'package.json');
    const json = readJson(this.tree, path);
    const nx: Record<string, unknown> = { ...(json.nx ?? {}), ...without(config, 'root') };
    if (json.name === name) delete nx['name'];
    else nx['name'] = name;
    if (nx['targets'] && !Object.keys(nx['targets'] as object).length) delete nx['targets'];
    json.nx = nx;
    if (Object.keys(nx).length) writeJson(this.tree, path, json);
  }

  addDependencies(
    dependencies: Record<string, string>,
    devDependencies: Record<string, string>,
    packageJsonPath: string,
    // Always kept here (see WorkspaceHost): a version already there is never moved, up or down.
    _keepExisting: boolean,
  ): Callback {
    const json = readJson(this.tree, packageJsonPath);
    const has = (name: string) =>
      (json.dependencies?.[name] ?? json.devDependencies?.[name]) !== undefined;
    const add = (list: Record<string, string>) =>
      Object.fromEntries(Object.entries(list).filter(([name]) => !has(name)));
    const deps = add(dependencies);
    const devDeps = add(devDependencies);
    if (!Object.keys(deps).length && !Object.keys(devDeps).length) return () => undefined;
    // No empty list the file did not have (Nx adds both; nothing reads them here).
    if (Object.keys(deps).length || json.dependencies)
      json.dependencies = sorted({ ...(json.dependencies ?? {}), ...deps });
    if (Object.keys(devDeps).length || json.devDependencies)
      json.devDependencies = sorted({ ...(json.devDependencies ?? {}), ...devDeps });
    writeJson(this.tree, packageJsonPath, json);
    return () => this.install();
  }

  install(): void {
    if (!this.tree.listChanges().some((c) => c.path === 'package.json')) return;
    const command = `${packageManager(this.tree)} install`;
    try {
      execSync(command, { cwd: this.tree.root, stdio: 'inherit' });
    } catch {
      // The files are written by now: say so, and what is left to do.
      fail(
        `The files above are written, but \`${command}\` failed (its output is above). Fix what it says, then run \`${command}\` yourself.`,
      );
    }
  }

  generateFiles(srcFolder: string, target: string, substitutions: Record<string, unknown>): void {
    const files = filesUnder(srcFolder);
    if (!files.length) throw new Error(`generateFiles: No files found in "${srcFolder}".`);
    for (const file of files) {
      let path = joinPathFragments(target, relative(srcFolder, file));
      if (path.endsWith('.template')) path = path.slice(0, -'.template'.length);
      for (const [key, value] of Object.entries(substitutions))
        path = path.split(`__${key}__`).join(String(value));
      const ext = posix.extname(file);
      this.tree.write(
        path,
        BINARY.has(ext) ? readFileSync(file) : render(readFileSync(file, 'utf-8'), substitutions),
      );
    }
  }

  visitNotIgnoredFiles(dir: string, visitor: (path: string) => void): void {
    const ig = (this.ignored ??= this.readIgnores());
    if (dir && ig.ignores(dir)) return;
    for (const child of this.tree.children(dir)) {
      const path = dir ? `${dir}/${child}` : child;
      if (ig.ignores(path)) continue;
      if (this.tree.isFile(path)) visitor(path);
      else this.visitNotIgnoredFiles(path, visitor);
    }
  }

  private readIgnores(): Ignore {
    const ig = ignore().add(['node_modules', '.git']);
    for (const file of ['.gitignore', '.nxignore']) {
      const text = this.tree.read(file, 'utf-8');
      if (text) ig.add(text);
    }
    return ig;
  }

  async format(): Promise<void> {
    // Only a workspace that formats (a formatter's config at its root) is formatted, with its own
    // Prettier: a Prettier that merely sits in node_modules is nobody's choice. polytope.yml is
    // then in .prettierignore (keepOutOfFormatters), which getFileInfo honours.
    if (!FORMATTER_CONFIGS.some((f) => this.tree.exists(f))) return;
    let prettier: typeof import('prettier');
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      prettier = require(require.resolve('prettier', { paths: [this.tree.root] }));
    } catch {
      return;
    }
    for (const change of this.tree.listChanges()) {
      if (change.type === 'DELETE' || !change.content) continue;
      const filepath = join(this.tree.root, change.path);
      const options = {
        filepath,
        ...(await prettier.resolveConfig(filepath, { editorconfig: true })),
      };
      const info = await prettier.getFileInfo(filepath, {
        ignorePath: join(this.tree.root, '.prettierignore'),
      });
      if (info.ignored || !info.inferredParser) continue;
      this.tree.write(
        change.path,
        await prettier.format(change.content.toString('utf-8'), options),
      );
    }
  }

  shouldAddPlugin(addPlugin: boolean | undefined): boolean {
    // Outside Nx no target is written at all; in an Nx workspace, the targets are inferred when
    // the plugin is registered in nx.json, and written out otherwise, so that they run either way.
    if (!this.writesNxProjects()) return true;
    if (addPlugin !== undefined) return addPlugin;
    return pluginRegistered(this.tree);
  }

  registerPlugin(): boolean {
    return false;
  }

  registerSyncGenerator(): void {
    // nx sync is Nx's: nothing to register where the command line runs.
  }
}

const NX_PROJECT_SCHEMA = 'node_modules/nx/schemas/project-schema.json';

/** Nx's way with an empty target list: a note on how to see the inferred ones, then `targets`. */
function withEmptyTargetsNote(
  name: string,
  config: Record<string, unknown>,
): Record<string, unknown> {
  const targets = config['targets'] as object | undefined;
  if (!targets || Object.keys(targets).length) return without(config, '// targets');
  return {
    ...without(config, 'targets'),
    '// targets': `to see all targets run: nx show project ${name} --web`,
    targets: {},
  };
}

function pluginRegistered(tree: FileTree): boolean {
  try {
    const plugins = (readJson(tree, 'nx.json').plugins ?? []) as (string | { plugin?: string })[];
    return plugins.some((p) => (typeof p === 'string' ? p : p.plugin) === '@acme/pg');
  } catch {
    return false;
  }
}

function without<T extends object>(o: T, key: string): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => k !== key)) as Partial<T>;
}

function sorted(o: Record<string, string>): Record<string, string> {
  // In code-unit order, as Nx sorts them.
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const LOCK_FILES: [string, string][] = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lockb', 'bun'],
  ['bun.lock', 'bun'],
  ['package-lock.json', 'npm'],
];

/**
 * The folder's package manager: the one package.json names (`packageManager`), else the one whose
 * lock file is there, else the one running us (npm_config_user_agent), else npm.
 */
function packageManager(tree: FileTree): string {
  let declared: unknown;
  try {
    declared = readJson(tree, 'package.json').packageManager;
  } catch {
    declared = undefined; // no package.json, or one that does not parse: the other clues decide
  }
  const named = /^(npm|pnpm|yarn|bun)@/.exec(typeof declared === 'string' ? declared : '')?.[1];
  const locked = LOCK_FILES.find(([file]) => tree.isFile(file))?.[1];
  const running = /^(pnpm|yarn|bun)\//.exec(process.env['npm_config_user_agent'] ?? '')?.[1];
  return named ?? locked ?? running ?? 'npm';
}
