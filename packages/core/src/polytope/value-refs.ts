/**
 * Which Polytope values and secrets a database needs: every `pt.value` / `pt.secret` in the
 * module's own env, and those of the module's keys (`<id>-…`, and the keys of its own names that
 * its env references, such as `postgres_password`) that other modules' env reference (the apps
 * wired by the client generator).
 */
import { isMap, isSeq, Node } from 'yaml';
import { listOf, PolytopeFile, toolsMap } from './polytope-file';
import { EnvEntry, keyOfRef } from './postgres-module';
import { findPostgresModule } from './upsert-module';

export interface KeyRef {
  kind: 'value' | 'secret';
  key: string;
  /** The env names that reference it, with the module that holds each: `api: POSTGRES_HOST`. */
  usedBy: string[];
}

function envOf(node: unknown): EnvEntry[] {
  const env = (node as { args?: { env?: unknown } })?.args?.env;
  if (!Array.isArray(env)) return [];
  return env
    .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
    .map((e) => ({ name: String(e['name']), value: String(e['value'] ?? '') }));
}

/** Every module (or tool run step) in the file with its id and env. */
function modulesWithEnv(file: PolytopeFile): { id: string; env: EnvEntry[] }[] {
  if (file.format === 'modules') {
    return ((listOf(file, 'modules')?.items ?? []) as Node[])
      .filter(isMap)
      .map((m) => ({ id: String(m.get('id')), env: envOf(m.toJSON()) }));
  }
  const out: { id: string; env: EnvEntry[] }[] = [];
  for (const pair of toolsMap(file)?.items ?? []) {
    const run = isMap(pair.value) ? pair.value.get('run', true) : undefined;
    const steps = isSeq(run) ? (run.items as Node[]).filter(isMap).map((s) => s.toJSON()) : [];
    out.push({
      id: String((pair.key as { value?: unknown })?.value ?? pair.key),
      env: steps.flatMap(envOf),
    });
  }
  return out;
}

/** `others`: the rest of the stack's files, whose apps may reference the module's keys too. */
export function referencedKeys(
  file: PolytopeFile,
  moduleId: string,
  others: PolytopeFile[] = [],
): KeyRef[] {
  const found = findPostgresModule(file, moduleId);
  const refs = new Map<string, KeyRef>();
  const add = (kind: 'value' | 'secret', key: string, usedBy: string) => {
    const id = `${kind}:${key}`;
    const ref = refs.get(id) ?? { kind, key, usedBy: [] };
    ref.usedBy.push(usedBy);
    refs.set(id, ref);
  };
  for (const e of found?.existing.env ?? []) {
    const k = keyOfRef(e.value);
    if (k) add(k.kind, k.key, `${moduleId}: ${e.name}`);
  }
  const own = new Set(refs.keys());
  const files = [file, ...others.filter((f) => f.path !== file.path)];
  for (const { id, env } of files.flatMap(modulesWithEnv)) {
    if (id === moduleId) continue;
    for (const e of env) {
      const k = keyOfRef(e.value);
      if (k && (k.key.startsWith(`${moduleId}-`) || own.has(`${k.kind}:${k.key}`)))
        add(k.kind, k.key, `${id}: ${e.name}`);
    }
  }
  return [...refs.values()];
}
