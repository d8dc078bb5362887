/**
 * The entry point of a stack: the template (or tool) that `pt run` starts, which gets a new
 * module's run entry: `stack`, else `default`, else the only one; otherwise the user must say.
 */
import { isMap, isSeq, Node } from 'yaml';
import { fail } from '../utils/errors';
import { Stack } from './include-graph';
import { listOf, PolytopeFile, toolsMap } from './polytope-file';
import { runsId } from './run-entry';
import { AnyNode, scalarText } from './yaml-splice';

export interface EntryPoint {
  file: PolytopeFile;
  name: string;
}

interface Runner {
  file: PolytopeFile;
  name: string;
  items: unknown[];
}

/** Templates, or tools whose run list starts other tools of the stack by name. */
function runners(file: PolytopeFile): Runner[] {
  if (file.format === 'modules') {
    return ((listOf(file, 'templates')?.items ?? []) as Node[]).filter(isMap).map((t) => {
      const run = t.get('run', true) as AnyNode;
      return {
        file,
        name: scalarText(t.get('id', true) as AnyNode) ?? '',
        items: isSeq(run) ? (run.toJSON() as unknown[]) : [],
      };
    });
  }
  const out: Runner[] = [];
  for (const pair of toolsMap(file)?.items ?? []) {
    const run = isMap(pair.value) ? (pair.value.get('run', true) as AnyNode) : undefined;
    const items = isSeq(run) ? (run.toJSON() as unknown[]) : [];
    const byName = items.some((i) => {
      const tool = i && typeof i === 'object' ? (i as Record<string, unknown>)['tool'] : i;
      return typeof tool === 'string' && !tool.includes('/');
    });
    if (byName) out.push({ file, name: scalarText(pair.key as AnyNode) ?? '', items });
  }
  return out;
}

/** Where `id`'s run entry goes; null when none is wanted (`none`, or already run with no --template). */
export function chooseEntryPoint(
  stack: Stack,
  id: string,
  template: string | undefined,
): EntryPoint | null {
  if (template === 'none') return null;
  const all = stack.files.flatMap(runners).filter((r) => r.name !== id);
  if (template === undefined && all.some((r) => r.items.some((i) => runsId(i, id)))) return null;
  const rootRunners = all.filter((r) => r.file === stack.root);
  const candidates = rootRunners.length ? rootRunners : all;
  if (template !== undefined) {
    const named = all.find((r) => r.name === template);
    if (named) return { file: named.file, name: named.name };
    if (candidates.length)
      fail(
        `There is no template '${template}' in the stack; its entry points are ${candidates.map((c) => `'${c.name}'`).join(', ')}. A template that runs only the database would not start with them: choose one of them with --template, or --template none.`,
      );
    return { file: stack.root, name: template };
  }
  for (const name of ['stack', 'default']) {
    const r = candidates.find((c) => c.name === name);
    if (r) return { file: r.file, name };
  }
  if (candidates.length === 1) return { file: candidates[0].file, name: candidates[0].name };
  if (candidates.length === 0) return { file: stack.root, name: 'stack' };
  fail(
    `The stack has several entry points (${candidates.map((c) => `'${c.name}'`).join(', ')}) and none is called stack or default; choose the one that should start the database with --template <name> (or --template none).`,
  );
}

/**
 * The name to give `pt run` so that `id` starts: the template (or tool) that runs it, followed up
 * to the one nothing else runs. Undefined when nothing in the stack runs it.
 */
export function startedBy(files: PolytopeFile[], id: string): string | undefined {
  const all = files.flatMap(runners);
  let name: string | undefined;
  const seen = new Set<string>([id]);
  for (let current = id; ;) {
    const up = all.find((r) => !seen.has(r.name) && r.items.some((i) => runsId(i, current)));
    if (!up) return name;
    name = current = up.name;
    seen.add(up.name);
  }
}

/** The templates (or tools) whose run list starts `id` directly. */
export function runnersOf(files: PolytopeFile[], id: string): EntryPoint[] {
  return files
    .flatMap(runners)
    .filter((r) => r.name !== id && r.items.some((i) => runsId(i, id)))
    .map((r) => ({ file: r.file, name: r.name }));
}
