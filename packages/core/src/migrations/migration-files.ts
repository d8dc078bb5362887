/**
 * The files of a database's migrations and seeds, beside its init scripts: dbmate's
 * `migrations/<version>_<name>.sql` (version: a UTC timestamp, YYYYMMDDHHMMSS) with `-- migrate:up`
 * and `-- migrate:down` sections, and `seeds/NNN-<name>.sql`, run in byte order. Pure: callers read
 * the folders (through the Nx Tree or the file system) and pass the names.
 */
import { fail } from '../utils/errors';

export const MIGRATIONS_DIR = 'migrations';
export const SEEDS_DIR = 'seeds';

const NAME = /^[a-z0-9][a-z0-9_-]{0,79}$/;
export const NAME_RULE =
  "1 to 80 characters from a-z, 0-9, '_' and '-', starting with a letter or digit";
const MIGRATION = /^(\d+)_(.+)\.sql$/;
const SEED = /^(\d+)-(.+)\.sql$/;

export function checkName(kind: 'migration' | 'seed', name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name))
    fail(`Invalid ${kind} name '${String(name ?? '')}': use ${NAME_RULE}.`);
  return name;
}

export interface MigrationFile {
  /** dbmate's version: the leading digits. */
  version: string;
  file: string;
}

/** The migration files among `names`, in dbmate's order (by version, as a number). */
export function migrationFiles(names: string[]): MigrationFile[] {
  return names
    .map((file) => ({ file, m: MIGRATION.exec(file) }))
    .filter((e): e is { file: string; m: RegExpExecArray } => e.m !== null)
    .map(({ file, m }) => ({ version: m[1], file }))
    .sort((a, b) => compareVersions(a.version, b.version) || a.file.localeCompare(b.file));
}

export function compareVersions(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** 2026-12-01T18:30:05.123Z → 20261201183005. */
export function versionOf(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, '');
}

function dateOf(version: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(version);
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * The file name of a new migration: the current UTC second, or one second past the newest existing
 * version when that is not later, so two made in one second (or after a clock step back) still get
 * distinct names in the order they were made.
 */
export function newMigrationName(existing: string[], name: string, now = new Date()): string {
  checkName('migration', name);
  const files = migrationFiles(existing);
  const clash = files.find((f) => f.file.slice(f.version.length + 1) === `${name}.sql`);
  if (clash)
    fail(`A migration named '${name}' exists already (${clash.file}); choose another name.`);
  let version = versionOf(now);
  const newest = files[files.length - 1]?.version;
  if (newest && compareVersions(version, newest) <= 0) {
    const d = dateOf(newest);
    version = d ? versionOf(new Date(d.getTime() + 1000)) : (BigInt(newest) + 1n).toString();
  }
  return `${version}_${name}.sql`;
}

/**
 * Whether a migration's `-- migrate:up` section holds no statement, only comments and blank lines
 * (the generator's template, untouched). dbmate would record it as applied, and the SQL written
 * into it later would never run.
 */
export function hasEmptyUpSection(text: string): boolean {
  const up = /^--\s*migrate:up\b.*$/m.exec(text);
  if (!up) return false; // not dbmate's format: dbmate itself says what is wrong
  const rest = text.slice(up.index + up[0].length);
  const down = /^--\s*migrate:down\b/m.exec(rest);
  const body = (down ? rest.slice(0, down.index) : rest)
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/--.*$/gm, '');
  return body.trim() === '';
}

/**
 * What stops every migration of a folder from being applied to an empty database, as db-reset
 * does after it has replaced one: checked first, so a refusal changes nothing. `read` gives a
 * file's text (and throws when it cannot). One sentence, or undefined.
 */
export function migrationSetProblem(
  names: string[],
  read: (file: string) => string,
  shownDir: string,
): string | undefined {
  const shown = (f: string) => `${shownDir}/${f}`;
  const odd = names.filter((n) => n.endsWith('.sql') && !MIGRATION.test(n)).sort();
  if (odd.length)
    return `${odd.map(shown).join(', ')} ${odd.length === 1 ? 'is' : 'are'} not named <version>_<name>.sql, so db-migrate does not list ${odd.length === 1 ? 'it' : 'them'} while dbmate may run ${odd.length === 1 ? 'it' : 'them'}: rename ${odd.length === 1 ? 'it' : 'them'} as g migration names files (version, '_', name) or move ${odd.length === 1 ? 'it' : 'them'} out of ${shownDir}.`;
  const files = migrationFiles(names);
  for (let i = 1; i < files.length; i++)
    if (compareVersions(files[i - 1].version, files[i].version) === 0)
      return `${shown(files[i - 1].file)} and ${shown(files[i].file)} have the same version ${files[i].version}: dbmate records one version once, so one of them would not run. Give one the next free version (rename it).`;
  const empty: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = read(f.file);
    } catch (e) {
      return `Cannot read migration ${shown(f.file)} (${(e as Error).message}).`;
    }
    if (!/^--\s*migrate:up\b/m.test(text))
      return `${shown(f.file)} has no -- migrate:up line, which dbmate needs: put one above its SQL (and -- migrate:down above the undo).`;
    if (!/^--\s*migrate:down\b/m.test(text))
      return `${shown(f.file)} has no -- migrate:down line, which dbmate needs: put one after the change, above its undo (it may stay empty).`;
    if (hasEmptyUpSection(text)) empty.push(shown(f.file));
  }
  if (empty.length)
    return `${empty.join(', ')} ${empty.length === 1 ? 'has' : 'have'} nothing but comments in -- migrate:up: applied, ${empty.length === 1 ? 'it' : 'they'} would be recorded as done, and SQL written there later would never run. Write the change, or delete the file.`;
  return undefined;
}

export function migrationTemplate(name: string): string {
  return `-- migrate:up
-- ${name}: write the change here. It runs in one transaction; a failure leaves the database as it was.


-- migrate:down
-- Undo the change above (db-migrate --rollback runs this).

`;
}

/** The seed files among `names`, in run order (byte order of their numbered names). */
export function seedFiles(names: string[]): string[] {
  return names.filter((n) => SEED.test(n)).sort();
}

/** The next seed's file name, numbered one past the highest. */
export function newSeedName(existing: string[], name: string): string {
  checkName('seed', name);
  const seeds = seedFiles(existing);
  const clash = seeds.find((f) => f.replace(/^\d+-/, '') === `${name}.sql`);
  if (clash) fail(`A seed named '${name}' exists already (${clash}); choose another name.`);
  const numbers = seeds.map((f) => SEED.exec(f)![1]);
  const width = Math.max(3, ...numbers.map((n) => n.length));
  const next = Math.max(0, ...numbers.map(Number)) + 1;
  if (String(next).length > width) fail(`The seeds folder has run out of ${width}-digit numbers.`);
  return `${String(next).padStart(width, '0')}-${name}.sql`;
}

export function seedTemplate(name: string): string {
  return `-- ${name}: rows for development and tests. db-seed runs every seed in order, in one transaction.
-- Seeds run after the migrations; keep them re-runnable (INSERT ... ON CONFLICT DO NOTHING).

`;
}
