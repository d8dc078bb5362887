import { parseCommandArgs, UsageError, CommandSchema } from './schema-options';
import backupSchema from '../commands/db-backup/schema.json';
import psqlSchema from '../commands/db-psql/schema.json';
import moduleSchema from '../generators/module/schema.json';

const backup = backupSchema as unknown as CommandSchema;
const psql = psqlSchema as unknown as CommandSchema;
const moduleGen = moduleSchema as unknown as CommandSchema;

function usage(schema: CommandSchema, argv: string[]): string {
  try {
    parseCommandArgs(schema, argv);
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

describe('options from schema.json', () => {
  it('applies the schema defaults, as Nx does', () => {
    expect(parseCommandArgs(backup, [])).toMatchObject({ format: 'plain' });
  });

  it('takes --camelCase, --kebab-case, --name=value and numbers', () => {
    expect(
      parseCommandArgs(backup, [
        '--outputDir',
        'b k',
        '--schema-only',
        '--keep=3',
        '--port',
        '6543',
      ]),
    ).toMatchObject({ outputDir: 'b k', schemaOnly: true, keep: 3, port: 6543 });
  });

  it('keeps values with = and unicode as they are', () => {
    expect(parseCommandArgs(backup, ['--database', 'a=b 日本'])).toMatchObject({
      database: 'a=b 日本',
    });
  });

  it('gives what follows -- to the unparsed option, untouched', () => {
    expect(parseCommandArgs(psql, ['--database', 'x', '--', '-c', 'select 1', '--help'])).toEqual({
      timeout: 5,
      database: 'x',
      args: ['-c', 'select 1', '--help'],
    });
    expect(usage(backup, ['--', '-c'])).toBe(
      "This command takes no arguments after --; '-c' is one.",
    );
  });

  it('takes a generator name by position, once', () => {
    expect(parseCommandArgs(moduleGen, ['analytics'])).toMatchObject({ id: 'analytics' });
    expect(usage(moduleGen, ['a', '--id', 'b'])).toBe(
      '<id> is given twice: by position and as --id.',
    );
    expect(usage(moduleGen, ['a', 'b'])).toBe(
      "Unexpected argument 'b': only <id> is given by position.",
    );
  });

  it('turns a switch off as Nx does: --no-<name>, --<name>=false', () => {
    expect(parseCommandArgs(moduleGen, ['--no-migrations'])).toMatchObject({ migrations: false });
    expect(parseCommandArgs(moduleGen, ['--migrations=false'])).toMatchObject({
      migrations: false,
    });
    expect(parseCommandArgs(moduleGen, ['--migrations=true'])).toMatchObject({ migrations: true });
    expect(parseCommandArgs(backup, ['--no-compress'])).toMatchObject({ compress: false });
    // A switch whose own name starts with no- keeps it: --no-backup is noBackup.
    const migrate = { properties: { noBackup: { type: 'boolean' } } } as unknown as CommandSchema;
    expect(parseCommandArgs(migrate, ['--no-backup'])).toEqual({ noBackup: true });
    expect(usage(moduleGen, ['--migrations', '--no-migrations'])).toBe(
      '--migrations and --no-migrations contradict each other; give one.',
    );
  });

  it('refuses what it cannot use, with one line that says how', () => {
    expect(usage(backup, ['--formt', 'custom'])).toBe(
      'Unknown option --formt. Did you mean --format?',
    );
    expect(usage(backup, ['--format', 'zip'])).toBe(
      "--format is one of plain, custom, directory; 'zip' is not.",
    );
    expect(usage(backup, ['--keep', 'three'])).toBe("--keep takes a number; 'three' is not one.");
    expect(usage(backup, ['--keep'])).toBe('--keep needs a value.');
    expect(usage(backup, ['--compress=yes'])).toBe(
      '--compress is a switch: give it without a value.',
    );
    expect(usage(backup, ['latest'])).toMatch(/^Unexpected argument 'latest'/);
    expect(usage(psql, ['select 1'])).toBe(
      "Unexpected argument 'select 1': options are written --name value; what is for psql goes after --.",
    );
  });
});
