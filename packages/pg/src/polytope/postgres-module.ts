/**
 * What a PostgreSQL wrapper module holds, per the blueprint: the args of `polytope/postgres`, the
 * value and secret keys it references, and how existing args are read back.
 */
import { YamlValue } from './yaml-render';
import { Ensure, MergeBy, REMOVE, WantMap } from './yaml-splice';

export const POSTGRES_MODULE = 'polytope/postgres';
export const DEFAULT_IMAGE = 'postgres:16.2';
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

export function roleSecretKey(id: string, role: string): string {
  return `${id}-${role.replace(/_/g, '-')}-password`;
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

export function desiredEnv(s: ModuleSettings): { items: EnvEntry[]; remove: string[] } {
  const k = valueKeys(s.id);
  const items: EnvEntry[] = [
    { name: 'POSTGRES_DB', value: `pt.value ${k.values.database}` },
    { name: 'POSTGRES_USER', value: `pt.secret ${k.secrets.username}` },
  ];
  if (s.auth !== 'trust')
    items.push({ name: 'POSTGRES_PASSWORD', value: `pt.secret ${k.secrets.password}` });
  items.push(
    { name: 'POSTGRES_HOST_AUTH_METHOD', value: s.auth },
    { name: 'PGDATA', value: PGDATA },
  );
  if (s.initdbArgs !== undefined) items.push({ name: 'POSTGRES_INITDB_ARGS', value: s.initdbArgs });
  if (s.walDir !== undefined) items.push({ name: 'POSTGRES_INITDB_WALDIR', value: s.walDir });
  items.push(...s.extraEnv);
  // The image's entrypoint refuses X together with X_FILE, so the _FILE forms go.
  const remove = [...FILE_VARIANTS, ...(s.auth === 'trust' ? ['POSTGRES_PASSWORD'] : [])];
  return { items, remove };
}

/** The args to reconcile with `existing` (null for a new module: every field is then defined). */
export function desiredArgs(s: ModuleSettings, existing: ExistingArgs | null): WantMap {
  const want: WantMap = {};
  if (s.image !== undefined || !existing?.image) want['image'] = s.image ?? DEFAULT_IMAGE;

  const dv = existing?.dataVolume;
  const volumeId =
    s.volumeId ??
    (dv?.['type'] === 'volume' && typeof dv['id'] === 'string' ? dv['id'] : `${s.id}-data`);
  const volume: WantMap = { id: volumeId, type: 'volume', scope: 'project' };
  for (const key of Object.keys(dv ?? {}))
    if (!['id', 'type', 'scope', 'create'].includes(key)) volume[key] = REMOVE;
  want['data-volume'] = volume;

  const env = desiredEnv(s);
  const envWant: MergeBy = {
    kind: 'merge-by',
    key: 'name',
    items: env.items.map((e) => ({ name: e.name, value: e.value })),
    remove: env.remove,
  };
  want['env'] = envWant;

  const restart: WantMap = {};
  if (s.restart !== undefined || typeof existing?.restart?.['policy'] !== 'string')
    restart['policy'] = s.restart ?? 'on-failure';
  if (s.maxRestarts !== undefined) restart['max-restarts'] = s.maxRestarts;
  want['restart'] = restart;

  if (s.serviceId !== undefined || !existing?.serviceId) want['service-id'] = s.serviceId ?? s.id;
  if (Object.keys(s.tuning).length > 0) want['cmd'] = buildCmd(existing, s.tuning);
  want['scripts'] = [{ type: 'host', path: s.bundlePath }];
  return want;
}

export function desiredModule(
  s: ModuleSettings,
  existing: ExistingArgs | null,
  hasInfo: boolean,
): WantMap {
  const want: WantMap = { id: s.id };
  if (!hasInfo) want['info'] = moduleInfo();
  want['module'] = POSTGRES_MODULE;
  want['args'] = desiredArgs(s, existing);
  return want;
}

export function ensureRun(id: string, format: 'modules' | 'tools'): Ensure {
  const item: YamlValue = format === 'tools' ? { tool: id } : id;
  return {
    kind: 'ensure',
    items: [item],
    same: (e) =>
      e === id ||
      (!!e &&
        typeof e === 'object' &&
        ((e as Record<string, unknown>)['module'] === id ||
          (e as Record<string, unknown>)['tool'] === id)),
  };
}
