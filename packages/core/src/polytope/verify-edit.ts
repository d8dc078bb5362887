/**
 * The check every edit of polytope.yml passes before it is written: the new text parses, and every
 * entry other than the ones meant to change is exactly what it was.
 */
import { parsePolytopeFile, PolytopeFile } from './polytope-file';

/** Ids the edit may change: module and template ids, or tool names in the `tools` format. */
export interface EditedIds {
  entries: string[];
}

export function reparseEdited(before: PolytopeFile, text: string): PolytopeFile {
  try {
    return parsePolytopeFile(before.path, text);
  } catch (e) {
    throw new Error(
      `internal error: the edited ${before.path} does not parse (${(e as Error).message}); nothing was written.`,
    );
  }
}

export function assertOthersUnchanged(
  before: PolytopeFile,
  after: PolytopeFile,
  edited: EditedIds,
): void {
  const strip = (f: PolytopeFile) => {
    const js = (f.root?.toJSON() ?? {}) as Record<string, unknown>;
    if (f.format === 'tools') {
      const tools = { ...((js['tools'] ?? {}) as Record<string, unknown>) };
      for (const id of edited.entries) delete tools[id];
      return { ...js, tools };
    }
    const keep = (key: string) =>
      ((js[key] ?? []) as Record<string, unknown>[]).filter(
        (m) => !m || !edited.entries.includes(m['id'] as string),
      );
    return { ...js, modules: keep('modules'), templates: keep('templates') };
  };
  const canonical = (o: Record<string, unknown>) =>
    JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))));
  if (canonical(strip(before)) !== canonical(strip(after))) {
    throw new Error(
      `internal error: the edit of ${before.path} would have changed other entries; nothing was written.`,
    );
  }
}
