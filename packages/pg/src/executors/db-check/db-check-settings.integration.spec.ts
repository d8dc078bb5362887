/**
 * Where db-check connects, against real servers: the process environment wins over the env file
 * (as dotenv and Nx do), the resolver's notes say where each setting came from, --outputFile holds
 * the JSON result, and SSL follows libpq (an explicit sslmode wins on localhost; PGSSLROOTCERT).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import {
  captureOutput,
  executorWorkspace,
  ExecutorWorkspace,
} from '../../../test-utils/executor-workspace';
import { startPostgres, TestServer } from '@acme/pg-core/test-utils/real-postgres';
import dbCheck from './db-check';

let envServer: TestServer; // the one the env file names
let other: TestServer; // the one the environment names
let ssl: TestServer; // with SSL, a certificate for localhost
let certDir: string;
let ws: ExecutorWorkspace;
const saved = { ...process.env };

function clearEnv(extra: Record<string, string> = {}) {
  for (const k of Object.keys(process.env))
    if (/^(PG|POSTGRES_|DATABASE_URL)/.test(k)) delete process.env[k];
  // No ~/.postgresql certificates of the machine's user leak in.
  process.env['HOME'] = certDir;
  Object.assign(process.env, extra);
}

async function check(options: Parameters<typeof dbCheck>[0] = {}) {
  const out = captureOutput();
  try {
    const r = await dbCheck({ json: true, ...options }, ws.context());
    const text = out.stdout();
    return { ...r, output: out.text(), health: text.trim() ? JSON.parse(text) : undefined };
  } finally {
    out.restore();
  }
}

function envFileFor(s: TestServer) {
  writeFileSync(
    join(ws.root, '.env.postgres'),
    `POSTGRES_HOST='localhost'\nPOSTGRES_PORT='${s.port}'\nPOSTGRES_DB='${s.database}'\nPOSTGRES_USER='${s.user}'\nPOSTGRES_PASSWORD='${s.password}'\n`,
  );
  writeFileSync(
    join(ws.root, 'sql/postgres/.acme-pg.local.json'),
    '{ "envFile": ".env.postgres" }',
  );
}

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'acme-pg-cert-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      join(certDir, 'server.key'),
      '-out',
      join(certDir, 'server.crt'),
    ],
    { stdio: 'ignore' },
  );
  chmodSync(certDir, 0o755); // the server (another user, as root) reads its files here
  chmodSync(join(certDir, 'server.key'), 0o600);
  if (userInfo().uid === 0) {
    // The server runs as postgres, which must own its key.
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    for (const f of ['server.key', 'server.crt']) chownSync(join(certDir, f), uid, gid);
  }
  // One after the other, so a failure leaves nothing running.
  envServer = await startPostgres({ password: 'file-pw', database: 'from_file' });
  other = await startPostgres({ password: 'env-pw', database: 'from_env' });
  ssl = await startPostgres({
    password: 'ssl-pw',
    database: 'tls',
    settings: {
      ssl: 'on',
      ssl_cert_file: join(certDir, 'server.crt'),
      ssl_key_file: join(certDir, 'server.key'),
    },
  });
  ws = executorWorkspace();
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([envServer?.stop(), other?.stop(), ssl?.stop()]);
  ws?.remove();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

describe('precedence: options, the environment, the env file, PG*, defaults', () => {
  it('POSTGRES_PORT (and the password) in the environment win over the env file', async () => {
    envFileFor(envServer);
    clearEnv({
      POSTGRES_PORT: String(other.port),
      POSTGRES_PASSWORD: 'env-pw',
      POSTGRES_DB: 'from_env',
    });
    const r = await check();
    expect(r.success).toBe(true);
    expect(r.health).toMatchObject({ ok: true, database: 'from_env' });
    expect(r.health.url).toContain(`:${other.port}/`);
  });

  it('DATABASE_URL in the environment wins over the env file', async () => {
    envFileFor(envServer);
    clearEnv({ DATABASE_URL: other.url });
    expect((await check()).health).toMatchObject({ ok: true, database: 'from_env' });
  });

  it('the env file wins over libpq PG*, and messages say where a setting came from', async () => {
    envFileFor(envServer);
    clearEnv({ PGPORT: String(other.port), PGPASSWORD: 'env-pw' });
    expect((await check()).health).toMatchObject({ ok: true, database: 'from_file' });
    clearEnv({ POSTGRES_PASSWORD: 'wrong' });
    const wrong = await check();
    expect(wrong.success).toBe(false);
    expect(wrong.health.message).toContain('(password from POSTGRES_PASSWORD)');
  });

  it('a DATABASE_URL that Nx loaded from .env is named as such in every message', async () => {
    envFileFor(envServer);
    const url = `postgres://${other.user}:wrong@127.0.0.1:${other.port}/from_env`;
    writeFileSync(join(ws.root, '.env'), `# the app's\nDATABASE_URL="${url}"\n`);
    try {
      // What Nx's task runner sets: its task, and the variables of .env.
      clearEnv({
        NX_TASK_TARGET_PROJECT: 'api',
        NX_TASK_TARGET_TARGET: 'db-check',
        DATABASE_URL: url,
      });
      const r = await check();
      expect(r.success).toBe(false);
      expect(r.health.message).toContain(
        '(password from DATABASE_URL (from .env, which Nx loads into every task))',
      );
      // Outside an Nx task, or with another value than the file's, it is the plain variable.
      delete process.env['NX_TASK_TARGET_PROJECT'];
      clearEnv({ DATABASE_URL: url });
      expect((await check()).health.message).toContain('(password from DATABASE_URL)');
      clearEnv({ NX_TASK_TARGET_PROJECT: 'api', DATABASE_URL: url.replace('wrong', 'other') });
      expect((await check()).health.message).toContain('(password from DATABASE_URL)');
    } finally {
      rmSync(join(ws.root, '.env'));
      delete process.env['NX_TASK_TARGET_PROJECT'];
      delete process.env['NX_TASK_TARGET_TARGET'];
    }
  });

  it('reads an env file recorded in an old acme-pg.json (before .acme-pg.local.json)', async () => {
    envFileFor(envServer);
    rmSync(join(ws.root, 'sql/postgres/.acme-pg.local.json'));
    const marker = join(ws.root, 'sql/postgres/acme-pg.json');
    const before = readFileSync(marker, 'utf-8');
    writeFileSync(marker, JSON.stringify({ ...JSON.parse(before), envFile: '.env.postgres' }));
    try {
      clearEnv();
      expect((await check()).health).toMatchObject({ ok: true, database: 'from_file' });
    } finally {
      writeFileSync(marker, before);
    }
  });

  it('--outputFile holds the JSON result, on success and on failure', async () => {
    envFileFor(envServer);
    clearEnv();
    const ok = await check({ json: false, outputFile: 'tmp/health.json' });
    expect(ok.success).toBe(true);
    const health = JSON.parse(readFileSync(join(ws.root, 'tmp/health.json'), 'utf-8'));
    expect(health).toMatchObject({ ok: true, database: 'from_file', ssl: false });
    expect(ok.output).toContain('PostgreSQL 15.'); // the text report is still printed
    clearEnv({ POSTGRES_PORT: '1' });
    const down = await check({ json: false, outputFile: 'tmp/health.json' });
    expect(down.success).toBe(false);
    expect(JSON.parse(readFileSync(join(ws.root, 'tmp/health.json'), 'utf-8'))).toMatchObject({
      ok: false,
      error: expect.any(String),
    });
  });
});

describe('SSL like libpq', () => {
  const sslEnv = (extra: Record<string, string> = {}) =>
    clearEnv({
      POSTGRES_HOST: 'localhost',
      POSTGRES_PORT: String(ssl.port),
      POSTGRES_DB: 'tls',
      POSTGRES_PASSWORD: 'ssl-pw',
      ...extra,
    });

  it('localhost: no SSL by default, SSL when an sslmode is given (explicit wins)', async () => {
    rmSync(join(ws.root, 'sql/postgres/.acme-pg.local.json'), { force: true });
    sslEnv();
    expect((await check()).health).toMatchObject({ ok: true, ssl: false });
    sslEnv({ PGSSLMODE: 'require' });
    expect((await check()).health).toMatchObject({ ok: true, ssl: true });
    sslEnv();
    expect((await check({ sslmode: 'require' })).health).toMatchObject({ ok: true, ssl: true });
  });

  it('verify-full checks the server against PGSSLROOTCERT, and says what is missing without one', async () => {
    sslEnv({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: join(certDir, 'server.crt') });
    expect((await check()).health).toMatchObject({ ok: true, ssl: true });
    sslEnv({ PGSSLMODE: 'verify-full' });
    const none = await check();
    expect(none.success).toBe(false);
    expect(none.health.message).toContain(
      "sslmode verify-full needs the server's root certificate: set PGSSLROOTCERT",
    );
    // A root certificate that did not sign the server's: refused, as libpq refuses it.
    const otherCa = join(certDir, 'other.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=other',
        '-keyout',
        join(certDir, 'other.key'),
        '-out',
        otherCa,
      ],
      { stdio: 'ignore' },
    );
    sslEnv({ PGSSLMODE: 'require', PGSSLROOTCERT: otherCa });
    expect((await check()).success).toBe(false);
  });
});
