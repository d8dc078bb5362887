import { addToWorkspaces, wireApp, wireDatabasePackage, wireTurboJson } from './turbo-wiring';
import { FileTreeLike } from './acme-pg';

/** An in-memory tree: the wiring only reads and writes whole files. */
function tree(files: Record<string, string>): FileTreeLike & { files: Record<string, string> } {
  const t = {
    root: '/repo',
    files: { ...files },
    read: (p: string) => t.files[p] ?? null,
    write: (p: string, c: string) => void (t.files[p] = c),
    exists: (p: string) => p in t.files || Object.keys(t.files).some((f) => f.startsWith(`${p}/`)),
    isFile: (p: string) => p in t.files,
    children: (p: string) => [
      ...new Set(
        Object.keys(t.files)
          .filter((f) => f.startsWith(`${p}/`))
          .map((f) => f.slice(p.length + 1).split('/')[0]),
      ),
    ],
    delete: (p: string) => void delete t.files[p],
    listChanges: () => [],
  };
  return t;
}

describe('Turborepo wiring', () => {
  it("adds the database package and its workspace glob, keeping the user's scripts", () => {
    const t = tree({
      'package.json': '{ "name": "r", "workspaces": ["apps/*"] }',
      'sql/postgres/package.json': '{ "name": "postgres", "scripts": { "db:up": "my-own-up" } }',
    });
    expect(wireDatabasePackage(t, 'postgres', 'sql/postgres')).toEqual([
      "sql/postgres/package.json: script 'db:up' is yours; it was kept.",
    ]);
    const db = JSON.parse(t.files['sql/postgres/package.json']);
    expect(db.scripts['db:up']).toBe('my-own-up');
    expect(db.scripts['db:check']).toBe('acme-pg db-check');
    expect(JSON.parse(t.files['package.json']).workspaces).toEqual(['apps/*', 'sql/*']);
  });

  it('leaves workspaces that hold the folder, and a file it adds nothing to, byte for byte', () => {
    const text = '{\n    "name": "r",\n    "workspaces": { "packages": ["apps/*", "sql/**"] }\n}\n';
    const t = tree({ 'package.json': text });
    addToWorkspaces(t, 'sql/postgres');
    expect(t.files['package.json']).toBe(text);
  });

  it('adds to pnpm-workspace.yaml, comments kept, and not to package.json', () => {
    const t = tree({
      'package.json': '{ "name": "r" }',
      'pnpm-workspace.yaml': "# ours\npackages:\n  - 'apps/*' # the apps\n",
    });
    addToWorkspaces(t, 'sql/postgres');
    expect(t.files['pnpm-workspace.yaml']).toBe(
      "# ours\npackages:\n  - 'apps/*' # the apps\n  - sql/*\n",
    );
    expect(t.files['package.json']).toBe('{ "name": "r" }');
  });

  it('a folder the user left out of the workspaces stays out, and that is said', () => {
    const text = '{ "workspaces": ["sql/*", "!sql/postgres"] }';
    const t = tree({ 'package.json': text });
    expect(addToWorkspaces(t, 'sql/postgres')).toEqual([
      'package.json leaves sql/postgres out of the workspaces; it was kept so, and turbo run does not see its db:* tasks until you take it in.',
    ]);
    expect(t.files['package.json']).toBe(text);
  });

  it("adds the db:* tasks uncached with the env they read, keeping the user's tasks", () => {
    const t = tree({ 'turbo.json': '{ "tasks": { "db:check": { "cache": true } } }' });
    expect(wireTurboJson(t)).toEqual([]);
    const tasks = JSON.parse(t.files['turbo.json']).tasks;
    expect(tasks['db:check']).toEqual({ cache: true });
    expect(tasks['db:serve']).toMatchObject({ cache: false, persistent: true });
    expect(tasks['db:up']).not.toHaveProperty('persistent');
    expect(tasks['db:up']).toMatchObject({
      cache: false,
      passThroughEnv: expect.arrayContaining(['POSTGRES_*', '*_POSTGRES_*']),
    });
  });

  it('refuses what it cannot edit safely, and says so', () => {
    expect(() => wireTurboJson(tree({ 'turbo.json': '{ // jsonc\n "tasks": {} }' }))).toThrow(
      /turbo.json is not plain JSON/,
    );
    expect(wireTurboJson(tree({ 'turbo.json': '{ "pipeline": {} }' }))[0]).toMatch(/Turborepo 1/);
  });

  it('an app: its scripts, and no Nx settings where there is no Nx', () => {
    const t = tree({
      'apps/api/package.json':
        '{ "name": "api", "nx": { "implicitDependencies": ["postgres"] }, "devDependencies": {} }',
    });
    wireApp(t, 'apps/api', false);
    const api = JSON.parse(t.files['apps/api/package.json']);
    expect(api).toEqual({
      name: 'api',
      scripts: expect.objectContaining({ 'db:check': 'acme-pg db-check' }),
    });
  });
});
