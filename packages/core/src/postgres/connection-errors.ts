/**
 * What went wrong when connecting, chosen by error code (a SQLSTATE or a Node errno), and the one
 * line that tells the user. Two have no code in node-postgres, so their messages are matched:
 * "SSL not supported", and a server that asks for a password when none is set.
 */
import { ident } from './databases';
import { ConnectionSettings } from './settings';

export type FailureKind =
  | 'refused'
  | 'unknown-host'
  | 'timeout'
  | 'wrong-password'
  | 'no-password'
  | 'rejected'
  | 'database-missing'
  | 'starting-up'
  | 'closed'
  | 'ssl-unsupported'
  | 'other';

/** A db-restore or db-reset closes the database for its swap: cut off then, it stays closed. */
const CLOSED_HINT = (db: string) =>
  `A db-restore or db-reset of it that was cut off leaves it so: db-restore and db-reset then say what is left and how to go back. Otherwise a superuser opens it again: ALTER DATABASE ${ident(db)} ALLOW_CONNECTIONS true.`;

/** Raised by our own connect timeout, which node-postgres reports without a code. */
export const TIMEOUT_CODE = 'ACME_PG_TIMEOUT';

export interface ConnectionFailure {
  kind: FailureKind;
  message: string;
  /** Worth trying again when waiting for the server to come up. */
  retryable: boolean;
}

function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: unknown[] };
  if (typeof e?.code === 'string') return e.code;
  // Node 20 can raise an AggregateError with an empty message (one error per address).
  const inner = Array.isArray(e?.errors) ? e.errors.map(codeOf).find(Boolean) : undefined;
  return inner;
}

export function classifyConnectionError(
  err: unknown,
  s: ConnectionSettings,
  timeoutSeconds: number,
): ConnectionFailure {
  const where = `${s.host}:${s.port}`;
  const code = codeOf(err);
  const f = (kind: FailureKind, message: string, retryable = false) => ({
    kind,
    message,
    retryable,
  });
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOENT':
      return f(
        'refused',
        `Nothing accepts connections at ${where}: the server is not running, or listens on another port (port from ${s.sources.port}${s.sources.port === 'default' && s.hints?.envFile ? `: ${s.hints.envFile}` : ''}). Start the database (${s.hints?.start ?? "pt run, or db-up of the module's database project"}) or fix the port.`,
        true,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return f(
        'unknown-host',
        `Unknown host '${s.host}' (from ${s.sources.host}). From this machine the database is at localhost; its service id is a host name inside the stack only.`,
        code === 'EAI_AGAIN',
      );
    case 'ETIMEDOUT':
    case TIMEOUT_CODE:
      return f(
        'timeout',
        `No answer from ${where} within ${timeoutSeconds} s: check the host and port, and any firewall; --timeout gives it longer.`,
        true,
      );
    case '28P01':
      return f('wrong-password', wrongPassword(s, where));
    case '28000':
      return f(
        'rejected',
        `The server rejects user '${s.user}' from this host (no pg_hba.conf entry, or the role does not exist).`,
      );
    case '3D000':
      return f(
        'database-missing',
        `Database '${s.database}' does not exist on ${where} (name from ${s.sources.database}). The server is up: create the database, or fix the name.`,
      );
    case '57P03':
      return f(
        'starting-up',
        `The server at ${where} is starting up or shutting down; try again in a moment, or use --wait.`,
        true,
      );
    case '55000':
      if (/not currently accepting connections/.test((err as Error)?.message ?? ''))
        return f(
          'closed',
          `Database '${s.database}' on ${where} does not accept connections (ALLOW_CONNECTIONS false). ${CLOSED_HINT(s.database)}`,
        );
  }
  const message = (err as Error)?.message ?? String(err);
  if (!s.password && /password must be a string/.test(message)) {
    return f(
      'no-password',
      `The server at ${where} asks user '${s.user}' for a password, and none is set (not in ${s.sources.password === 'none' ? 'POSTGRES_PASSWORD, the env file, DATABASE_URL, PGPASSWORD or ~/.pgpass' : s.sources.password})${s.hints?.envFile ? `: ${s.hints.envFile}` : ''}.`,
    );
  }
  if (/does not support SSL/.test(message)) {
    return f(
      'ssl-unsupported',
      `The server at ${where} does not support SSL, but sslmode is '${s.sslmode}' (from ${s.sources.sslmode}); use --sslmode disable for it.`,
    );
  }
  return f('other', `Cannot connect to ${where}: ${message || code || 'unknown error'}`);
}

/**
 * PostgreSQL answers a role that does not exist as it answers a wrong password (28P01, so that
 * role names cannot be probed): the line names both, and how to tell them apart.
 */
function wrongPassword(s: ConnectionSettings, where: string): string {
  // A SQL literal inside a double-quoted shell word.
  const literal = `'${s.user.replace(/'/g, "''")}'`.replace(/["$`\\]/g, (c) => `\\${c}`);
  const role = `"${s.user.replace(/"/g, '""')}"`;
  const host = /^[\w.:-]+$/.test(s.host) ? s.host : `'${s.host.replace(/'/g, `'\\''`)}'`;
  return [
    `Wrong password, or no role '${s.user}' on ${where}: PostgreSQL answers both alike (password from ${s.sources.password}).`,
    `Check which as a superuser: psql -h ${host} -p ${s.port} -U <superuser> -d postgres -c "SELECT rolname FROM pg_roles WHERE rolname = ${literal}".`,
    `No row: the role is missing (init scripts run only on the first start of an empty data folder); in psql as a superuser, CREATE ROLE ${role} LOGIN; then \\password ${role} (it asks for the password, which then goes in ${s.sources.password}).`,
    `A row: the password is wrong; the server keeps the one it was first initialised with, and db-values --rotatePassword changes it.`,
  ].join(' ');
}
