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
import { isWorkspaceMember, workspacePatterns } from '../workspace/workspace-globs';
import { joinPathFragments, readJson, updateJson, writeJson } from './tree-api';
import { Callback, FileTree, ProjectConfig, WorkspaceHost } from './workspace-tree';

// Copied as they are, never rendered: the generators' templates are text, but a user's may not be.
const BINARY = new Set(['.png', '.jpg', '.jpeg', '.gif', '.ico', '.woff', '.woff2', '.gz', '.zip']);

export class FolderHost implements WorkspaceHost {
  private ignored?: Ignore;

  constructor(private readonly tree: FileTree) {}

  projects(): Map<string, ProjectConfig> {
    const patterns = workspacePatterns((p) => this.tree.read(p, 'utf-8'));
    const found = new Map<string, ProjectConfig>();
    const folders = new Set<string>();
    this.visitNotIgnoredFiles('', (path) => {
      const name = posix.basename(path);
      const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
      if (name === 'project.json' || (name === 'package.json' && isWorkspaceMember(patterns, dir)))
        folders.add(dir);
    });
    for (const root of [...folders].sort()) {
      const config = this.projectAt(root);
      if (config) found.set(config.name!, config);
    }
    return found;
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

  addProject(name: string, config: ProjectConfig): void {
    const path = joinPathFragments(config.root, 'project.json');
    if (this.tree.exists(path))
      throw new Error(
        `Cannot create a new project ${name} at ${config.root}. A project already exists in this directory.`,
      );
    const rest = without(config, 'root');
    // An empty target list reads as a mistake; Nx writes this note in its place, and so do we.
    const targets =
      rest.targets && Object.keys(rest.targets).length === 0
        ? { '// targets': `to see all targets run: nx show project ${name} --web`, targets: {} }
        : {};
    writeJson(this.tree, path, { name, ...rest, ...targets });
  }

  updateProject(name: string, config: ProjectConfig): void {
    const path = joinPathFragments(config.root, 'project.json');
    const rest = without(config, 'root');
    if (this.tree.exists(path)) {
      writeJson(this.tree, path, {
        ...readJson<Record<string, unknown>>(this.tree, path),
        ...rest,
        name,
      });
      return;
    }
    // A package.json project keeps its settings under `nx`.
    const pkg = joinPathFragments(config.root, 'package.json');
    updateJson(this.tree, pkg, (json) => {
      json.nx = { ...(json.nx ?? {}), ...without(rest, 'name') };
      return json;
    });
  }

  addDependencies(
    dependencies: Record<string, string>,
    devDependencies: Record<string, string>,
    packageJsonPath: string,
    keepExisting: boolean,
  ): Callback {
    const json = readJson(this.tree, packageJsonPath);
    const has = (name: string) =>
      keepExisting && (json.dependencies?.[name] ?? json.devDependencies?.[name]) !== undefined;
    const add = (list: Record<string, string>) =>
      Object.fromEntries(Object.entries(list).filter(([name]) => !has(name)));
    const deps = add(dependencies);
    const devDeps = add(devDependencies);
    if (!Object.keys(deps).length && !Object.keys(devDeps).length) return () => undefined;
    json.dependencies = sorted({ ...(json.dependencies ?? {}), ...deps });
    json.devDependencies = sorted({ ...(json.devDependencies ?? {}), ...devDeps });
    writeJson(this.tree, packageJsonPath, json);
    return () => this.install();
  }

  install(): void {
    if (!this.tree.listChanges().some((c) => c.path === 'package.json')) return;
    execSync(installCommand(this.tree.root), { cwd: this.tree.root, stdio: 'inherit' });
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
    let prettier: typeof import('prettier');
    try {
      // The folder's own Prettier, with its own settings; none, no formatting.
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
    if (addPlugin !== undefined) return addPlugin;
    // Outside Nx nothing infers targets; in an Nx workspace the generators write them out, so
    // they work whether or not the plugin is registered.
    return !this.tree.exists('nx.json') && process.env['NX_ADD_PLUGINS'] !== 'false';
  }

  registerPlugin(): boolean {
    return false;
  }

  registerSyncGenerator(): void {
    // nx sync is Nx's: nothing to register where the command line runs.
  }
}

function without<T extends object>(o: T, key: string): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => k !== key)) as Partial<T>;
}

function sorted(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The install of the package manager whose lock file the folder has. */
function installCommand(root: string): string {
  const has = (f: string) => {
    try {
      return statSync(join(root, f)).isFile();
    } catch {
      return false;
    }
  };
  if (has('pnpm-lock.yaml')) return 'pnpm install';
  if (has('yarn.lock')) return 'yarn install';
  if (has('bun.lockb') || has('bun.lock')) return 'bun install';
  return 'npm install';
}
