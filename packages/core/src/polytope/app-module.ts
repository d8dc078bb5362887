/**
 * Wires an app's module (or tool) in polytope.yml to a database: env entries that reference the
 * database's Polytope values and secrets, merged by name into the app's `args.env`.
 */
import { isMap, isSeq, Node, YAMLMap } from 'yaml';
import { fail } from '../utils/errors';
import { entryById, isNull, listOf, PolytopeFile, positionOf, toolsMap } from './polytope-file';
import { EnvEntry } from './postgres-module';
import { postgresModuleIds } from './upsert-module';
import { assertOthersUnchanged, reparseEdited } from './verify-edit';
import { AnyNode, reconcileMap, scalarText, Splicer } from './yaml-splice';

/** The map that holds the app's `args`: the module itself, or its tool's first run step. */
function argsHolder(file: PolytopeFile, id: string): YAMLMap | undefined {
  if (file.format === 'modules') return entryById(listOf(file, 'modules'), id);
  const tool = toolsMap(file)?.get(id, true) as AnyNode;
  if (!tool) return undefined;
  const run = isMap(tool) ? (tool.get('run', true) as AnyNode) : undefined;
  const step = isSeq(run)
    ? (run.items as Node[]).find(
        (n): n is YAMLMap => isMap(n) && scalarText(n.get('tool', true) as AnyNode) !== undefined,
      )
    : undefined;
  if (!step) {
    fail(
      `${positionOf(file, tool)}: tool '${id}' has no run step ('run: [{ tool: ..., args: ... }]') to give env to.`,
    );
  }
  return step;
}

export function hasAppModule(file: PolytopeFile, id: string): boolean {
  return file.format === 'modules'
    ? !!entryById(listOf(file, 'modules'), id)
    : !!toolsMap(file)?.get(id, true);
}

/** The file's text with `entries` in the app module's env; the same text when they are there. */
export function setAppEnv(file: PolytopeFile, id: string, entries: EnvEntry[]): string {
  if (postgresModuleIds(file).includes(id)) {
    fail(
      `'${id}' in ${file.path} is the PostgreSQL module itself; name the module that runs the app with --polytopeModule.`,
    );
  }
  const holder = argsHolder(file, id);
  if (!holder) fail(`There is no module '${id}' in ${file.path}.`);
  const args = holder.get('args', true) as AnyNode;
  if (args && !isNull(args) && !isMap(args))
    fail(`${positionOf(file, args)}: 'args' of '${id}' must be a map.`);
  const env = isMap(args) ? (args.get('env', true) as AnyNode) : undefined;
  if (env && !isNull(env) && !isSeq(env)) {
    fail(
      `${positionOf(file, env)}: 'env' of '${id}' must be a list of { name, value } entries; fix it and run again.`,
    );
  }
  const s = new Splicer(file.text);
  reconcileMap(s, holder, {
    args: {
      env: {
        kind: 'merge-by',
        key: 'name',
        items: entries.map((e) => ({ name: e.name, value: e.value })),
        remove: [],
      },
    },
  });
  const text = s.changed ? s.apply() : file.text;
  const after = reparseEdited(file, text);
  const js = (argsHolder(after, id)?.toJSON() ?? {}) as { args?: { env?: EnvEntry[] } };
  const missing = entries.filter(
    (e) => !js.args?.env?.some((x) => x.name === e.name && x.value === e.value),
  );
  if (missing.length)
    throw new Error(`internal error: the env of '${id}' was not set; nothing was written.`);
  assertOthersUnchanged(file, after, { entries: [id] });
  return text;
}
