/**
 * The one place that decides where the executors connect. Each setting is taken from the first
 * source that has it, as dotenv, Nx's own .env loading and Prisma do (the real environment wins
 * over a file):
 *   the target's options → the process environment (<PREFIX>DATABASE_URL, then <PREFIX>POSTGRES_*)
 *   → (host and port only) the running local server db-up started → the module's env file (its URL,
 *   then its POSTGRES_*) → libpq's PG* → defaults (localhost, 5432, user postgres, database = user).
 * A password is never an option: it comes from the environment, the env file, PGPASSWORD, or
 * libpq's password file (PGPASSFILE, ~/.pgpass).
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
  /** The sslmode in effect: `disable` for this machine and the module's service unless one is given. */
  sslmode: string;
  /** Where each setting came from, for messages: `--host`, `POSTGRES_HOST`, `default`, … */
  sources: Record<SettingName, string>;
  /** What to type next, with the workspace's real names, for the messages of a failed connection. */
  hints?: {
    /** How to start the database: `nx run <project>:db-up, or pt run <entry>`. */
    start?: string;
    /** Why the port is the default one: the env file that is missing, and how to write it. */
    envFile?: string;
  };
}

export interface ResolveInput {
  moduleId: string;
  /** The module's host name inside the stack: never given SSL, like localhost. */
  serviceId?: string;
  options?: ConnectionOptions;
  env: NodeJS.ProcessEnv;
  /** Variables from the module's env file; the process environment wins over them. */
  envFile?: Record<string, string>;
  /** Where the env file is, for messages. */
  envFilePath?: string;
  /**
   * The least-privilege role an app is wired to (client --role): from the env file, the app
   * connects as this role, with its init script's password (PGINIT_<ROLE>_PASSWORD), to its database.
   */
  role?: AppRole;
  /** The module's local server that db-up started and that still runs: where it really listens. */
  localServer?: { host: string; port: number };
  /** How messages name an environment variable (where it came from, when that is not plain). */
  envLabel?: (name: string) => string;
}

export interface AppRole {
  name: string;
  database: string;
  /** The env-file variable that holds the role's password: PGINIT_<ROLE>_PASSWORD. */
  passwordVar: string;
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
  const role = input.role;
  // For a role, the env file's own user, password and database (the superuser's) do not apply.
  const fileUrlText = file[names.url];
  const fromFileUrl: UrlParts = fileUrlText
    ? parseDatabaseUrl(fileUrlText, fileLabel(names.url))
    : {};
  if (role) {
    fromFileUrl.user = role.name;
    fromFileUrl.database = role.database;
    fromFileUrl.password = file[role.passwordVar] || undefined;
  }
  const fileUrlLabel = (k: keyof UrlParts) =>
    role && (k === 'user' || k === 'database')
      ? `--role ${role.name} (the app's acme-pg.json)`
      : role && k === 'password'
        ? fileLabel(role.passwordVar)
        : fileLabel(names.url);
  const envLabel = input.envLabel ?? ((n: string) => n);
  const fromUrl = env[names.url] ? parseDatabaseUrl(env[names.url]!, envLabel(names.url)) : {};
  const roleOwned = new Set([names.user, names.password, names.database]);
  const running = input.localServer;

  const pick = (
    option: keyof ConnectionOptions | null,
    urlKey: keyof UrlParts,
    envName: string | null,
    libpq: string,
  ): Candidate | undefined =>
    first([
      ...(option ? [{ value: o[option], source: `--${option}` }] : []),
      { value: fromUrl[urlKey], source: envLabel(names.url) },
      ...(envName ? [{ value: env[envName], source: envLabel(envName) }] : []),
      ...(running && (option === 'host' || option === 'port')
        ? [{ value: running[option], source: 'the local server db-up started' }]
        : []),
      { value: fromFileUrl[urlKey], source: fileUrlLabel(urlKey) },
      ...(envName && !(role && roleOwned.has(envName))
        ? [{ value: file[envName], source: fileLabel(envName) }]
        : []),
      { value: env[libpq], source: envLabel(libpq) },
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
  // Only the default gives way to the local rule: an sslmode someone wrote down is meant.
  const explicit = sslmodeC.source !== 'default';
  const off = local && !explicit;
  // The generated clients read allow as prefer too: neither pg nor a pool can do libpq's allow.
  const sslmode = off ? 'disable' : given === 'allow' ? 'prefer' : given;
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
      sslmode: off ? `default; off for ${hostName}` : sslmodeC.source,
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
