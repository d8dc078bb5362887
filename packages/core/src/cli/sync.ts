/**
 * `acme-pg sync`: what `nx sync` does for @acme/pg where there is no Nx: each database's init
 * bundle is rebuilt from its folder of .sql scripts. `--check` (as `nx sync:check`, for CI) writes
 * nothing and fails while a bundle is stale.
 */
import { posix } from 'node:path';
import { parseArgs } from 'node:util';
import { initBundleSyncGenerator } from '../generators/init-bundle-sync/init-bundle-sync';
import { MARKER_FILE } from '../workspace/marker-file';
import { PgPluginError } from '../utils/errors';
import { FileTree, FlushError } from './file-tree';
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
  const root = findWorkspaceRoot(cwd);
  const tree = new FileTree(root);
  // A check that skips a database it cannot read would pass in CI while a bundle is stale.
  const markers = readMarkers(tree);
  const problem =
    markers.problem ??
    (markers.databases === 0
      ? `no PostgreSQL module here: no ${MARKER_FILE} of kind database under ${root}, so nothing to rebuild or check.`
      : undefined);
  if (problem) {
    process.stderr.write(`acme-pg sync: ${problem}\n`);
    return 1;
  }
  try {
    return await rebuild(tree, values.check === true, dryRun === true);
  } catch (e) {
    if (!(e instanceof PgPluginError || e instanceof FlushError)) throw e;
    process.stderr.write(`acme-pg sync: ${e.message}\n`);
    return 1;
  }
}

async function rebuild(tree: FileTree, check: boolean, dryRun: boolean): Promise<number> {
  await initBundleSyncGenerator(tree);
  const changes = tree.listChanges();
  const stale = changes.map((c) => c.path);
  if (stale.length === 0) {
    process.stdout.write('Every init bundle matches its scripts.\n');
    return 0;
  }
  if (check) {
    process.stderr.write(
      `acme-pg sync: ${stale.join(', ')} ${stale.length === 1 ? 'does' : 'do'} not match ${stale.length === 1 ? 'its' : 'their'} .sql scripts: run acme-pg sync to rebuild ${stale.length === 1 ? 'it' : 'them'}.\n`,
    );
    return 1;
  }
  if (!dryRun) tree.flush();
  for (const c of changes) process.stdout.write(`${c.type} ${c.path}\n`);
  if (dryRun) process.stdout.write('\nDry run: nothing was written.\n');
  return 0;
}

/**
 * One pass over the markers: the first that does not parse, or a database one that names no
 * module, and how many databases there are.
 */
function readMarkers(tree: FileTree): { problem?: string; databases: number } {
  let problem: string | undefined;
  let databases = 0;
  tree.host.visitNotIgnoredFiles('', (path) => {
    if (problem || posix.basename(path) !== MARKER_FILE) return;
    let marker: Record<string, unknown>;
    try {
      marker = JSON.parse(tree.read(path, 'utf-8') ?? '');
    } catch {
      problem = `${path} is not valid JSON; fix it (or run acme-pg g module again), then run acme-pg sync again. Nothing was written.`;
      return;
    }
    if (marker?.['kind'] !== 'database') return;
    if (typeof marker['module'] !== 'string' || typeof marker['polytopeFile'] !== 'string')
      problem = `${path} says kind database but names no module or polytopeFile; run acme-pg g module --id <its module> again. Nothing was written.`;
    else databases += 1;
  });
  return { problem, databases };
}
