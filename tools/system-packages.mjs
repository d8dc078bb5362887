// The Debian packages `npm test` needs (PostgreSQL's client tools and server binaries, the Python
// clients and checkers, openssl, jq, tmux, busybox and strace): installed with apt as root when missing; otherwise named in
// one line, and the run stops.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const python = (mod) =>
  spawnSync('/usr/bin/python3', ['-c', `import ${mod}`], { stdio: 'ignore' }).status === 0;

/** Each package, with whether this machine has what the tests use of it. */
const NEEDED = [
  ['jq', () => has('jq')],
  ['postgresql-client-15', () => has('psql') && has('pg_dump') && has('pg_restore')],
  ['postgresql-15', () => existsSync('/usr/lib/postgresql/15/bin/pgbench')],
  ['python3-psycopg2', () => python('psycopg2')],
  ['python3-asyncpg', () => python('asyncpg')],
  ['python3-flake8', () => python('flake8')],
  ['black', () => has('black')],
  ['openssl', () => has('openssl')],
  ['tmux', () => has('tmux')],
  // The stack migration step's test: an Alpine-like root (busybox's sh), a record of every exec.
  ['busybox-static', () => has('busybox')],
  ['strace', () => has('strace')],
];

export function ensureSystemPackages() {
  const missing = NEEDED.filter(([, present]) => !present()).map(([name]) => name);
  if (!missing.length) return true;
  const root = process.getuid?.() === 0;
  if (!root || !has('apt-get')) {
    console.error(
      `npm test needs these Debian packages, which are missing: ${missing.join(' ')} (as root: apt-get install -y ${missing.join(' ')}).`,
    );
    return false;
  }
  console.log(`Installing from Debian: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
  return (
    apt(['update', '-qq']) &&
    apt(['install', '-y', '-qq', '--no-install-recommends', ...missing]) &&
    NEEDED.every(([, present]) => present())
  );
}
