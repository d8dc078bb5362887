#!/usr/bin/env node
// `npm run demo`: the plugin's main job, start to end, on a local embedded PostgreSQL. It builds and
// packs @acme/pg, creates a sample Nx workspace in a temporary folder, and runs what a user runs,
// printing each command and what it said. Needs Node, npm, the npm registry and PostgreSQL's client
// tools (psql, pg_dump, pg_restore); Python 3 with psycopg2 for the Python client (skipped without).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const nxVersion = JSON.parse(
  readFileSync(join(root, 'node_modules/nx/package.json'), 'utf-8'),
).version;
const env = {
  ...process.env,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_INTERACTIVE: 'false',
  NX_TUI: 'false',
  FORCE_COLOR: '0',
};
for (const k of Object.keys(env)) if (/^(PG|POSTGRES_|DATABASE_URL)/.test(k)) delete env[k];

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
function missing(what, fix) {
  console.error(`\nThe demo cannot run: ${what}.\n${fix}`);
  process.exit(1);
}

// What this machine must have.
const [major] = process.versions.node.split('.').map(Number);
if (major < 20) missing(`Node ${process.versions.node} is too old`, 'Install Node 20 or newer.');
const tools = {};
for (const tool of ['psql', 'pg_dump', 'pg_restore']) {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf-8' });
  const m = /\(PostgreSQL\) (\d+)/.exec(r.stdout ?? '');
  if (!m)
    missing(
      `${tool} is not on PATH`,
      "Install PostgreSQL's client tools, 15 or newer: apt install postgresql-client (Debian/Ubuntu), brew install libpq (macOS).",
    );
  tools[tool] = Number(m[1]);
}
const pgMajor = Math.min(...Object.values(tools));
if (pgMajor < 15)
  missing(`the client tools are PostgreSQL ${pgMajor}`, 'The init scripts need psql 15 or newer.');
const python = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import psycopg2'], { encoding: 'utf-8' }).status === 0,
);

let step = 0;
const started = Date.now();
function show(text, max = 14) {
  const lines = text
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(
      (l) =>
        l.trim() &&
        !/^\s*(NX\s+Running|Nx read the output|> nx run|—+|Run duration|Cache:|Critical path|Recoverable time|Successfully ran target|View structured)/.test(
          l,
        ),
    );
  for (const l of lines.slice(0, max)) console.log(`    ${l}`);
  if (max > 0 && lines.length > max) console.log(`    … (${lines.length - max} more lines)`);
}
function run(title, cmd, args, opts = {}) {
  step++;
  const shell = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  console.log(`\n${bold(`${step}. ${title}`)}\n  $ ${[cmd, ...args].map(shell).join(' ')}`);
  const t = Date.now();
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ws,
    env: { ...env, ...(opts.env ?? {}) },
    encoding: 'utf-8',
  });
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  show(out, opts.max);
  const secs = ((Date.now() - t) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.log(`  ✘ failed (exit ${r.status}) after ${secs} s`);
    throw new Error(`${title} failed`);
  }
  console.log(`  ✔ ${secs} s`);
  return out;
}

const base = mkdtempSync(join(tmpdir(), 'acme-pg-demo-'));
// The server runs as an unprivileged user when this runs as root: it must reach the workspace.
chmodSync(base, 0o755);
const ws = join(base, 'demo');
let serverUp = false;
let ok = false;
try {
  console.log(
    bold(`@acme/pg demo: a workspace in ${ws}, PostgreSQL ${pgMajor} (the client tools here)`),
  );
  run('Build and pack the plugin', 'npx', ['nx', 'build', 'pg'], { cwd: root, max: 2 });
  for (const pkg of ['core', 'pg'])
    execFileSync('npm', ['pack', join(root, 'dist/packages', pkg), '--pack-destination', base], {
      stdio: 'ignore',
    });
  const packed = (name) =>
    join(
      base,
      readdirSync(base).find((f) => f.startsWith(`${name}-0`)),
    );
  const tarball = packed('acme-pg');
  run(
    `Create an Nx ${nxVersion} workspace`,
    'npx',
    [
      '-y',
      `create-nx-workspace@${nxVersion}`,
      'demo',
      '--preset=apps',
      '--nxCloud=skip',
      '--no-interactive',
      '--packageManager=npm',
      '--skipGit',
    ],
    { cwd: base, max: 3 },
  );
  // @acme/pg-core is not on the registry yet: its tarball stands in, as @acme/pg's does.
  run(
    'Add @acme/pg-core',
    'npm',
    ['install', '-D', '--no-audit', '--no-fund', packed('acme-pg-core')],
    {
      max: 4,
    },
  );
  run('Add @acme/pg', 'npx', ['nx', 'add', `@acme/pg@file:${tarball}`], { max: 4 });

  writeFileSync(
    join(ws, 'polytope.yml'),
    `# The stack Polytope runs; @acme/pg adds the database and wires the apps to it.
templates:
  - id: stack
    run: [api, worker]

modules:
  - id: api
    module: polytope/node
    args: { image: 'node:20', code: { type: host, path: ./apps/api } }
  - id: worker
    module: polytope/python
    args: { image: 'python:3.13-slim', code: { type: host, path: ./apps/worker } }
`,
  );
  for (const [path, text] of Object.entries({
    'apps/api/project.json': JSON.stringify(
      { name: 'api', root: 'apps/api', projectType: 'application' },
      null,
      2,
    ),
    'apps/api/src/main.js': "console.log('api');\n",
    'apps/worker/project.json': JSON.stringify(
      { name: 'worker', root: 'apps/worker', projectType: 'application' },
      null,
      2,
    ),
    'apps/worker/requirements.txt': 'fastapi\n',
  })) {
    mkdirSync(join(ws, path, '..'), { recursive: true });
    writeFileSync(join(ws, path), text);
  }
  run(
    'The PostgreSQL module in polytope.yml',
    'npx',
    ['nx', 'g', '@acme/pg:module', '--image', `postgres:${pgMajor}`],
    { max: 12 },
  );
  console.log(
    readFileSync(join(ws, 'polytope.yml'), 'utf-8')
      .split('\n')
      .filter((l) => l)
      .slice(-15)
      .map((l) => `    | ${l}`)
      .join('\n'),
  );
  run('An init script', 'npx', ['nx', 'g', '@acme/pg:init-script', 'orders'], { max: 3 });
  const script = readdirSync(join(ws, 'sql/postgres')).find((f) => f.endsWith('-orders.sql'));
  writeFileSync(
    join(ws, 'sql/postgres', script),
    "CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL, placed_at timestamptz DEFAULT now());\nINSERT INTO orders (item) VALUES ('coffee'), ('bagel');\n",
  );
  run('Rebuild the init bundle after the edit', 'npx', ['nx', 'sync'], { max: 3 });
  run(
    "An init script for the app's own role and database",
    'npx',
    ['nx', 'g', '@acme/pg:init-script', 'app-user', '--kind', 'database-user'],
    { max: 4 },
  );
  run('Connection code for the Node app', 'npx', ['nx', 'g', '@acme/pg:client', 'api'], { max: 6 });
  run('Connection code for the Python app', 'npx', ['nx', 'g', '@acme/pg:client', 'worker'], {
    max: 6,
  });
  const shown = run(
    'The inferred db-* targets of the database project',
    'npx',
    ['nx', 'show', 'project', 'postgres', '--json'],
    { max: 0 },
  );
  const targets = JSON.parse(shown.slice(shown.indexOf('{'), shown.lastIndexOf('}') + 1)).targets;
  for (const [name, t] of Object.entries(targets))
    console.log(`    ${name.padEnd(11)} ${t.metadata?.description ?? ''}`);

  const port = await new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => ok(p));
    });
  });
  run(
    'Settings for this machine (an env file; pt would get the same values)',
    'npx',
    [
      'nx',
      'run',
      'postgres:db-values',
      '--envFile',
      '.env.postgres',
      '--noPt',
      '--generatePassword',
      '--database',
      'shop',
      `--exposedPort=${port}`,
    ],
    { env: { POSTGRES_USER: 'app' } },
  );
  run('Start the database on this machine', 'npx', ['nx', 'run', 'postgres:db-up'], {
    max: 10,
  });
  serverUp = true;
  run('Check it', 'npx', ['nx', 'run', 'api:db-check']);
  run(
    'psql on the same settings: the init scripts ran',
    'npx',
    [
      'nx',
      'run',
      'api:db-psql',
      '--',
      '-c',
      "SELECT (SELECT count(*) FROM orders) AS orders, (SELECT rolname FROM pg_roles WHERE rolname = 'app_user') AS app_role",
    ],
    { max: 5 },
  );
  run('Back it up', 'npx', ['nx', 'run', 'api:db-backup', '--format', 'custom']);
  run('Restore it over itself (safety backup first)', 'npx', [
    'nx',
    'run',
    'api:db-restore',
    '--clean',
  ]);

  const fileEnv = {};
  for (const line of readFileSync(join(ws, '.env.postgres'), 'utf-8').split('\n')) {
    const m = /^([A-Z_]+)='(.*)'$/.exec(line);
    if (m) fileEnv[m[1]] = m[2];
  }
  run('The generated Node client, run as a script', process.execPath, ['apps/api/src/db.js'], {
    env: fileEnv,
  });
  if (python)
    run('The generated Python client, run as a script', python, ['apps/worker/db.py'], {
      env: fileEnv,
    });
  else
    console.log(
      '\n  (Python client not run: no python3 with psycopg2 here; apt install python3-psycopg2)',
    );
  run('Stop the database', 'npx', ['nx', 'run', 'postgres:db-down']);
  serverUp = false;
  ok = true;
  console.log(
    `\n${bold(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s.`)} The workspace was ${process.env.DEMO_KEEP ? `kept in ${ws}` : 'removed (DEMO_KEEP=1 keeps it)'}.`,
  );
} catch (e) {
  console.error(`\nThe demo stopped: ${e.message}. The workspace is kept in ${ws} to look at.`);
} finally {
  if (serverUp)
    spawnSync('npx', ['nx', 'run', 'postgres:db-down'], { cwd: ws, env, stdio: 'ignore' });
  if (ok && !process.env.DEMO_KEEP) rmSync(base, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
