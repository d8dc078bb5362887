/**
 * The stack's migration step, run as Polytope would run it: its entrypoint, cmd, env and mounts are
 * read from the polytope.yml the module generator writes (pt is mocked only as the source of the
 * values and secrets), and run against a real server in a root made like dbmate's image: busybox's
 * sh and tools (the image is Alpine, whose /bin/sh is busybox), the npm dbmate of the same release
 * at /usr/local/bin/dbmate, the migrations folder bind-mounted at the step's mount path. The root is
 * a tmpfs in a private mount namespace (`unshare -m`, as root), so nothing of it reaches the host.
 * strace records every exec: no argv may hold the password.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { parse } from 'yaml';
import { startPostgres, TestServer } from '../../test-utils/real-postgres';
import { polytopeFileErrors } from '../../test-utils/polytope-validation';
import { FileTree } from '../cli/file-tree';
import { moduleGenerator } from '../generators/module/module';
import { logger } from '../utils/logger';
import { findDbmate } from '../migrations/dbmate';

const USER = 'ad@m:n/用户 x';
const PASSWORD = 'p@ss/:%? 密码 end';
const DATABASE = 'shop db/数据?';
/** The PATH of Alpine's image config, which dbmate's image inherits. */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const APPLETS = ['sh', 'od', 'tr', 'sed', 'printf', 'echo', '[', 'test', 'cat'];

let server: TestServer;
let work: string;

beforeAll(async () => {
  server = await startPostgres({ user: USER, password: PASSWORD, database: DATABASE });
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'acme-pg-step-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

interface Step {
  entrypoint: string[];
  cmd: string[];
  env: { name: string; value: string }[];
  mounts: { path: string; source: { type: string; path: string } }[];
}

/** The step as the generator writes it, for a workspace whose migrations are in `sql/postgres`. */
async function generatedStep(): Promise<Step> {
  // A plain folder, through the command line's tree: nothing is written to it.
  const folder = mkdtempSync(join(tmpdir(), 'acme-pg-step-'));
  writeFileSync(join(folder, 'package.json'), '{ "name": "shop", "private": true }\n');
  const tree = new FileTree(folder);
  const quiet = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  try {
    await moduleGenerator(tree, { migrations: true, skipFormat: true, skipPackageJson: true });
  } finally {
    quiet.mockRestore();
    rmSync(folder, { recursive: true, force: true });
  }
  const text = tree.read('polytope.yml', 'utf-8')!;
  expect(polytopeFileErrors(text)).toEqual([]);
  const doc = parse(text) as { modules: { id: string; args: Step }[] };
  return doc.modules.find((m) => m.id === 'postgres-migrate')!.args;
}

/** What `pt` resolves `pt.value k` / `pt.secret k` to; a key it does not have fails the test. */
function resolveRefs(env: Step['env']): Record<string, string> {
  const values: Record<string, string> = {
    'postgres-host': '127.0.0.1',
    'postgres-port': String(server.port),
    'postgres-database': DATABASE,
  };
  const secrets: Record<string, string> = {
    'postgres-username': USER,
    'postgres-password': PASSWORD,
  };
  const out: Record<string, string> = {};
  for (const e of env) {
    const m = /^pt\.(value|secret) (\S+)$/.exec(e.value);
    const store = m?.[1] === 'secret' ? secrets : values;
    if (m && !(m[2] in store)) throw new Error(`pt has no ${m[1]} ${m[2]}`);
    out[e.name] = m ? store[m[2]] : e.value;
  }
  return out;
}

// Builds the image-like root in the namespace, then execs the step's argv in it under strace.
const HARNESS = `set -eu
root=$1; log=$2; dbmate=$3; mig=$4; mountpath=$5; shift 5
mount --make-rprivate /
mount -t tmpfs tmpfs "$root"
mkdir -p "$root/bin" "$root/usr/local/bin" "$root/dev" "$root/tmp" "$root$mountpath"
touch "$root/bin/busybox" "$root/usr/local/bin/dbmate"
mount --bind "$(command -v busybox)" "$root/bin/busybox"
mount --bind "$dbmate" "$root/usr/local/bin/dbmate"
mount --rbind /dev "$root/dev"
mount --bind "$mig" "$root$mountpath"
for a in ${APPLETS.map((a) => `'${a}'`).join(' ')}; do ln -s busybox "$root/bin/$a"; done
exec strace -f -qq -v -xx -s 65536 -e trace=execve -o "$log" chroot "$root" "$@"`;

interface Exec {
  argv: string[];
  env: string[];
}

/** strace -xx prints every byte of a string as \\xHH. */
function execs(log: string): Exec[] {
  const decode = (s: string) =>
    Buffer.from(
      s.replace(/\\x([0-9a-f]{2})/g, (_m, h) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf-8');
  const list = (s: string) => [...s.matchAll(/"((?:\\x[0-9a-f]{2})*)"/g)].map((m) => decode(m[1]));
  return log
    .split('\n')
    .map((l) => /execve\("[^"]*", \[(.*?)\], \[(.*?)\]\) = 0/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ argv: list(m[1]), env: list(m[2]) }));
}

function runStep(step: Step, migrations: string) {
  const mount = step.mounts.find((m) => m.source.path === 'sql/postgres/migrations')!;
  const root = join(work, 'root');
  const log = join(work, 'exec.log');
  mkdirSync(root, { recursive: true });
  const r = spawnSync(
    'unshare',
    [
      '-m',
      'sh',
      '-c',
      HARNESS,
      'harness',
      root,
      log,
      findDbmate(process.cwd()),
      migrations,
      mount.path,
      ...step.entrypoint,
      ...step.cmd,
    ],
    // The container's env: the image's PATH and the step's env, nothing of this process.
    { env: { PATH: IMAGE_PATH, ...resolveRefs(step.env) }, encoding: 'utf-8', timeout: 60_000 },
  );
  return { ...r, execs: execs(readFileSync(log, 'utf-8')) };
}

async function query(text: string): Promise<Record<string, unknown>[]> {
  const c = new Client({
    host: '127.0.0.1',
    port: server.port,
    user: USER,
    password: PASSWORD,
    database: DATABASE,
    ssl: false,
  });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

function migration(dir: string, file: string, up: string, down: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), `-- migrate:up\n${up}\n\n-- migrate:down\n${down}\n`);
}

describe('the stack migration step, run as Polytope runs it', () => {
  it('applies the migrations with DATABASE_URL built in the container, then none; the password is in no argv', async () => {
    const step = await generatedStep();
    const dir = join(work, 'sql/postgres/migrations');
    migration(
      dir,
      '20261201100000_orders.sql',
      'CREATE TABLE orders (id int);',
      'DROP TABLE orders;',
    );
    migration(dir, '20261201100001_items.sql', 'CREATE TABLE items (id int);', 'DROP TABLE items;');

    const first = runStep(step, dir);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('Applied: 20261201100000_orders.sql');
    expect(first.stdout).toContain('Applied: 20261201100001_items.sql');
    const versions = await query('SELECT version FROM schema_migrations ORDER BY 1');
    expect(versions.map((r) => r['version'])).toEqual(['20261201100000', '20261201100001']);
    const tables = await query(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    expect(tables.map((r) => r['tablename'])).toEqual(['items', 'orders', 'schema_migrations']);

    // dbmate ran by the image's PATH, with the URL the shell built: user and database encoded, no
    // password (PGPASSWORD carries it).
    const dbmate = first.execs.find((e) => e.argv[0] === 'dbmate')!;
    expect(dbmate.argv).toEqual([
      'dbmate',
      '--wait',
      '--wait-timeout',
      '5m',
      '--migrations-dir',
      '/db/migrations',
      '--no-dump-schema',
      'up',
    ]);
    const url = dbmate.env
      .find((e) => e.startsWith('DATABASE_URL='))!
      .slice('DATABASE_URL='.length);
    expect(decodeURIComponent(new URL(url).username)).toBe(USER);
    expect(decodeURIComponent(new URL(url).pathname.slice(1))).toBe(DATABASE);
    expect(new URL(url).password).toBe('');
    expect(url).toMatch(/\?sslmode=disable$/);

    const second = runStep(step, dir);
    expect(second.status).toBe(0);
    expect(second.stdout).not.toContain('Applying');

    for (const r of [first, second]) {
      // The shell and dbmate were seen (busybox's sh runs most of its applets in forks, without an
      // exec); no exec carries the password.
      expect(r.execs.map((e) => e.argv[0])).toEqual(
        expect.arrayContaining(['chroot', '/bin/sh', 'dbmate']),
      );
      for (const e of r.execs) {
        expect(e.argv.join(' ')).not.toContain(PASSWORD);
        expect(e.argv.join(' ')).not.toContain(encodeURIComponent(PASSWORD));
      }
      expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    }
  });

  it('a failing migration exits non-zero and leaves the database as it was; an empty folder is not a failure', async () => {
    const step = await generatedStep();
    const empty = join(work, 'empty');
    mkdirSync(empty);
    const none = runStep(step, empty);
    expect(none.status).toBe(0);
    expect(none.stdout).toContain('No migrations in /db/migrations yet: nothing to apply.');

    const dir = join(work, 'sql/postgres/migrations');
    migration(
      dir,
      '20261201100002_bad.sql',
      'CREATE TABLE bad (id int);\nSELECT nope;',
      'DROP TABLE bad;',
    );
    const r = runStep(step, dir);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('Applying: 20261201100002_bad.sql');
    expect(r.stderr).toContain('line: 3, column: 8');
    expect(r.stderr).toContain('column "nope" does not exist');
    const bad = await query("SELECT to_regclass('public.bad') AS t");
    expect(bad[0]['t']).toBeNull();
    const versions = await query('SELECT version FROM schema_migrations ORDER BY 1');
    expect(versions.map((row) => row['version'])).not.toContain('20261201100002');
  });
});
