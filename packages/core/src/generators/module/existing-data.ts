/**
 * What an existing module already has and must keep: where its data lives (volume, data path,
 * PGDATA, the PostgreSQL major) and the literal values its data was created with.
 */
import { envValue, isReference, MODULE_DEFAULT_IMAGE } from '../../polytope/postgres-module';
import { imageMajor } from '../../polytope/image';
import { FoundModule } from '../../polytope/upsert-module';
import { fail } from '../../utils/errors';
import { ModuleGeneratorSchema } from './schema';
import { generatorCommand, targetCommand } from '../../utils/commands';

export interface KeptDefaults {
  database?: string;
  username?: string;
  /** The container files the module read them from (`POSTGRES_USER_FILE`, …): their content is not ours to know. */
  usernameFile?: string;
  databaseFile?: string;
}

function isPersistent(volume: Record<string, unknown> | undefined): boolean {
  if (!volume) return false;
  return (
    volume['type'] !== 'volume' || (volume['scope'] !== undefined && volume['scope'] !== 'job')
  );
}

/**
 * Where the data lives. An existing module keeps its data-volume, data-path and PGDATA; only a new
 * module, a major upgrade (onto a new, empty volume), or one without any persistent volume gets one.
 */
export function dataLocation(
  schema: ModuleGeneratorSchema,
  found: FoundModule | undefined,
  id: string,
  image: string | undefined,
  warnings: string[],
  notes: string[],
  project = id,
): { id: string; scope?: string } | undefined {
  if (!found) return { id: schema.volumeId ?? `${id}-data` };
  const volume = found.existing.dataVolume;
  const volumeId = typeof volume?.['id'] === 'string' ? volume['id'] : undefined;
  const current = found.existing.image ?? MODULE_DEFAULT_IMAGE[found.variant];
  if (image !== undefined && image !== current) {
    const [from, to] = [imageMajor(current), imageMajor(image)];
    if (from === null || to === null || from !== to) {
      const what =
        from !== null && to !== null
          ? `from PostgreSQL ${from} to ${to}`
          : `from ${current} to ${image}, and the major version of ${from === null ? current : image} is not in its tag`;
      const newVolume = schema.volumeId ?? `${volumeId ?? `${id}-data`}-pg${to ?? 'new'}`;
      if (!schema.allowMajorUpgrade)
        fail(
          `--image would move module '${id}' ${what}: a data volume written by one major version cannot be read by another. ` +
            `The way through: ${targetCommand(project, 'db-backup')} (while the old server runs), then ${generatorCommand('module')} --id ${id} --image ${image} --allowMajorUpgrade (a new volume, ${newVolume}; the old one stays as it is), pt run, then ${targetCommand(project, 'db-restore')}. Nothing was changed.`,
        );
      if (volumeId !== undefined && newVolume === volumeId)
        fail(
          `--volumeId ${newVolume} is the volume module '${id}' uses now; a major upgrade needs a new, empty one. Give another --volumeId.`,
        );
      // The new volume is shared as the old one was (a `global` volume stays global).
      const scope =
        volume?.['type'] === 'volume' && isPersistent(volume) ? String(volume['scope']) : 'project';
      notes.push(
        `Major upgrade: module '${id}' now uses the new volume ${newVolume} (scope ${scope}${volume?.['type'] === 'volume' || !volume ? '' : `; the old data-volume was of type ${String(volume['type'])}, the new one is a volume`}); ${volumeId ? `the old volume ${volumeId} stays as it was` : 'the old data location stays as it was'}. Start the stack, then restore your backup: ${targetCommand(project, 'db-restore')}.`,
      );
      return { id: newVolume, scope };
    }
  }
  // A volume that is not persistent holds nothing that outlives a run: it may become one.
  if (schema.volumeId !== undefined && (schema.volumeId !== volumeId || !isPersistent(volume))) {
    if (isPersistent(volume))
      fail(
        `--volumeId ${schema.volumeId} would move module '${id}' off its data (${JSON.stringify(volume)}); the new volume would start empty. To move the data: ${targetCommand(project, 'db-backup')}, change the volume by hand, pt run, ${targetCommand(project, 'db-restore')}. Nothing was changed.`,
      );
    warnings.push(
      `Module '${id}' had no persistent data volume, so its data did not outlive a run; it now uses volume ${schema.volumeId}, which starts empty.`,
    );
    return { id: schema.volumeId };
  }
  if (!isPersistent(volume))
    warnings.push(
      `Module '${id}' has no persistent data volume (${volume ? 'its scope is not project' : 'none at all'}): its data is lost when the job ends. Add one with --volumeId <id> (it starts empty).`,
    );
  return undefined;
}

/** Settings the module read from a file (`POSTGRES_USER_FILE`, …): the file's path, never a default. */
export interface FromFiles {
  database?: string;
  username?: string;
  password?: string;
}

/** The literal database, user and password of an existing module, which become db-values' defaults. */
export function keptValues(
  found: FoundModule | undefined,
  variant: 'full' | 'simple',
  warnings: string[],
  id: string,
): { defaults: KeptDefaults; oldPassword?: string; fromFiles: FromFiles } {
  if (!found) return { defaults: {}, fromFiles: {} };
  if (found.variant === 'simple')
    return { defaults: { database: 'postgres', username: 'postgres' }, fromFiles: {} };
  const literal = (name: string) => {
    const v = envValue(found.existing, name);
    return v !== undefined && v !== '' && !isReference(v) ? v : undefined;
  };
  const ref = (name: string) => {
    const v = envValue(found.existing, name);
    return v !== undefined && isReference(v);
  };
  for (const name of ['POSTGRES_USER_FILE', 'POSTGRES_PASSWORD_FILE', 'POSTGRES_DB_FILE'])
    if (envValue(found.existing, name) !== undefined && !ref(name.replace(/_FILE$/, '')))
      warnings.push(
        `Module '${id}' read ${name.replace(/_FILE$/, '')} from a file (${name}); it now comes from a Polytope key: set that key to the file's content, which the existing data was created with.`,
      );
  // The image reads NAME_FILE only when NAME is not set; its content is not ours to know.
  const file = (name: string) =>
    envValue(found.existing, name) === undefined ? literal(`${name}_FILE`) : undefined;
  const fromFiles: FromFiles = {};
  const userFile = file('POSTGRES_USER');
  const dbFile =
    file('POSTGRES_DB') ??
    (envValue(found.existing, 'POSTGRES_DB') === undefined ? userFile : undefined);
  const passwordFile = file('POSTGRES_PASSWORD');
  if (userFile !== undefined) fromFiles.username = userFile;
  const files: KeptDefaults = {
    ...(userFile !== undefined ? { usernameFile: userFile } : {}),
    ...(dbFile !== undefined ? { databaseFile: dbFile } : {}),
  };
  if (dbFile !== undefined) fromFiles.database = dbFile;
  if (passwordFile !== undefined) fromFiles.password = passwordFile;
  const username =
    ref('POSTGRES_USER') || userFile !== undefined
      ? undefined
      : (literal('POSTGRES_USER') ?? 'postgres');
  const database =
    ref('POSTGRES_DB') || dbFile !== undefined
      ? undefined
      : (literal('POSTGRES_DB') ?? literal('POSTGRES_USER') ?? 'postgres');
  const oldPassword = variant === 'full' ? literal('POSTGRES_PASSWORD') : undefined;
  if (oldPassword !== undefined)
    warnings.push(
      `Module '${id}' had its password in plain text; it is now the secret ${id}-password, and db-values sets it to the old value (the data was created with it). That password is still in git history: change it with ${targetCommand(id, 'db-values', `--rotatePassword`)}.`,
    );
  const defaults: KeptDefaults = { ...files };
  if (database !== undefined) defaults.database = database;
  if (username !== undefined) defaults.username = username;
  return { defaults, oldPassword, fromFiles };
}
