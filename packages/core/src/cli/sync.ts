/**
 * `acme-pg sync`: what `nx sync` does for @acme/pg where there is no Nx: each database's init
 * bundle is rebuilt from its folder of .sql scripts. `--check` (as `nx sync:check`, for CI) writes
 * nothing and fails while a bundle is stale.
 */
import { parseArgs } from 'node:util';
import { initBundleSyncGenerator } from '../generators/init-bundle-sync/init-bundle-sync';
import { FileTree } from './file-tree';
import { findWorkspaceRoot } from './marker-projects';

const USAGE = `Usage: acme-pg sync [--check] [--dry-run]

Rebuild each PostgreSQL module's init bundle (sql/<id>/_init-bundle.sql) from its .sql scripts,
as nx sync does in an Nx workspace. Run it after editing or adding a script by hand.

Options:
  --check      Write nothing; exit 1 while a bundle does not match its scripts (for CI).
  --dry-run    List what would be rebuilt; write nothing.
  --help       This text.
`;

const parse = (args: string[]) =>
  parseArgs({
    args,
    options: {
      check: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      dryRun: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;

export async function sync(argv: string[], cwd: string): Promise<number> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (e) {
    process.stderr.write(`acme-pg sync: ${(e as Error).message} See acme-pg sync --help.\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dryRun = values['dry-run'] || values.dryRun;
  const tree = new FileTree(findWorkspaceRoot(cwd));
  await initBundleSyncGenerator(tree);
  const stale = tree.listChanges().map((c) => c.path);
  if (stale.length === 0) {
    process.stdout.write('Every init bundle matches its scripts.\n');
    return 0;
  }
  if (values.check) {
    process.stderr.write(
      `acme-pg sync: ${stale.join(', ')} ${stale.length === 1 ? 'does' : 'do'} not match ${stale.length === 1 ? 'its' : 'their'} .sql scripts: run acme-pg sync to rebuild ${stale.length === 1 ? 'it' : 'them'}.\n`,
    );
    return 1;
  }
  if (!dryRun) tree.flush();
  for (const path of stale) process.stdout.write(`UPDATE ${path}\n`);
  if (dryRun) process.stdout.write('\nDry run: nothing was written.\n');
  return 0;
}
