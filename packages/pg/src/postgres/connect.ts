/**
 * Connects with node-postgres the way the generated clients do: libpq's sslmode, a hard timeout
 * that covers DNS, TCP and authentication, and errors turned into one clear line.
 */
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

function sslFor(s: ConnectionSettings): ClientConfig['ssl'] {
  switch (s.sslmode) {
    case 'disable':
      return false;
    case 'prefer':
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    default:
      return { rejectUnauthorized: true };
  }
}

async function attempt(config: ClientConfig, timeoutMs: number): Promise<Client> {
  // Loaded when first needed: a backup that never connects here starts faster.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require('pg') as typeof import('pg');
  const client = new Client(config);
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
