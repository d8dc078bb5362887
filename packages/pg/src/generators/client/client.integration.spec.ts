/**
 * The generated connection files, run for real: each against a real PostgreSQL with its real
 * library (pg; Debian's psycopg2 and asyncpg under /usr/bin/python3), as a module used by a small
 * program and as a script, on success and on each failure a user meets first.
 */
import { addProjectConfiguration, Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import { moduleGenerator } from '../module/module';
import { clientGenerator } from './client';

const PYTHON = '/usr/bin/python3';
const REPO = resolve(__dirname, '../../../../..');
// A password that breaks naive URLs and shell lines.
const PASSWORD = 'p:a@ss/w0rd';

type Lang = 'python' | 'asyncpg' | 'node-ts' | 'node-js' | 'node-esm';
const LANGS: Lang[] = ['python', 'asyncpg', 'node-ts', 'node-js', 'node-esm'];

let server: TestServer;
/** The port of a server that was started and then stopped. */
let stoppedPort: number;
let work: string;
/** Any CA certificate: the verify modes need one before they even ask the server for SSL. */
let rootCert: string;
/** The runnable entry of each generated client. */
const entry = {} as Record<Lang, { file: string; dir: string }>;

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    LANG: 'C',
  };
  return { ...env, ...extra };
}

function settingsEnv(over: Record<string, string> = {}): Record<string, string> {
  return {
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(server.port),
    POSTGRES_DB: server.database,
    POSTGRES_USER: server.user,
    POSTGRES_PASSWORD: PASSWORD,
    ...over,
  };
}

function run(lang: Lang, args: string[], env: Record<string, string>) {
  const { file, dir } = entry[lang];
  const cmd = lang === 'python' || lang === 'asyncpg' ? PYTHON : process.execPath;
  const r = spawnSync(cmd, args.length ? args : [file], {
    cwd: dir,
    env: cleanEnv({ ...env, PYTHONPATH: dir, PYTHONDONTWRITEBYTECODE: '1' }),
    encoding: 'utf-8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

async function generate(tree: Tree, project: string, language: string): Promise<string> {
  await clientGenerator(tree, { project, language: language as never, skipFormat: true });
  const files = tree.listChanges().map((c) => c.path);
  return files.find((f) => f.startsWith(`apps/${project}/`) && /\/db\.(py|ts|js)$/.test(f))!;
}

beforeAll(async () => {
  server = await startPostgres({
    password: PASSWORD,
    database: 'appdb',
    listen: '127.0.0.1,127.0.0.2',
  });
  const stopped = await startPostgres();
  stoppedPort = stopped.port;
  await stopped.stop();
  mkdirSync(join(REPO, 'tmp'), { recursive: true });
  // Inside the repository, so the generated Node files find pg, @types/pg and @types/node.
  work = mkdtempSync(join(REPO, 'tmp', 'client-it-'));
  rootCert = join(work, 'root.crt');
  writeFileSync(rootCert, rootCertificates[0]);
  const tree = createTreeWithEmptyWorkspace();
  await moduleGenerator(tree, { id: 'postgres', skipFormat: true });
  const apps: Record<Lang, Record<string, string>> = {
    python: { 'requirements.txt': 'fastapi\n' },
    asyncpg: { 'pyproject.toml': '[project]\nname = "aio"\ndependencies = ["asyncpg>=0.27"]\n' },
    'node-ts': { 'tsconfig.json': '{}', 'src/main.ts': 'export {};\n' },
    'node-js': { 'src/main.js': 'module.exports = {};\n' },
    'node-esm': { 'package.json': '{ "type": "module" }', 'src/main.js': 'export {};\n' },
  };
  for (const lang of LANGS) {
    const root = `apps/${lang}`;
    addProjectConfiguration(tree, lang, { root, projectType: 'application' });
    for (const [f, text] of Object.entries(apps[lang])) tree.write(`${root}/${f}`, text);
  }
  for (const lang of LANGS) {
    const language = lang.startsWith('node') ? 'node' : lang;
    const path = await generate(tree, lang, language);
    const dir = join(work, lang);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, basename(path)), tree.read(path)!);
    entry[lang] = { file: basename(path), dir };
  }
  writeFileSync(join(entry['node-esm'].dir, 'package.json'), '{ "type": "module" }');
  // TypeScript: compiled under --strict by the repository's tsc, then run by node.
  const tsDir = entry['node-ts'].dir;
  writeFileSync(
    join(tsDir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'commonjs',
        target: 'es2022',
        types: ['node'],
        outDir: 'out',
        skipLibCheck: true,
      },
      files: ['db.ts'],
    }),
  );
  const compiled = spawnSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', tsDir],
    {
      encoding: 'utf-8',
    },
  );
  if (compiled.status !== 0)
    throw new Error(`tsc --strict failed:\n${compiled.stdout}${compiled.stderr}`);
  entry['node-ts'] = { file: 'out/db.js', dir: tsDir };
});

afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const USE: Record<Lang, { file: string; text: string }> = {
  python: {
    file: 'use.py',
    text: `import db
with db.connection() as conn, conn.cursor() as cur:
    cur.execute("CREATE TABLE IF NOT EXISTS notes_psycopg2 (id int PRIMARY KEY, body text)")
    cur.execute("INSERT INTO notes_psycopg2 VALUES (1, %s)", ("from psycopg2",))
with db.connection() as conn, conn.cursor() as cur:
    cur.execute("SELECT body FROM notes_psycopg2 WHERE id = 1")
    print(cur.fetchone()[0])
db.close_pool()
`,
  },
  asyncpg: {
    file: 'use.py',
    text: `import asyncio
import db
async def main():
    pool = await db.get_pool()
    await pool.execute("CREATE TABLE IF NOT EXISTS notes_asyncpg (id int PRIMARY KEY, body text)")
    await pool.execute("INSERT INTO notes_asyncpg VALUES (1, $1)", "from asyncpg")
    print(await pool.fetchval("SELECT body FROM notes_asyncpg WHERE id = 1"))
    await db.close_pool()
asyncio.run(main())
`,
  },
  'node-ts': {
    file: 'use.js',
    text: `const db = require('./out/db.js');
(async () => {
  const pool = await db.getPool();
  await pool.query('CREATE TABLE IF NOT EXISTS notes_ts (id int PRIMARY KEY, body text)');
  await pool.query('INSERT INTO notes_ts VALUES (1, $1)', ['from ts']);
  const { rows } = await pool.query('SELECT body FROM notes_ts WHERE id = 1');
  console.log(rows[0].body);
  await db.closePool();
})();
`,
  },
  'node-js': {
    file: 'use.js',
    text: `const db = require('./db.js');
(async () => {
  const pool = await db.getPool();
  await pool.query('CREATE TABLE IF NOT EXISTS notes_js (id int PRIMARY KEY, body text)');
  await pool.query('INSERT INTO notes_js VALUES (1, $1)', ['from js']);
  const { rows } = await pool.query('SELECT body FROM notes_js WHERE id = 1');
  console.log(rows[0].body);
  await db.closePool();
})();
`,
  },
  'node-esm': {
    file: 'use.js',
    text: `import { getPool, closePool } from './db.js';
const pool = await getPool();
await pool.query('CREATE TABLE IF NOT EXISTS notes_esm (id int PRIMARY KEY, body text)');
await pool.query('INSERT INTO notes_esm VALUES (1, $1)', ['from esm']);
const { rows } = await pool.query('SELECT body FROM notes_esm WHERE id = 1');
console.log(rows[0].body);
await closePool();
`,
  },
};

/** Prints the application_name the server sees for a pooled connection and a direct one. */
const APP_NAME: Record<Lang, string> = {
  python: `import db
with db.connection() as conn, conn.cursor() as cur:
    cur.execute("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()")
    print(cur.fetchone()[0])
conn = db.connect()
with conn.cursor() as cur:
    cur.execute("SELECT current_setting('application_name')")
    print(cur.fetchone()[0])
conn.close()
db.close_pool()
`,
  asyncpg: `import asyncio
import db
async def main():
    pool = await db.get_pool()
    print(await pool.fetchval("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()"))
    await db.close_pool()
    conn = await db.connect()
    print(await conn.fetchval("SELECT current_setting('application_name')"))
    await conn.close()
asyncio.run(main())
`,
  'node-ts': `const db = require('./out/db.js');
(async () => {
  const pool = await db.getPool();
  const { rows } = await pool.query('SELECT application_name AS a FROM pg_stat_activity WHERE pid = pg_backend_pid()');
  console.log(rows[0].a);
  await db.closePool();
  const c = await db.connect();
  console.log((await c.query("SELECT current_setting('application_name') AS a")).rows[0].a);
  await c.end();
})();
`,
  'node-js': `const db = require('./db.js');
(async () => {
  const pool = await db.getPool();
  const { rows } = await pool.query('SELECT application_name AS a FROM pg_stat_activity WHERE pid = pg_backend_pid()');
  console.log(rows[0].a);
  await db.closePool();
  const c = await db.connect();
  console.log((await c.query("SELECT current_setting('application_name') AS a")).rows[0].a);
  await c.end();
})();
`,
  'node-esm': `import { getPool, closePool, connect } from './db.js';
const pool = await getPool();
const { rows } = await pool.query('SELECT application_name AS a FROM pg_stat_activity WHERE pid = pg_backend_pid()');
console.log(rows[0].a);
await closePool();
const c = await connect();
console.log((await c.query("SELECT current_setting('application_name') AS a")).rows[0].a);
await c.end();
`,
};

describe.each(LANGS)('generated %s client against a real PostgreSQL', (lang) => {
  const expectedBody = {
    python: 'from psycopg2',
    asyncpg: 'from asyncpg',
    'node-ts': 'from ts',
    'node-js': 'from js',
    'node-esm': 'from esm',
  }[lang];

  it('creates a table, writes and reads back a row through the pool', () => {
    writeFileSync(join(entry[lang].dir, USE[lang].file), USE[lang].text);
    const r = run(lang, [USE[lang].file], settingsEnv());
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(expectedBody);
    expect(r.code).toBe(0);
  });

  it('run as a script, prints ok <server_version>', () => {
    const r = run(lang, [], settingsEnv());
    expect(r.stdout).toMatch(/^ok 15\.\d+/);
    expect(r.code).toBe(0);
  });

  it('takes DATABASE_URL, with the password percent-encoded', () => {
    const r = run(lang, [], { DATABASE_URL: server.url.replace('127.0.0.1', 'localhost') });
    expect(r.stdout).toMatch(/^ok 15\./);
  });

  it('falls back to the libpq PG* names', () => {
    const r = run(lang, [], {
      PGHOST: '127.0.0.1',
      PGPORT: String(server.port),
      PGDATABASE: server.database,
      PGUSER: server.user,
      PGPASSWORD: PASSWORD,
    });
    expect(r.stdout).toMatch(/^ok 15\./);
  });

  it("sets application_name to the app's project name, unless PGAPPNAME or the URL names another", () => {
    const script = lang === 'python' || lang === 'asyncpg' ? 'appname.py' : 'appname.js';
    writeFileSync(join(entry[lang].dir, script), APP_NAME[lang]);
    const plain = run(lang, [script], settingsEnv());
    expect(plain.stderr).toBe('');
    expect(plain.stdout).toBe(`${lang}\n${lang}`);
    const env = run(lang, [script], settingsEnv({ PGAPPNAME: 'worker-7' }));
    expect(env.stdout).toBe('worker-7\nworker-7');
    const url = `${server.url}?application_name=from-url`;
    const fromUrl = run(lang, [script], { DATABASE_URL: url, PGAPPNAME: 'ignored' });
    expect(fromUrl.stderr).toBe('');
    expect(fromUrl.stdout).toBe('from-url\nfrom-url');
    expect(run(lang, [script], { DATABASE_URL: server.url }).stdout).toBe(`${lang}\n${lang}`);
  });

  it.each([
    ['a wrong password', 'postgres', { POSTGRES_PASSWORD: 'not-it' }],
    ['a role that does not exist', 'ghost', { POSTGRES_USER: 'ghost' }],
  ])('names %s, which PostgreSQL answers alike', (_, user, over) => {
    const r = run(lang, [], settingsEnv(over));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(
      `error: wrong password, or no role '${user}' on 127.0.0.1:${server.port} (PostgreSQL answers both alike): check POSTGRES_USER and POSTGRES_PASSWORD; the password is fixed when the database is first created.`,
    );
    expect(r.stdout).toBe('');
  });

  it('names a missing database', () => {
    const r = run(lang, [], settingsEnv({ POSTGRES_DB: 'nope' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(
      `error: database 'nope' does not exist on 127.0.0.1:${server.port}; create it or check POSTGRES_DB.`,
    );
  });

  it('names a server that is down', async () => {
    const port = stoppedPort;
    const r = run(
      lang,
      [],
      settingsEnv({ POSTGRES_HOST: 'localhost', POSTGRES_PORT: String(port) }),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(
      `error: server down: nothing accepts connections at localhost:${port}; start the database or check the port (POSTGRES_PORT).`,
    );
  });

  it('reads sslmode as libpq does on a host that is not local', () => {
    // 127.0.0.2 is not in the local list, so sslmode applies; the test server has no SSL.
    const remote = settingsEnv({ POSTGRES_HOST: '127.0.0.2' });
    expect(run(lang, [], remote).stdout).toMatch(/^ok 15\./); // prefer falls back
    expect(run(lang, [], { ...remote, PGSSLMODE: 'allow' }).stdout).toMatch(/^ok 15\./);
    for (const mode of ['require', 'verify-full']) {
      const r = run(lang, [], { ...remote, PGSSLMODE: mode, PGSSLROOTCERT: rootCert });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toBe(
        `error: the server at 127.0.0.2:${server.port} does not support SSL, but sslmode is '${mode}'; use sslmode=disable (PGSSLMODE) for it.`,
      );
    }
    // Local hosts use no SSL unless an sslmode is given: a given one is meant.
    expect(run(lang, [], settingsEnv()).stdout).toMatch(/^ok 15\./);
    const local = run(lang, [], settingsEnv({ PGSSLMODE: 'require' }));
    expect(local.code).not.toBe(0);
    expect(local.stderr).toBe(
      `error: the server at 127.0.0.1:${server.port} does not support SSL, but sslmode is 'require'; use sslmode=disable (PGSSLMODE) for it.`,
    );
  });

  it('refuses an unknown sslmode and a malformed URL without echoing the password', () => {
    const bad = run(lang, [], settingsEnv({ POSTGRES_HOST: '127.0.0.2', PGSSLMODE: 'sometimes' }));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/^error: sslmode 'sometimes' is not one of disable, allow, prefer/);
    const url = run(lang, [], { DATABASE_URL: 'mysql://u:secret-pw@h/db' });
    expect(url.code).not.toBe(0);
    expect(url.stderr).toBe('error: DATABASE_URL must start with postgresql:// or postgres://');
    expect(url.stderr).not.toContain('secret-pw');
  });
});

describe('generated Python files', () => {
  it.each(['python', 'asyncpg'] as const)('%s compiles with py_compile', (lang) => {
    const r = spawnSync(PYTHON, ['-m', 'py_compile', join(entry[lang].dir, entry[lang].file)], {
      encoding: 'utf-8',
      env: cleanEnv({ PYTHONDONTWRITEBYTECODE: '1' }),
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
