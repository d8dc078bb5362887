/**
 * Inferred targets: a project whose root holds an acme-pg.json marker gets the db-* targets of the
 * databases it names. The database's project (`kind: database`) gets db-values as well; an app
 * (`kind: client`) gets db-check, db-backup, db-restore and db-psql. Targets in project.json win.
 */
import type { CreateNodes, CreateNodesResult } from '@nx/devkit';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  CLIENT_TARGETS,
  DATABASE_TARGETS,
  dbTarget,
  PgPluginOptions,
  targetName,
} from '@acme/pg-core/src/workspace/targets';

export const MARKER_GLOB = '**/acme-pg.json';

function markerModules(
  text: string,
): { targets: typeof DATABASE_TARGETS; modules: string[] } | undefined {
  let marker: { kind?: unknown; module?: unknown; modules?: unknown };
  try {
    marker = JSON.parse(text);
  } catch {
    // A broken marker gives no targets; the generators and executors name the problem.
    return undefined;
  }
  if (marker?.kind === 'database' && typeof marker.module === 'string')
    return { targets: DATABASE_TARGETS, modules: [marker.module] };
  if (marker?.kind === 'client' && Array.isArray(marker.modules)) {
    const modules = marker.modules.filter((m): m is string => typeof m === 'string');
    if (modules.length) return { targets: CLIENT_TARGETS, modules };
  }
  return undefined;
}

export function nodesForMarker(
  file: string,
  options: PgPluginOptions | undefined,
  workspaceRoot: string,
): CreateNodesResult {
  const root = dirname(file);
  // Only a real project gets targets.
  const abs = join(workspaceRoot, root);
  if (!existsSync(join(abs, 'project.json')) && !existsSync(join(abs, 'package.json'))) return {};
  const found = markerModules(readFileSync(join(workspaceRoot, file), 'utf-8'));
  if (!found) return {};
  const targets = Object.fromEntries(
    found.targets.map((t) => [targetName(t, options), dbTarget(t, found.modules, options)]),
  );
  return { projects: { [root]: { targets } } };
}

export const createNodes: CreateNodes<PgPluginOptions> = [
  MARKER_GLOB,
  (files, options, context) =>
    files.map((file) => [file, nodesForMarker(file, options, context.workspaceRoot)] as const),
];

/** The same, under the name Nx 21 and 22 look for. */
export const createNodesV2 = createNodes;
