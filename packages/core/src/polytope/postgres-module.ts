/**
 * What a PostgreSQL wrapper module holds, per the blueprint: the args of `polytope/postgres`, the
 * value and secret keys it references, and how existing args are read back.
 */
import { YamlValue } from './yaml-render';
import { MergeBy, REMOVE, WantMap } from './yaml-splice';

export const POSTGRES_MODULE = 'polytope/postgres';
export const SIMPLE_MODULE = 'polytope/postgres!simple';
export const DEFAULT_IMAGE = 'postgres:16.2';
/** The images the modules run when `image` is not given (their declared params). */
export const MODULE_DEFAULT_IMAGE = {
  full: 'public.ecr.aws/docker/library/postgres:16.2',
  simple: 'postgres:15.4',
} as const;
/** The service id (host name) both modules use when `service-id` is not given. */
export const MODULE_SERVICE_ID = 'postgres';
/** The args polytope/postgres!simple declares (Bluetext's stacks also pass `container-id`). */
export const SIMPLE_PARAMS = ['image', 'scripts', 'data-volume', 'restart', 'container-id'];
export type PostgresVariant = 'full' | 'simple';

/** `polytope/postgres`, `polytope/postgres@1.2`, `polytope/postgres!simple`, …; null for others. */
export function postgresVariant(ref: string | undefined): PostgresVariant | null {
  const m = /^polytope\/postgres(?:@[A-Za-z0-9_.-]+)?(?::[a-z0-9_\-/]+)?(!simple)?$/.exec(
    ref ?? '',
  );
  return m ? (m[1] ? 'simple' : 'full') : null;
}

/** The full module's ref for a `!simple` ref, keeping its version. */
export function fullRef(ref: string): string {
  return ref.replace(/!simple$/, '');
}
/** Where polytope/postgres mounts `data-volume`. */
export const DATA_MOUNT = '/var/lib/postgresql/data';
/** A folder inside the mount: images of PostgreSQL 18+ refuse a bare mount at DATA_MOUNT. */
export const PGDATA = `${DATA_MOUNT}/pgdata`;
export const AUTH_METHODS = ['scram-sha-256', 'md5', 'trust'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];
export const RESTART_POLICIES = ['on-failure', 'always'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

export function moduleInfo(): string {
  return 'Runs the PostgreSQL database server (blueprint: postgres)';
}

/** The Polytope value and secret keys of a module: `postgres-host`, …, or `<id>-host`, … */
export function valueKeys(id: string) {
  return {
    values: { host: `${id}-host`, port: `${id}-port`, database: `${id}-database` },
    secrets: { username: `${id}-username`, password: `${id}-password` },
  };
}

/** A Polytope key and its kind: what `pt.value <key>` or `pt.secret <key>` names. */
export interface KeyOf {
  kind: 'value' | 'secret';
  key: string;
}

/** The keys a module's server and its apps use: host and port are the apps'; the rest, the module's. */
export interface ModuleKeys {
  host: KeyOf;
  port: KeyOf;
  database: KeyOf;
  username: KeyOf;
  password: KeyOf;
}

const KEY_REF = /^pt\.(value|secret)\s+([A-Za-z0-9_.-]+)$/;

/** The key a `pt.value <key>` or `pt.secret <key>` names; undefined for anything else. */
export function keyOfRef(value: string | undefined): KeyOf | undefined {
  const m = KEY_REF.exec((value ?? '').trim());
  return m ? { kind: m[1] as KeyOf['kind'], key: m[2] } : undefined;
}

const SERVER_ENV = {
  database: 'POSTGRES_DB',
  username: 'POSTGRES_USER',
  password: 'POSTGRES_PASSWORD',
};

/**
 * The keys a module really reads: what its POSTGRES_DB, POSTGRES_USER and POSTGRES_PASSWORD
 * reference, whatever their names (an adopted module keeps its own, `pt.secret postgres_password`),
 * else the blueprint's `<id>-database`, `<id>-username`, `<id>-password`. Every hint and every wiring
 * (the client's env, db-values) names these, so the apps read what the server was made with.
 */
export function moduleKeys(id: string, env: EnvEntry[] = []): ModuleKeys {
  const k = valueKeys(id);
  const own = (slot: keyof typeof SERVER_ENV, fallback: KeyOf): KeyOf =>
    keyOfRef(env.find((e) => e.name === SERVER_ENV[slot])?.value) ?? fallback;
  return {
    host: { kind: 'value', key: k.values.host },
    port: { kind: 'value', key: k.values.port },
    database: own('database', { kind: 'value', key: k.values.database }),
    username: own('username', { kind: 'secret', key: k.secrets.username }),
    password: own('password', { kind: 'secret', key: k.secrets.password }),
  };
}

/** `pt.value <key>` / `pt.secret <key>`: the reference to write for a key. */
export function refTo(k: KeyOf): string {
  return `pt.${k.kind} ${k.key}`;
}

/**
 * A role's password secret. Module keys end in -host, -port, -database, -username or -password, and
 * roles have no '-', so `<id>-role-<role>-secret` can never be another module's key or another
 * role's.
 */
export function roleSecretKey(id: string, role: string): string {
  return `${id}-role-${role}-secret`;
}

/** The default service id (a host name) for a module id: `orders_db` → `orders-db`. */
export function defaultServiceId(id: string): string {
  return id.replace(/_/g, '-').replace(/^-+|-+$/g, '') || 'postgres';
}

export function roleEnvName(role: string): string {
  return `PGINIT_${role.toUpperCase()}_PASSWORD`;
}

export interface EnvEntry {
  name: string;
  value: string;
}

/** Settings to write. On an update, an undefined field keeps what the module already has. */
export interface ModuleSettings {
  id: string;
  image?: string;
  serviceId?: string;
  volumeId?: string;
  auth: AuthMethod;
  restart?: RestartPolicy;
  maxRestarts?: number;
  tuning: Record<string, string>;
  initdbArgs?: string;
  walDir?: string;
  /** Path of the init bundle, relative to polytope.yml's folder. */
  bundlePath: string;
  extraEnv: EnvEntry[];
  /** `info` in the file's quoting style; undefined to leave `info` as it is. */
  info?: YamlValue;
  /** Which module to write: the full one, or `!simple` updated within its params. */
  variant?: PostgresVariant;
  /** The module ref to write: the one there, or the full module's for `--convert` or a new module. */
  ref?: string;
  /**
   * A fresh, empty data volume (a new module, or a major upgrade): only then are `data-volume`
   * and PGDATA written. An existing module's data location is never touched otherwise.
   */
  freshVolume?: { id: string; scope?: string };
}

/** What the args of an existing module say, read from its plain JS value. */
export interface ExistingArgs {
  image?: string;
  env: EnvEntry[];
  dataVolume?: Record<string, unknown>;
  restart?: Record<string, unknown>;
  cmd?: unknown;
  scripts?: unknown;
  serviceId?: string;
}

export function readExistingArgs(args: unknown): ExistingArgs {
  const a = (args && typeof args === 'object' ? args : {}) as Record<string, unknown>;
  const env = Array.isArray(a['env'])
    ? (a['env'] as unknown[])
        .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
        .map((e) => ({
          name: String(e['name']),
          value: e['value'] === undefined || e['value'] === null ? '' : String(e['value']),
        }))
    : [];
  const obj = (v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  return {
    image: typeof a['image'] === 'string' ? a['image'] : undefined,
    env,
    dataVolume: obj(a['data-volume']),
    restart: obj(a['restart']),
    cmd: a['cmd'],
    scripts: a['scripts'],
    serviceId: typeof a['service-id'] === 'string' ? a['service-id'] : undefined,
  };
}

export function envValue(existing: ExistingArgs | null, name: string): string | undefined {
  return existing?.env.find((e) => e.name === name)?.value;
}

/** `-c name=value` settings and other words of a `cmd`, given as a string or a list. */
export function parseCmd(cmd: unknown): { words: string[]; settings: Record<string, string> } {
  const tokens =
    typeof cmd === 'string'
      ? cmd.split(/\s+/).filter(Boolean)
      : Array.isArray(cmd)
        ? cmd.map(String)
        : [];
  const words: string[] = [];
  const settings: Record<string, string> = {};
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const pair =
      t === '-c' ? tokens[i + 1] : t.startsWith('--') && t.includes('=') ? t.slice(2) : undefined;
    if (pair !== undefined && /^[A-Za-z_.]+=/.test(pair)) {
      const eq = pair.indexOf('=');
      settings[pair.slice(0, eq)] = pair.slice(eq + 1);
      if (t === '-c') i++;
    } else {
      words.push(t);
    }
  }
  return { words, settings };
}

function buildCmd(existing: ExistingArgs | null, tuning: Record<string, string>): string[] {
  const { words, settings } = parseCmd(existing?.cmd);
  const merged = { ...settings, ...tuning };
  const cmd = words.length ? words : ['postgres'];
  for (const [k, v] of Object.entries(merged)) cmd.push('-c', `${k}=${v}`);
  return cmd;
}

const FILE_VARIANTS = [
  'POSTGRES_DB_FILE',
  'POSTGRES_USER_FILE',
  'POSTGRES_PASSWORD_FILE',
  'POSTGRES_INITDB_ARGS_FILE',
];

const REF = /^\s*(pt\.(value|secret)\s|#pt-|pt\.(clj|js|param|input)\s)/;

/** True for `pt.value x`, `pt.secret x` and other Polytope references: values kept as written. */
export function isReference(value: string): boolean {
  return REF.test(value);
}

export function desiredEnv(
  s: ModuleSettings,
  existing: ExistingArgs | null,
): { items: EnvEntry[]; remove: string[] } {
  const k = valueKeys(s.id);
  // A reference the module already has (to keys the user set) is kept; literals become keys.
  const keepRef = (name: string) => {
    const v = envValue(existing, name);
    return v !== undefined && isReference(v);
  };
  const items: EnvEntry[] = [];
  const ref = (name: string, value: string) => {
    if (!keepRef(name)) items.push({ name, value });
  };
  ref('POSTGRES_DB', `pt.value ${k.values.database}`);
  ref('POSTGRES_USER', `pt.secret ${k.secrets.username}`);
  if (s.auth !== 'trust') ref('POSTGRES_PASSWORD', `pt.secret ${k.secrets.password}`);
  items.push({ name: 'POSTGRES_HOST_AUTH_METHOD', value: s.auth });
  if (s.freshVolume) items.push({ name: 'PGDATA', value: PGDATA });
  if (s.initdbArgs !== undefined) items.push({ name: 'POSTGRES_INITDB_ARGS', value: s.initdbArgs });
  if (s.walDir !== undefined) items.push({ name: 'POSTGRES_INITDB_WALDIR', value: s.walDir });
  items.push(...s.extraEnv);
  // The image's entrypoint refuses X together with X_FILE, so the _FILE forms of what is set go.
  const remove = FILE_VARIANTS.filter((f) => items.some((i) => `${i.name}_FILE` === f));
  if (s.auth === 'trust') remove.push('POSTGRES_PASSWORD');
  return { items, remove };
}

/** The args to reconcile with `existing` (null for a new module: every field is then defined). */
export function desiredArgs(s: ModuleSettings, existing: ExistingArgs | null): WantMap {
  const want: WantMap = {};
  if (s.image !== undefined || !existing) want['image'] = s.image ?? DEFAULT_IMAGE;

  if (s.freshVolume) {
    const volume: WantMap = {
      id: s.freshVolume.id,
      type: 'volume',
      scope: s.freshVolume.scope ?? 'project',
    };
    for (const key of Object.keys(existing?.dataVolume ?? {}))
      if (!['id', 'type', 'scope'].includes(key)) volume[key] = REMOVE;
    want['data-volume'] = volume;
  }

  if (s.variant !== 'simple') {
    const env = desiredEnv(s, existing);
    const envWant: MergeBy = {
      kind: 'merge-by',
      key: 'name',
      items: env.items.map((e) => ({ name: e.name, value: e.value })),
      remove: env.remove,
    };
    want['env'] = envWant;
  }

  const restart: WantMap = {};
  if (s.restart !== undefined || typeof existing?.restart?.['policy'] !== 'string')
    restart['policy'] = s.restart ?? 'on-failure';
  if (s.maxRestarts !== undefined) restart['max-restarts'] = s.maxRestarts;
  want['restart'] = restart;

  if (s.variant !== 'simple') {
    if (s.serviceId !== undefined || !existing?.serviceId)
      want['service-id'] = s.serviceId ?? existing?.serviceId ?? defaultServiceId(s.id);
    if (Object.keys(s.tuning).length > 0) want['cmd'] = buildCmd(existing, s.tuning);
  }
  want['scripts'] = [{ type: 'host', path: s.bundlePath }];
  return want;
}

export function desiredModule(
  s: ModuleSettings,
  existing: ExistingArgs | null,
  hasInfo: boolean,
): WantMap {
  const want: WantMap = { id: s.id };
  if (!hasInfo) want['info'] = s.info ?? moduleInfo();
  // Always named, so that keys added after it (args) land after it.
  want['module'] = s.ref ?? POSTGRES_MODULE;
  want['args'] = desiredArgs(s, existing);
  return want;
}
