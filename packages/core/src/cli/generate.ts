/**
 * `acme-pg g <generator>`: the generators on a plain folder, through FileTree. The changes are
 * listed as Nx lists them; with --dry-run nothing is written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkspaceTree } from '../tree/workspace-tree';
import { GeneratorEntry, generators } from './catalogue';
import { FileTree } from './file-tree';
import { commandHelp } from './help';
import { findWorkspaceRoot } from './marker-projects';
import { CommandSchema, parseCommandArgs, UsageError } from './schema-options';

function generatorsUsage(list: Record<string, GeneratorEntry>): string {
  const width = Math.max(...Object.keys(list).map((n) => n.length)) + 4;
  return [
    'Usage: acme-pg g <generator> [options] [--dry-run]',
    '',
    'Generators:',
    ...Object.entries(list).map(([n, g]) => `  ${n.padEnd(width)}${g.description}`),
    '',
  ].join('\n');
}

type Factory = (t: WorkspaceTree, o: Record<string, unknown>) => Promise<(() => unknown) | void>;

/**
 * Runs one of the package's generators on `tree` (nothing is written until the tree is flushed);
 * returns what is left to do after the write (an install), if anything.
 */
export async function applyGenerator(
  packageRoot: string,
  name: string,
  tree: WorkspaceTree,
  options: Record<string, unknown>,
): Promise<(() => unknown) | void> {
  const entry = generators(packageRoot)[name];
  if (!entry) throw new UsageError(`No generator '${name}' in @acme/pg-core.`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = require(join(packageRoot, entry.factory)).default as Factory;
  return factory(tree, options);
}

function listChanges(changes: { type: string; path: string }[], dryRun: boolean): void {
  for (const c of changes) process.stdout.write(`${c.type} ${c.path}\n`);
  if (dryRun)
    process.stdout.write(
      changes.length
        ? '\nDry run: nothing was written; without --dry-run the changes above would be made.\n'
        : '\nDry run: nothing would change.\n',
    );
}

/** Lists the changes as Nx does, writes them (all or nothing), then runs what was left to do. */
export async function finish(tree: FileTree, callback: (() => unknown) | void): Promise<void> {
  const changes = tree.listChanges();
  tree.flush();
  listChanges(changes, false);
  if (typeof callback === 'function') await callback();
}

export async function generate(packageRoot: string, argv: string[], cwd: string): Promise<number> {
  const list = generators(packageRoot);
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(generatorsUsage(list));
    return name ? 0 : 2;
  }
  const entry = list[name];
  if (!entry) {
    process.stderr.write(
      `acme-pg g: unknown generator '${name}'. The generators: ${Object.keys(list).join(', ')}.\n`,
    );
    return 2;
  }
  const schema: CommandSchema = JSON.parse(readFileSync(join(packageRoot, entry.schema), 'utf-8'));
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(
      commandHelp(`g ${name}`, entry.description, schema).replace(
        '[options]',
        '[options] [--dry-run]',
      ),
    );
    return 0;
  }
  const dryRun = args.some((a) => a === '--dry-run' || a === '--dryRun' || a === '-d');
  let options: Record<string, unknown>;
  try {
    options = parseCommandArgs(
      schema,
      args.filter((a) => a !== '--dry-run' && a !== '--dryRun' && a !== '-d'),
    );
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`acme-pg g ${name}: ${e.message} See acme-pg g ${name} --help.\n`);
    return 2;
  }
  const root = findWorkspaceRoot(cwd);
  const tree = new FileTree(root);
  // The generators word their messages "would add" under a dry run: Nx tells them so this way.
  const dryBefore = process.env['NX_DRY_RUN'];
  if (dryRun) process.env['NX_DRY_RUN'] = 'true';
  const said = holdConsole();
  try {
    const callback = await applyGenerator(packageRoot, name, tree, options);
    // Listed before the write: afterwards the disk has them, and they would read as no change.
    const changes = tree.listChanges();
    if (!dryRun) tree.flush();
    said.release();
    listChanges(changes, dryRun);
    if (tree.host.nx() === 'without-plugin')
      process.stdout.write(
        '\nnx.json is here, but @acme/pg is not installed: no Nx target was written. For db-* targets in Nx, run nx add @acme/pg and use nx g @acme/pg:<generator>.\n',
      );
    if (!dryRun && typeof callback === 'function') await callback();
    return 0;
  } catch (e) {
    // A refusal of ours (PgPluginError), a write that was undone, or anything else: one line.
    process.stderr.write(`acme-pg g ${name}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    said.drop(); // after a failure: what it said goes unsaid (after success, already released)
    if (dryBefore === undefined) delete process.env['NX_DRY_RUN'];
    else process.env['NX_DRY_RUN'] = dryBefore;
  }
}

/**
 * What the generator prints waits until its files are written: a message that says "Added …" must
 * not stand above an error that wrote nothing.
 */
function holdConsole(): { release(): void; drop(): void } {
  const methods = ['log', 'info', 'warn', 'error'] as const;
  const originals = methods.map((m) => console[m]);
  const held: [number, unknown[]][] = [];
  methods.forEach((m, i) => {
    console[m] = (...args: unknown[]) => void held.push([i, args]);
  });
  let done = false;
  const put = () => methods.forEach((m, i) => (console[m] = originals[i]));
  return {
    release() {
      if (done) return;
      done = true;
      put();
      for (const [i, args] of held) originals[i](...args);
    },
    drop() {
      if (done) return;
      done = true;
      put();
    },
  };
}
