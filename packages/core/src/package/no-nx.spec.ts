/**
 * @acme/pg-core runs where there is no Nx: its sources import nothing of Nx (the lint rule says so
 * on every file, and this shows the rule bites), and its package depends on nothing of Nx. That it
 * installs and runs with no Nx at all is e2e/pg-e2e/src/cli.spec.ts.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const core = join(__dirname, '..', '..');
const repo = join(core, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'files' ? [] : sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('@acme/pg-core without Nx', () => {
  it('the lint rule refuses an import or a require of nx or @nx/* in core', () => {
    const probe =
      "import { Tree } from '@nx/devkit';\nimport type { X } from 'nx/src/config';\nexport const d = require('nx');\nexport type { Tree, X };\n";
    const lint = spawnSync(
      join(repo, 'node_modules/.bin/eslint'),
      ['--format', 'json', '--stdin', '--stdin-filename', 'packages/core/src/probe.ts'],
      { cwd: repo, input: probe, encoding: 'utf-8' },
    );
    expect(lint.status).toBe(1);
    const [result] = JSON.parse(lint.stdout) as { messages: { line: number; message: string }[] }[];
    const ours = result.messages.filter((m) => /runs without Nx/.test(m.message));
    expect(ours.map((m) => m.line)).toEqual([1, 2, 3]);
  });

  it('no source of core names nx or @nx/* as a module', () => {
    const names = /(from|import|require\()\s*\(?\s*['"](nx|@nx\/[^'"]*)(\/[^'"]*)?['"]/;
    const hits = [...sources(join(core, 'src')), ...sources(join(core, 'test-utils'))]
      .filter((f) => !f.endsWith('no-nx.spec.ts') && names.test(readFileSync(f, 'utf-8')))
      .map((f) => relative(core, f));
    expect(hits).toEqual([]);
  });

  it('its package depends on nothing of Nx', () => {
    const pkg = JSON.parse(readFileSync(join(core, 'package.json'), 'utf-8'));
    const all = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });
    expect(all.filter((d) => d === 'nx' || d.startsWith('@nx/'))).toEqual([]);
  });
});
