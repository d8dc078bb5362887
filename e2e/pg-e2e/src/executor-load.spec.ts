/**
 * Start-up: no executor of the built package loads @nx/devkit (which brings all of nx, about a
 * quarter of a second) or node-postgres when it is required. Under `nx run` and `acme-pg` alike,
 * that is time every command pays before it does anything.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eTmp } from './workspace';

// The plugin as `nx add` installed it, with @acme/pg-core beside it.
const dist = join(e2eTmp, 'pristine', 'node_modules', '@acme', 'pg');
const executors = Object.keys(
  JSON.parse(readFileSync(join(dist, 'executors.json'), 'utf-8')).executors,
);

it.each(executors)('%s loads neither @nx/devkit nor pg', (name) => {
  const probe = `
    const Module = require('module');
    const load = Module._load;
    const seen = new Set();
    Module._load = function (request, parent, ...rest) {
      if (request === '@nx/devkit' || request === 'nx' || request === 'pg') seen.add(request);
      return load.call(this, request, parent, ...rest);
    };
    require(${JSON.stringify(join(dist, 'src', 'executors', name, name))});
    process.stdout.write(JSON.stringify([...seen]));
  `;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf-8' });
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual([]);
});
