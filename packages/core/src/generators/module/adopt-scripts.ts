/**
 * Adopting an existing module's init scripts: the files its `scripts` entries name are read, then
 * copied in their listed order into its init-script folder as numbered scripts.
 */
import { Tree } from '../../tree/tree-api';
import { posix } from 'node:path';
import { BUNDLE_FILE } from '../../init-scripts/bundle';
import { nextScriptName } from '../../init-scripts/folder';
import { Stack } from '../../polytope/include-graph';
import { mountPathCandidates } from '../../polytope/mount-path';
import { PolytopeFile } from '../../polytope/polytope-file';
import { FoundModule } from '../../polytope/upsert-module';
import { fail } from '../../utils/errors';

export interface AdoptedScript {
  /** As the module named it, and where it was read. */
  written: string;
  from: string;
  content: string;
}

/** The files an existing module's `scripts` name, read to be copied into its init-script folder. */
export function readAdoptedScripts(
  tree: Tree,
  found: FoundModule | undefined,
  bundlePath: string,
  stack: Stack,
  file: PolytopeFile,
  id: string,
  /** The module has its database project: a missing bundle is its own, from before a move. */
  hasProject: boolean,
): AdoptedScript[] {
  const scripts = found?.existing.scripts;
  if (scripts === undefined || scripts === null) return [];
  const entries = Array.isArray(scripts) ? scripts : [scripts];
  const out: AdoptedScript[] = [];
  for (const e of entries) {
    const o = (e && typeof e === 'object' ? e : {}) as Record<string, unknown>;
    if (o['type'] === 'host' && typeof o['path'] === 'string') {
      const written = o['path'];
      if (posix.normalize(written) === posix.normalize(bundlePath)) continue;
      const tries = mountPathCandidates(written, file.path, stack.root.path);
      const from = tries.find((p) => tree.exists(p) && tree.isFile(p));
      if (!from && hasProject && posix.basename(written) === BUNDLE_FILE) continue;
      if (!from)
        fail(
          `Module '${id}' runs the init script ${written}, which is not in the workspace (looked at ${tries.join(' and ')}). Restore it, or remove that 'scripts' entry, and run again.`,
        );
      out.push({ written, from, content: tree.read(from, 'utf-8') ?? '' });
    } else if (o['type'] === 'string' && typeof o['data'] === 'string') {
      out.push({ written: '(inline script)', from: '', content: o['data'] });
    } else {
      fail(
        `Module '${id}' has a 'scripts' entry @acme/pg cannot copy (${JSON.stringify(e)}); only { type: host, path } and { type: string, data } entries can move into its init-script folder. Copy it there by hand as 001-….sql, remove the entry, and run again.`,
      );
    }
  }
  return out;
}

/** Copies the files an existing module's `scripts` named into its init-script folder, in order. */
export function copyAdoptedScripts(
  tree: Tree,
  adopted: AdoptedScript[],
  scriptsDir: string,
): { from: string; to: string }[] {
  return adopted.map((script) => {
    const base =
      posix
        .basename(script.from || 'script', '.sql')
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/g, '-')
        .replace(/^-+|-+$/g, '') || 'script';
    const to = nextScriptName(tree, scriptsDir, base);
    tree.write(to, script.content);
    return {
      from:
        script.written === script.from
          ? script.from
          : `${script.written} (${script.from || 'inline'})`,
      to,
    };
  });
}
