/**
 * A small workspace on disk for executor tests: polytope.yml with the module, the database's
 * project and an app that uses it, each with its acme-pg.json, and the ExecutorContext Nx would pass.
 */
import { ExecutorContext } from '@nx/devkit';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const POLYTOPE_YML = `modules:
  - id: postgres
    module: polytope/postgres
    args:
      image: postgres:15
      data-volume: { id: postgres-data, type: volume, scope: project }
      env:
        - { name: POSTGRES_DB, value: pt.value postgres-database }
        - { name: POSTGRES_USER, value: pt.secret postgres-username }
        - { name: POSTGRES_PASSWORD, value: pt.secret postgres-password }
      service-id: postgres
`;

export interface ExecutorWorkspace {
  root: string;
  context(project?: string): ExecutorContext;
  remove(): void;
}

export function executorWorkspace(): ExecutorWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'acme-pg-ws-'));
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('polytope.yml', POLYTOPE_YML);
  write('.gitignore', 'node_modules\n');
  write(
    'sql/postgres/acme-pg.json',
    JSON.stringify({ kind: 'database', module: 'postgres', polytopeFile: 'polytope.yml' }),
  );
  write('apps/api/acme-pg.json', JSON.stringify({ kind: 'client', modules: ['postgres'] }));
  const projects = {
    postgres: { name: 'postgres', root: 'sql/postgres' },
    api: { name: 'api', root: 'apps/api' },
    analytics: { name: 'analytics', root: 'sql/analytics' },
  };
  return {
    root,
    context: (project = 'api') =>
      ({
        root,
        cwd: root,
        isVerbose: false,
        projectName: project,
        targetName: 'db',
        projectsConfigurations: { version: 2, projects },
        nxJsonConfiguration: {},
        projectGraph: { nodes: {}, dependencies: {} },
      }) as unknown as ExecutorContext,
    remove: () => {
      rmSync(root, { recursive: true, force: true });
      // As root in a private folder, db-up keeps the data in /var/lib/acme-pg/<folder>-<key>: it
      // belongs to this workspace and goes with it.
      const shared = '/var/lib/acme-pg';
      const prefix = `${basename(root)}-`;
      if (existsSync(shared))
        for (const d of readdirSync(shared))
          if (d.startsWith(prefix)) rmSync(join(shared, d), { recursive: true, force: true });
    },
  };
}

/** Everything an executor prints (Nx's logger and stdout), for assertions. */
export function captureOutput(): { text(): string; stdout(): string; restore(): void } {
  const chunks: string[] = [];
  const out: string[] = [];
  const spies = [
    jest
      .spyOn(console, 'info')
      .mockImplementation((...a: unknown[]) => void chunks.push(a.join(' '))),
    jest
      .spyOn(console, 'log')
      .mockImplementation((...a: unknown[]) => void chunks.push(a.join(' '))),
    jest
      .spyOn(console, 'warn')
      .mockImplementation((...a: unknown[]) => void chunks.push(a.join(' '))),
    jest
      .spyOn(console, 'error')
      .mockImplementation((...a: unknown[]) => void chunks.push(a.join(' '))),
    jest.spyOn(process.stdout, 'write').mockImplementation((d: string | Uint8Array) => {
      chunks.push(String(d));
      out.push(String(d));
      return true;
    }),
    jest.spyOn(process.stderr, 'write').mockImplementation((d: string | Uint8Array) => {
      chunks.push(String(d));
      return true;
    }),
  ];
  return {
    // Nx's logger colours its output in some environments (CI=true); tests read plain text.
    text: () => chunks.join('\n').replace(/\x1b\[[0-9;]*m/g, ''),
    stdout: () => out.join('').replace(/\x1b\[[0-9;]*m/g, ''),
    restore: () => spies.forEach((s) => s.mockRestore()),
  };
}

/**
 * Points the executors at a test server through the environment, as a user's shell would: every
 * PG*, POSTGRES_* and DATABASE_URL variable is cleared first.
 */
export function useServerEnv(
  server: { port: number; user: string; password: string },
  extra: Record<string, string> = {},
): void {
  for (const k of Object.keys(process.env))
    if (/^(PG|POSTGRES_|DATABASE_URL)/.test(k)) delete process.env[k];
  Object.assign(process.env, {
    POSTGRES_HOST: 'localhost',
    POSTGRES_PORT: String(server.port),
    POSTGRES_USER: server.user,
    POSTGRES_PASSWORD: server.password,
    ...extra,
  });
}
