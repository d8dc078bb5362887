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
/** What dbmate 2.36 takes for a migration: leading digits, anything, `.sql`. */
const DBMATE_MIGRATION = /^(\d+).*\.sql$/;
const SEED = /^(\d+)-(.+)\.sql$/;
/** A file a user may have meant to run: named `.sql` in any case, not hidden. */
const SQL_LIKE = /^[^.].*\.sql$/i;

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

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The migration files among `names`, in dbmate's order: by file name, byte by byte. */
export function migrationFiles(names: string[]): MigrationFile[] {
  return names
    .map((file) => ({ file, m: MIGRATION.exec(file) }))
    .filter((e): e is { file: string; m: RegExpExecArray } => e.m !== null)
    .map(({ file, m }) => ({ version: m[1], file }))
    .sort((a, b) => byName(a.file, b.file));
}

export interface MigrationFolder {
  files: MigrationFile[];
  /** Files sharing one version: dbmate records a version once, so one of them never runs. */
  duplicates: string[][];
  /** Named so that dbmate runs them (`20261201.sql`, `1-x.sql`), but not `<version>_<name>.sql`. */
  dbmateOnly: string[];
  /** `.sql` files that neither we nor dbmate take for a migration (`add_orders.sql`). */
  ignored: string[];
}

/** What a migrations folder holds, by the names in it. */
export function migrationFolder(names: string[]): MigrationFolder {
  const files = migrationFiles(names);
  const byVersion = new Map<string, string[]>();
  for (const f of files) byVersion.set(f.version, [...(byVersion.get(f.version) ?? []), f.file]);
  const others = names.filter((n) => !MIGRATION.test(n)).sort(byName);
  return {
    files,
    duplicates: [...byVersion.values()].filter((v) => v.length > 1),
    dbmateOnly: others.filter((n) => DBMATE_MIGRATION.test(n)),
    ignored: others.filter((n) => !DBMATE_MIGRATION.test(n) && SQL_LIKE.test(n)),
  };
}

const UP = /^--\s*migrate:up(\s*$|\s+\S+)/m;
const DOWN = /^--\s*migrate:down(\s*$|\s+\S+)$/m;

/**
 * Why dbmate would refuse the file (its parser's rules), as the end of a sentence that starts with
 * the file's name; undefined when it reads it.
 */
export function migrationProblem(text: string): string | undefined {
  if (text.startsWith('\ufeff'))
    return 'starts with a UTF-8 byte order mark (BOM), which dbmate cannot read: save it as UTF-8 without a BOM';
  const up = UP.exec(text);
  const down = DOWN.exec(text);
  if (!up) return "has no '-- migrate:up' line: dbmate needs one before the change";
  if (!down)
    return "has no '-- migrate:down' line: dbmate needs one after the change (it may stay empty)";
  if (down.index < up.index)
    return "has '-- migrate:down' before '-- migrate:up': put the change first";
  const before = text
    .slice(0, up.index)
    .split('\n')
    .some((l) => l.trim() !== '' && !/^\s*--/.test(l));
  if (before)
    return "has a statement before '-- migrate:up', which dbmate refuses: move it into the section";
  return undefined;
}

/** The line of the file that is line `line` of its up or down section, as dbmate counts them. */
export function fileLine(text: string, section: 'up' | 'down', line: number): number {
  const m = (section === 'up' ? UP : DOWN).exec(text);
  if (!m) return line;
  return text.slice(0, m.index).split('\n').length + line - 1;
}

/** Whether a section runs outside a transaction (`-- migrate:up transaction:false`). */
export function withoutTransaction(text: string, section: 'up' | 'down'): boolean {
  const m = (section === 'up' ? UP : DOWN).exec(text);
  return !!m && /\btransaction:false\b/.test(text.slice(m.index).split('\n')[0]);
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
  const newest = files
    .map((f) => f.version)
    .reduce<string | undefined>((a, v) => (!a || compareVersions(v, a) > 0 ? v : a), undefined);
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

/** The seeds, and the `.sql` files that are not seeds by their names (never run). */
export function seedFolder(names: string[]): { seeds: string[]; ignored: string[] } {
  return {
    seeds: seedFiles(names),
    ignored: names.filter((n) => !SEED.test(n) && SQL_LIKE.test(n)).sort(byName),
  };
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
