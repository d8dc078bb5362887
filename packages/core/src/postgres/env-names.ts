/**
 * The environment names through which an app (and the executors) find a module's database. The
 * module `postgres` uses the plain names; any other module prefixes them with its id, so that two
 * databases in one app never read each other's settings.
 */
export interface ConnectionEnvNames {
  url: string;
  host: string;
  port: string;
  database: string;
  user: string;
  password: string;
}

export const DEFAULT_MODULE_ID = 'postgres';

/** `''` for `postgres`; `ANALYTICS_` for `analytics`; `DB_2ND_` for `2nd` (no name starts with a digit). */
export function envPrefix(moduleId: string): string {
  if (moduleId === DEFAULT_MODULE_ID) return '';
  const upper = moduleId.toUpperCase().replace(/-/g, '_');
  return `${/^[0-9]/.test(upper) ? 'DB_' : ''}${upper}_`;
}

export function connectionEnvNames(moduleId: string): ConnectionEnvNames {
  const p = envPrefix(moduleId);
  return {
    url: `${p}DATABASE_URL`,
    host: `${p}POSTGRES_HOST`,
    port: `${p}POSTGRES_PORT`,
    database: `${p}POSTGRES_DB`,
    user: `${p}POSTGRES_USER`,
    password: `${p}POSTGRES_PASSWORD`,
  };
}

/** Hosts that never get SSL: this machine, and the module's service inside the stack. */
export function localHosts(serviceId: string): string[] {
  return [...new Set(['localhost', '127.0.0.1', '::1', serviceId])];
}

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
