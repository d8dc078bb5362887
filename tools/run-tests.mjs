#!/usr/bin/env node
// `npm test`: the Debian packages it needs (installed as root, else named), lint, type-check,
// then every jest suite (unit, integration against a real PostgreSQL, e2e through the real nx
// CLI), `npm run demo`, and one closing line with the counts (the demo counts as one test).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSystemPackages } from './system-packages.mjs';

if (!ensureSystemPackages()) process.exit(1);

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const results = join(root, 'tmp', 'test-results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
process.env.NX_DAEMON = 'false';
process.env.NX_NO_CLOUD = 'true';

const failures = [];
function step(name, cmd, args) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failures.push(name);
}

// @nx/nx-plugin-checks reads the cached project graph, which a clean clone does not have yet.
step('project graph', 'npx', ['nx', 'show', 'projects']);
step('lint', 'npx', ['eslint', '.']);
step('format', 'npx', ['prettier', '--check', '.']);
step('typecheck', 'npm', ['run', '-s', 'typecheck']);
const suites = [
  ['core: unit and integration', 'packages/core/jest.config.ts'],
  ['nx plugin: unit and integration', 'packages/pg/jest.config.ts'],
  ['turborepo pack', 'packages/turbo/jest.config.ts'],
  ['e2e', 'e2e/pg-e2e/jest.config.ts'],
];
let passed = 0;
let failed = 0;
for (const [name, config] of suites) {
  const out = join(results, `${name.replace(/\W+/g, '-')}.json`);
  step(name, 'npx', ['jest', '-c', config, '--json', `--outputFile=${out}`]);
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, 'utf-8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
  } else {
    failed += 1;
  }
}
// The quick start a new user runs: it must keep working.
console.log(`\n=== demo: node tools/demo.mjs`);
const demo = spawnSync('node', ['tools/demo.mjs'], { cwd: root, stdio: 'inherit' });
if (demo.status === 0) passed += 1;
else {
  failed += 1;
  failures.push('demo');
}
if (failures.length) console.log(`\nFailed steps: ${failures.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failures.length || failed ? 1 : 0);
