/**
 * Connects with node-postgres the way the generated clients do: libpq's sslmode, a hard timeout
 * that covers DNS, TCP and authentication, and errors turned into one clear line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type { Client, ClientConfig } from 'pg';
import { fail } from '../utils/errors';
import { classifyConnectionError, ConnectionFailure, TIMEOUT_CODE } from './connection-errors';
import { ConnectionSettings } from './settings';

export class ConnectionError extends Error {
  constructor(readonly failure: ConnectionFailure) {
    super(failure.message);
    this.name = 'ConnectionError';
  }
}

/** A libpq certificate setting: the variable, else the file under ~/.postgresql when it exists. */
function certFile(env: NodeJS.ProcessEnv, name: string, fallback: string): string | undefined {
  if (env[name]) return env[name];
  const path = join(env['HOME'] || homedir(), '.postgresql', fallback);
  return existsSync(path) ? path : undefined;
}

function readCert(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    fail(`Cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? e}.`);
  }
}

/**
 * TLS options with libpq's meaning: PGSSLROOTCERT (else ~/.postgresql/root.crt; `system` for the
 * system's roots) is checked whenever it exists, and verify-* need it; PGSSLCERT and PGSSLKEY (else
 * ~/.postgresql/postgresql.crt and .key) are the client certificate.
 */
export function sslFor(
  s: ConnectionSettings,
  env: NodeJS.ProcessEnv = process.env,
): ClientConfig['ssl'] {
  if (s.sslmode === 'disable') return false;
  const rootCert = certFile(env, 'PGSSLROOTCERT', 'root.crt');
  const cert = certFile(env, 'PGSSLCERT', 'postgresql.crt');
  const key = certFile(env, 'PGSSLKEY', 'postgresql.key');
  const verifying = s.sslmode === 'verify-ca' || s.sslmode === 'verify-full';
  if (verifying && !rootCert)
    fail(
      `sslmode ${s.sslmode} needs the server's root certificate: set PGSSLROOTCERT to its file (or to 'system' for this machine's trusted roots), put it in ~/.postgresql/root.crt, or use sslmode require.`,
    );
  const tls: ConnectionOptions = {
    ...(cert ? { cert: readCert(cert, 'client certificate (PGSSLCERT)') } : {}),
    ...(key ? { key: readCert(key, 'client key (PGSSLKEY)') } : {}),
  };
  if (!rootCert) return { ...tls, rejectUnauthorized: false };
  const ca =
    rootCert === 'system' ? undefined : readCert(rootCert, 'root certificate (PGSSLROOTCERT)');
  return {
    ...tls,
    ...(ca ? { ca } : {}),
    rejectUnauthorized: true,
    // Only verify-full checks the host name; with a root certificate, the others check the chain.
    ...(s.sslmode === 'verify-full' ? {} : { checkServerIdentity: () => undefined }),
  };
}

/** node-postgres, loaded when first needed: a backup that never connects here starts faster. */
function loadPg(): typeof import('pg') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = () => require('pg') as typeof import('pg');
  const g = globalThis as { navigator?: unknown };
  if (g.navigator !== undefined) return load();
  // Where Node has no `navigator` (Node 20), pg tells a Cloudflare Worker from Node by building a
  // fetch Response, which loads Node's whole fetch stack: some 15 ms of every command that
  // connects. A Node user agent for the time of the require gives pg its answer without it.
  g.navigator = { userAgent: `Node.js/${process.versions.node}` };
  try {
    return load();
  } finally {
    delete g.navigator;
  }
}

/** The error a connection of ours met when the server went away (or the network broke). */
const lost = new WeakMap<Client, Error>();

/**
 * Why the connection is dead, when node-postgres said so by an 'error' event: the server shut
 * down, terminated the session, or the network broke. Undefined while it is usable.
 */
export function connectionLost(c: Client): Error | undefined {
  return lost.get(c);
}

async function attempt(config: ClientConfig, timeoutMs: number): Promise<Client> {
  const { Client } = loadPg();
  const client = new Client(config);
  // An idle client whose server goes away emits 'error'; with no listener, Node ends the process
  // with a stack trace. It is remembered instead: the next query rejects, and callers say what the
  // loss means for their work.
  client.on('error', (e: Error) => {
    if (!lost.has(client)) lost.set(client, e);
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(Object.assign(new Error('timeout'), { code: TIMEOUT_CODE }));
      client.end().catch(() => undefined);
    }, timeoutMs);
  });
  try {
    await Promise.race([client.connect(), timeout]);
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export interface ConnectOptions {
  timeoutSeconds: number;
  /** Another database on the same server (the maintenance database, for instance). */
  database?: string;
}

export async function connect(s: ConnectionSettings, o: ConnectOptions): Promise<Client> {
  const ssl = sslFor(s);
  const config: ClientConfig = {
    host: s.host,
    port: s.port,
    database: o.database ?? s.database,
    user: s.user,
    password: s.password,
    ssl,
    application_name: '@acme/pg',
  };
  // pg reads the password file from PGPASSFILE when no password is given.
  if (s.passfile && !s.password) process.env['PGPASSFILE'] = s.passfile;
  try {
    try {
      return await attempt(config, o.timeoutSeconds * 1000);
    } catch (err) {
      // sslmode prefer: SSL when the server has it, plain otherwise.
      if (s.sslmode === 'prefer' && /does not support SSL/.test((err as Error).message))
        return await attempt({ ...config, ssl: false }, o.timeoutSeconds * 1000);
      throw err;
    }
  } catch (err) {
    const failure = classifyConnectionError(
      err,
      o.database ? { ...s, database: o.database } : s,
      o.timeoutSeconds,
    );
    throw new ConnectionError(failure);
  }
}

/** Runs `body` on a connection and always closes it. */
export async function withClient<T>(
  s: ConnectionSettings,
  o: ConnectOptions,
  body: (c: Client) => Promise<T>,
): Promise<T> {
  const client = await connect(s, o);
  try {
    return await body(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `SHOW server_version_num` as a major version: 150018 → 15. */
export async function serverMajor(client: Client): Promise<{ major: number; version: string }> {
  const r = await client.query<{ num: string; version: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version",
  );
  const num = Number(r.rows[0].num);
  if (!Number.isFinite(num)) fail('The server did not report its version.');
  return { major: Math.floor(num / 10000), version: r.rows[0].version };
}

/**
 * A connection for work on the server rather than in a database: `postgres`, or `template1` where
 * there is none, never `avoid` (the database about to be replaced, renamed or dropped, which a
 * session of our own would block).
 */
export async function maintenanceConnection(
  s: ConnectionSettings,
  timeoutSeconds: number,
  avoid: string,
): Promise<Client> {
  const [first, second] = ['postgres', 'template1'].filter((d) => d !== avoid);
  try {
    return await connect(s, { timeoutSeconds, database: first });
  } catch (e) {
    if (second && e instanceof ConnectionError && e.failure.kind === 'database-missing')
      return connect(s, { timeoutSeconds, database: second });
    throw e;
  }
}
