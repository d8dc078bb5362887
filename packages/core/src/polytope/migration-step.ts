/**
 * The stack's migration step: a `polytope/container` module that runs dbmate's official image
 * against the database module when the stack starts. It runs beside the database, not `after:` it:
 * a `polytope/container` step completes only when its container exits, so `run-when: after` on a
 * server would wait forever (the Polytope docs say so); dbmate's `--wait` waits for the server.
 *
 * The container's shell builds DATABASE_URL from the module's values and secrets, user and database
 * percent-encoded byte by byte (any byte may be: '@', '/', '%', ':', spaces, Chinese). The URL names
 * no password: PGPASSWORD carries it, which dbmate's driver reads like libpq, as db-migrate does, so
 * no encoding slip, URL or dbmate message can show or garble it. The script has no braces, which
 * Polytope reads as `{pt.value …}` interpolation in strings.
 */
import { EnvEntry, isReference, MODULE_SERVICE_ID, valueKeys } from './postgres-module';
import { YamlValue } from './yaml-render';

export const CONTAINER_MODULE = 'polytope/container';
/** The npm dbmate that db-migrate runs: the image must be the same release. */
export const DBMATE_VERSION = '2.36.0';
export const DBMATE_IMAGE = `ghcr.io/amacneil/dbmate:${DBMATE_VERSION}`;
/** dbmate's default folder (`./db/migrations` from the image's working directory, `/`). */
export const MIGRATIONS_MOUNT = '/db/migrations';
/** Long enough for a first start that runs big init scripts; the server takes TCP only after them. */
export const WAIT_TIMEOUT = '5m';

export function migrationStepId(moduleId: string): string {
  return `${moduleId}-migrate`;
}

/** True for a module (plain JS) that is the step this file writes: dbmate's image in a container. */
export function isMigrationStep(args: unknown): boolean {
  const image = (args as { image?: unknown } | undefined)?.image;
  return typeof image === 'string' && image.startsWith('ghcr.io/amacneil/dbmate');
}

/**
 * The shell script, one line. dbmate exits 2 on a folder without migrations; a stack started before
 * the first one is made must not fail, so that case says so and exits 0.
 */
export function migrationScript(): string {
  const dir = MIGRATIONS_MOUNT;
  return [
    'set -eu',
    `set -- ${dir}/*.sql`,
    `if [ ! -e "$1" ]; then echo "No migrations in ${dir} yet: nothing to apply."; exit 0; fi`,
    `e() ( printf %s "$1" | od -An -tx1 -v | tr -d ' \\n' | sed 's/../%&/g' )`,
    'DATABASE_URL="postgres://$(e "$PGUSER")@$PGHOST:$PGPORT/$(e "$PGDATABASE")?sslmode=disable"',
    'export DATABASE_URL',
    `exec dbmate --wait --wait-timeout ${WAIT_TIMEOUT} --migrations-dir ${dir} --no-dump-schema up`,
  ].join('; ');
}

export interface StepInput {
  moduleId: string;
  /** The database module's env, after its edit: its references are reused as they are. */
  moduleEnv: EnvEntry[];
  variant: 'full' | 'simple';
  /** Whether the module has a password (not trust). */
  password: boolean;
  /** The migrations folder as the file that holds the step names it. */
  mountSource: string;
  info: YamlValue;
}

/** The env of the step: the same references the database module uses, never a literal secret. */
export function stepEnv(s: StepInput): EnvEntry[] {
  if (s.variant === 'simple') {
    // polytope/postgres!simple: trust, user and database postgres, at service `postgres`.
    return [
      { name: 'PGHOST', value: MODULE_SERVICE_ID },
      { name: 'PGPORT', value: '5432' },
      { name: 'PGDATABASE', value: 'postgres' },
      { name: 'PGUSER', value: 'postgres' },
    ];
  }
  const k = valueKeys(s.moduleId);
  const same = (name: string, fallback: string) => {
    const v = s.moduleEnv.find((e) => e.name === name)?.value;
    return v !== undefined && isReference(v) ? v : fallback;
  };
  const env: EnvEntry[] = [
    { name: 'PGHOST', value: `pt.value ${k.values.host}` },
    { name: 'PGPORT', value: `pt.value ${k.values.port}` },
    { name: 'PGDATABASE', value: same('POSTGRES_DB', `pt.value ${k.values.database}`) },
    { name: 'PGUSER', value: same('POSTGRES_USER', `pt.secret ${k.secrets.username}`) },
  ];
  if (s.password)
    env.push({
      name: 'PGPASSWORD',
      value: same('POSTGRES_PASSWORD', `pt.secret ${k.secrets.password}`),
    });
  return env;
}

/** The container's args, in the declared params of polytope/container. */
export function stepArgs(s: StepInput): Record<string, YamlValue> {
  return {
    image: DBMATE_IMAGE,
    entrypoint: ['/bin/sh', '-c'],
    cmd: [migrationScript()],
    mounts: [{ path: MIGRATIONS_MOUNT, source: { type: 'host', path: s.mountSource } }],
    env: stepEnv(s).map((e) => ({ name: e.name, value: e.value })),
    // A failed migration is rolled back by dbmate and reported once; restarting would only repeat it.
    restart: { policy: 'never' },
  };
}

export function stepInfo(moduleId: string): string {
  return `Applies the migrations of database module ${moduleId} when the stack starts (dbmate)`;
}
