/**
 * `--migrations`: whether the module generator writes the stack's migration step, and where. A step
 * that exists is never removed and changed only where its database folder moved (its mount follows
 * the folder): the user may have edited it. Otherwise the generator only adds what is missing, its
 * module or its run entry.
 */
import { Tree } from '../../tree/tree-api';
import { posix } from 'node:path';
import { filesIn } from '../migration/migration';
import { MIGRATIONS_DIR, migrationFiles } from '../../migrations/migration-files';
import { fileDefining, Stack } from '../../polytope/include-graph';
import { isMigrationStep, MIGRATIONS_MOUNT, migrationStepId } from '../../polytope/migration-step';
import { mountPathCandidates, mountPathFor } from '../../polytope/mount-path';
import { entryById, listOf, PolytopeFile, toolsMap } from '../../polytope/polytope-file';
import { runnersOf } from '../../polytope/entry-point';
import { generatorCommand } from '../../utils/commands';

export interface MigrationStepPlan {
  stepId: string;
  /** The migrations folder, relative to the workspace root. */
  dir: string;
  /** The folder as the module's file names it in a host mount. */
  mountSource: string;
  /** The file that defines the step already, if one does. */
  existing?: PolytopeFile;
  /** The existing step mounts a folder that is gone (the database folder moved): its new source. */
  movedMount?: string;
  /** The folder has no file yet: a `.gitkeep` keeps it, so the mount has a source. */
  createFolder: boolean;
}

/** The plain value of an entry (module, or tool's first run step) with this id, if any. */
function argsOfEntry(file: PolytopeFile, id: string): unknown {
  if (file.format === 'modules')
    return (entryById(listOf(file, 'modules'), id)?.toJSON() as { args?: unknown })?.args;
  const tool = toolsMap(file)?.get(id, true) as { toJSON?: () => unknown } | undefined;
  const js = tool?.toJSON?.() as { run?: { args?: unknown }[] } | undefined;
  return Array.isArray(js?.run) ? js.run[0]?.args : undefined;
}

/**
 * Undefined when no step is to be written. Given: on or off. Left out: on for a new module whose
 * folder holds migrations already; an existing module keeps what it has, step or none (a run entry
 * removed by hand stays removed).
 */
export function planMigrationStep(
  tree: Tree,
  opts: {
    migrations: boolean | undefined;
    id: string;
    isNew: boolean;
    scriptsDir: string;
    file: PolytopeFile;
    stack: Stack;
  },
  notes: string[],
): MigrationStepPlan | undefined {
  const stepId = migrationStepId(opts.id);
  const dir = posix.join(opts.scriptsDir, MIGRATIONS_DIR);
  const existing = fileDefining(opts.stack, stepId);
  const files = filesIn(tree, dir);
  const wanted = opts.migrations ?? (opts.isNew && migrationFiles(files).length > 0);
  if (existing && !isMigrationStep(argsOfEntry(existing, stepId)))
    notes.push(
      `'${stepId}' in ${existing.path} does not run dbmate's image: it is kept as it is, and no migration step was added under that id.`,
    );
  if (opts.migrations === false && existing) {
    notes.push(
      `The migration step '${stepId}' in ${existing.path} stays: the generator never removes it, as it may hold your edits. To stop applying migrations at stack start, delete module '${stepId}' and its run entry.`,
    );
    return undefined;
  }
  if (!wanted) return undefined;
  return {
    stepId,
    dir,
    mountSource: mountPathFor(dir, opts.file.path, opts.stack.root.path),
    existing,
    movedMount: existing && movedMountOf(tree, existing, stepId, dir, opts.stack.root.path, notes),
    createFolder: files.length === 0,
  };
}

/** The step's migrations mount, written anew when it names a folder that is no longer there. */
function movedMountOf(
  tree: Tree,
  file: PolytopeFile,
  stepId: string,
  dir: string,
  root: string,
  notes: string[],
): string | undefined {
  const args = argsOfEntry(file, stepId) as { mounts?: unknown } | undefined;
  if (!isMigrationStep(args) || !Array.isArray(args?.mounts)) return undefined;
  const mount = (
    args.mounts as { path?: unknown; source?: { type?: unknown; path?: unknown } }[]
  ).find((m) => m?.path === MIGRATIONS_MOUNT && m.source?.type === 'host');
  const written = mount?.source?.path;
  if (typeof written !== 'string') return undefined;
  const at = mountPathCandidates(written, file.path, root);
  if (at.includes(dir) || at.some((p) => tree.exists(p))) return undefined;
  const moved = mountPathFor(dir, file.path, root);
  notes.push(
    `The migration step '${stepId}' mounted ${written}, which is gone: it mounts ${moved} now, where the database folder is.`,
  );
  return moved;
}

/** The entry that starts the database (the one the generator adds it to, or one that runs it). */
export function stepRunner(
  files: PolytopeFile[],
  id: string,
  entry: { file: PolytopeFile; name: string } | null,
  notes: string[],
): { file: PolytopeFile; name: string } | null {
  const runner = entry ?? runnersOf(files, id)[0] ?? null;
  if (!runner)
    notes.push(
      `Nothing in the stack runs '${id}', so its migration step is not run either; give --template to add both to an entry point (${generatorCommand('module')} ${id} --migrations --template stack).`,
    );
  return runner;
}
