/**
 * The one place that decides where the executors connect. Each setting is taken from the first
 * source that has it:
 *   the target's options → (host and port only) the running local server db-up started → the
 *   module's env file → <PREFIX>DATABASE_URL → <PREFIX>POSTGRES_* → libpq's PG* → defaults (localhost, 5432, user postgres, database = user).
 * A password is never an option: it comes from the env file, the URL, POSTGRES_PASSWORD or
 * PGPASSWORD, or libpq's password file (PGPASSFILE, ~/.pgpass).
 */
import { fail } from '../utils/errors';
import { connectionEnvNames, localHosts, SSL_MODES } from './env-names';

export interface ConnectionOptions {
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  sslmode?: string;
}

export type SettingName = 'host' | 'port' | 'database' | 'user' | 'password' | 'sslmode';

export interface ConnectionSettings {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** libpq's password file, when the password is to come from it. */
  passfile?: string;
  /** The sslmode in effect: always `disable` for this machine and the module's service. */
  sslmode: string;
  /** Where each setting came from, for messages: `--host`, `POSTGRES_HOST`, `default`, … */
  sources: Record<SettingName, string>;
}

export interface ResolveInput {
  moduleId: string;
  /** The module's host name inside the stack: never given SSL, like localhost. */
  serviceId?: string;
  options?: ConnectionOptions;
  env: NodeJS.ProcessEnv;
  /** Variables from the module's env file, which win over the process environment. */
  envFile?: Record<string, string>;
  /** Where the env file is, for messages. */
  envFilePath?: string;
  /** The module's local server that db-up started and that still runs: where it really listens. */
  localServer?: { host: string; port: number };
}

interface Candidate {
  value: string | number | undefined;
  source: string;
}

function first(candidates: Candidate[]): Candidate | undefined {
  return candidates.find((c) => c.value !== undefined && c.value !== '');
}

interface UrlParts {
  host?: string;
  port?: string;
  database?: string;
  user?: string;
  password?: string;
  sslmode?: string;
}

/** The parts of a postgresql:// URL; the message never shows the URL, which holds the password. */
export function parseDatabaseUrl(url: string, name: string): UrlParts {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    fail(
      `${name} is not a valid URL; it must look like postgresql://user:password@host:port/database.`,
    );
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:')
    fail(`${name} must start with postgresql:// or postgres://.`);
  const q = u.searchParams;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      fail(`${name} has a malformed %-escape; percent-encode the password (for example @ as %40).`);
    }
  };
  return {
    host: q.get('host') || u.hostname.replace(/^\[(.*)\]$/, '$1') || undefined,
    port: q.get('port') || u.port || undefined,
    database: decode(u.pathname.slice(1)) || undefined,
    user: decode(u.username) || undefined,
    password: u.password ? decode(u.password) : undefined,
    sslmode: q.get('sslmode') || undefined,
  };
}

export function resolveConnection(input: ResolveInput): ConnectionSettings {
  const names = connectionEnvNames(input.moduleId);
  const o = input.options ?? {};
  const file = input.envFile ?? {};
  const env = input.env;
  const fileLabel = (n: string) => `${n} in ${input.envFilePath ?? 'the env file'}`;
  const fromFileUrl = file[names.url]
    ? parseDatabaseUrl(file[names.url], fileLabel(names.url))
    : {};
  const fromUrl = env[names.url] ? parseDatabaseUrl(env[names.url]!, names.url) : {};
  const running = input.localServer;

  const pick = (
    option: keyof ConnectionOptions | null,
    urlKey: keyof UrlParts,
    envName: string | null,
    libpq: string,
  ): Candidate | undefined =>
    first([
      ...(option ? [{ value: o[option], source: `--${option}` }] : []),
      ...(running && (option === 'host' || option === 'port')
        ? [{ value: running[option], source: 'the local server db-up started' }]
        : []),
      { value: fromFileUrl[urlKey], source: fileLabel(names.url) },
      ...(envName ? [{ value: file[envName], source: fileLabel(envName) }] : []),
      { value: fromUrl[urlKey], source: names.url },
      ...(envName ? [{ value: env[envName], source: envName }] : []),
      { value: env[libpq], source: libpq },
    ]);

  const host = pick('host', 'host', names.host, 'PGHOST') ?? {
    value: 'localhost',
    source: 'default',
  };
  const portC = pick('port', 'port', names.port, 'PGPORT') ?? { value: 5432, source: 'default' };
  const user = pick('user', 'user', names.user, 'PGUSER') ?? {
    value: 'postgres',
    source: 'default',
  };
  const database = pick('database', 'database', names.database, 'PGDATABASE') ?? {
    value: user.value,
    source: 'default (the user name)',
  };
  const password = pick(null, 'password', names.password, 'PGPASSWORD');
  const sslmodeC = pick('sslmode', 'sslmode', null, 'PGSSLMODE') ?? {
    value: 'prefer',
    source: 'default',
  };

  const port = Number(portC.value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    fail(`Invalid port '${portC.value}' (from ${portC.source}): use a number from 1 to 65535.`);
  const given = String(sslmodeC.value);
  if (!SSL_MODES.includes(given)) {
    fail(
      `Invalid sslmode '${given}' (from ${sslmodeC.source}): use one of ${SSL_MODES.join(', ')}.`,
    );
  }
  const hostName = String(host.value);
  const local =
    hostName.startsWith('/') || localHosts(input.serviceId ?? input.moduleId).includes(hostName);
  // The generated clients read allow as prefer too: neither pg nor a pool can do libpq's allow.
  const sslmode = local ? 'disable' : given === 'allow' ? 'prefer' : given;
  return {
    host: hostName,
    port,
    database: String(database.value),
    user: String(user.value),
    password: password ? String(password.value) : undefined,
    passfile: password ? undefined : env['PGPASSFILE'] || undefined,
    sslmode,
    sources: {
      host: host.source,
      port: portC.source,
      database: database.source,
      user: user.source,
      password: password?.source ?? (env['PGPASSFILE'] ? 'PGPASSFILE' : 'none'),
      sslmode: local ? `${sslmodeC.source}; off for ${hostName}` : sslmodeC.source,
    },
  };
}

/** The settings as a URL with the password masked: safe to print. */
export function maskedUrl(s: ConnectionSettings): string {
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  const auth = `${encodeURIComponent(s.user)}${s.password ? ':****' : ''}`;
  return `postgresql://${auth}@${host}:${s.port}/${encodeURIComponent(s.database)}`;
}

/** Replaces every occurrence of the password (raw and percent-encoded) in a text. */
export function maskSecrets(text: string, s: Pick<ConnectionSettings, 'password'>): string {
  if (!s.password) return text;
  let out = text;
  for (const secret of new Set([s.password, encodeURIComponent(s.password)]))
    out = out.split(secret).join('****');
  return out;
}

/** Names libpq reads that must not leak in from the caller's environment. */
const LIBPQ_CONNECTION_VARS = [
  'PGHOST',
  'PGHOSTADDR',
  'PGPORT',
  'PGDATABASE',
  'PGUSER',
  'PGPASSWORD',
  'PGPASSFILE',
  'PGSSLMODE',
  'PGREQUIRESSL',
  'PGSERVICE',
  'PGSERVICEFILE',
];

/**
 * The environment for a PostgreSQL tool: the caller's, with the connection given by libpq's
 * variables. The password travels here, never on a command line.
 */
export function libpqEnv(
  s: ConnectionSettings,
  base: NodeJS.ProcessEnv,
  database = s.database,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!LIBPQ_CONNECTION_VARS.includes(k)) env[k] = v;
  env['PGHOST'] = s.host;
  env['PGPORT'] = String(s.port);
  env['PGDATABASE'] = database;
  env['PGUSER'] = s.user;
  env['PGSSLMODE'] = s.sslmode;
  env['PGAPPNAME'] = env['PGAPPNAME'] ?? '@acme/pg';
  if (s.password !== undefined) env['PGPASSWORD'] = s.password;
  if (s.passfile !== undefined) env['PGPASSFILE'] = s.passfile;
  return env;
}
