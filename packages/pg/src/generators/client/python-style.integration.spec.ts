/**
 * The generated Python passes flake8 and black --check with their default settings (Debian's
 * python3-flake8 and black, as CI installs them): for psycopg2 and asyncpg, the module `postgres`
 * and one with a long prefixed id, in both layouts (a package under src/, and a flat project).
 */
import { addProjectConfiguration, Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { moduleGenerator } from '../module/module';
import { clientGenerator } from './client';

const PYTHON = '/usr/bin/python3';
let dir: string;
const files: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'acme-pg-pystyle-'));
  const layouts: Record<string, Record<string, string>> = {
    // a package under src/ (src/<name>/__init__.py), and a flat project (requirements.txt only)
    package: { 'pyproject.toml': '[project]\nname = "x"\n', 'src/app/__init__.py': '' },
    flat: { 'requirements.txt': 'fastapi\n' },
  };
  for (const moduleId of ['postgres', 'analytics-warehouse-eu']) {
    for (const [layout, appFiles] of Object.entries(layouts)) {
      for (const language of ['python', 'asyncpg'] as const) {
        const tree: Tree = createTreeWithEmptyWorkspace();
        await moduleGenerator(tree, {
          id: moduleId,
          serviceId: `${moduleId}-service-host`,
          skipFormat: true,
        });
        const root = `apps/${layout}-${language}`;
        addProjectConfiguration(tree, `${layout}-${language}`, {
          root,
          projectType: 'application',
        });
        for (const [f, t] of Object.entries(appFiles)) tree.write(`${root}/${f}`, t);
        await clientGenerator(tree, {
          project: `${layout}-${language}`,
          language,
          skipFormat: true,
        });
        const path = tree
          .listChanges()
          .map((c) => c.path)
          .find(
            (p) => p.startsWith(`${root}/`) && p.endsWith('.py') && !p.endsWith('__init__.py'),
          )!;
        expect(path).toBe(
          `${root}/${layout === 'package' ? 'src/app/' : ''}${moduleId === 'postgres' ? 'db.py' : 'db_analytics_warehouse_eu.py'}`,
        );
        const out = join(dir, `${moduleId}-${layout}-${language}`);
        mkdirSync(out);
        writeFileSync(join(out, basename(path)), tree.read(path)!);
        files.push(join(out, basename(path)));
      }
    }
  }
  // application_name is the project's name: one with double quotes, and one too long for a line.
  const names = ['say "hi"', `orders-${'long-'.repeat(16)}service`];
  for (const [i, project] of names.entries()) {
    for (const language of ['python', 'asyncpg'] as const) {
      const tree: Tree = createTreeWithEmptyWorkspace();
      await moduleGenerator(tree, { skipFormat: true });
      const root = `apps/odd-${i}-${language}`;
      addProjectConfiguration(tree, project, { root, projectType: 'application' });
      tree.write(`${root}/requirements.txt`, 'fastapi\n');
      await clientGenerator(tree, { project, language, skipFormat: true });
      const out = join(dir, `odd-${i}-${language}`);
      mkdirSync(out);
      writeFileSync(join(out, 'db.py'), tree.read(`${root}/db.py`)!);
      files.push(join(out, 'db.py'));
    }
  }
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('generated Python style', () => {
  it('passes flake8 with its default settings', () => {
    const r = spawnSync(PYTHON, ['-m', 'flake8', '--isolated', ...files], { encoding: 'utf-8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('passes black --check with its default settings', () => {
    const r = spawnSync('black', ['--check', '--diff', '--quiet', ...files], {
      encoding: 'utf-8',
      cwd: dir,
    });
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});
