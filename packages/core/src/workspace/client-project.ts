/**
 * What an app that uses a database gets in its project configuration: the db-* targets for that
 * database, an implicit dependency on the database's project (so `nx graph` shows it), and the
 * client marker that lists the databases it uses.
 */
import {
  readProjectConfiguration,
  TargetConfig,
  Tree,
  updateProjectConfiguration,
} from '../tree/tree-api';
import { CLIENT_TARGETS, dbTarget, DbTarget, executorOf } from './targets';
import { readClientMarker, writeClientMarker } from './markers';

export { CLIENT_TARGETS, DATABASE_TARGETS } from './targets';

export interface ClientProjectResult {
  /** Targets that exist with another executor and were left alone. */
  foreignTargets: string[];
}

/**
 * Adds explicit `@acme/pg:<name>` targets for `moduleId` (when inference is off). The first
 * database is the options' default; each is also a configuration (`db-check:<id>`). Targets of
 * another executor are left alone.
 */
export function withDbTargets(
  current: Record<string, TargetConfig>,
  names: readonly DbTarget[],
  moduleId: string,
): { targets: Record<string, TargetConfig>; foreignTargets: string[] } {
  const targets = { ...current };
  const foreignTargets: string[] = [];
  for (const name of names) {
    const existing = targets[name];
    if (!existing) {
      targets[name] = dbTarget(name, [moduleId]);
    } else if (existing.executor !== executorOf(name)) {
      foreignTargets.push(name);
    } else if (!existing.configurations?.[moduleId]) {
      targets[name] = {
        ...existing,
        configurations: { ...(existing.configurations ?? {}), [moduleId]: { module: moduleId } },
      };
    }
  }
  return { targets, foreignTargets };
}

export function addClientToProject(
  tree: Tree,
  projectName: string,
  moduleId: string,
  databaseProject: string | undefined,
  explicitTargets: boolean,
  /** The role it connects as (client --role); undefined keeps what the marker has. */
  role?: string,
): ClientProjectResult {
  const config = readProjectConfiguration(tree, projectName);
  const { targets, foreignTargets } = explicitTargets
    ? withDbTargets(config.targets ?? {}, CLIENT_TARGETS, moduleId)
    : { targets: config.targets ?? {}, foreignTargets: [] };
  const implicit = config.implicitDependencies ?? [];
  const implicitDependencies =
    databaseProject && !implicit.includes(databaseProject)
      ? [...implicit, databaseProject]
      : implicit;
  const changed =
    JSON.stringify(targets) !== JSON.stringify(config.targets ?? {}) ||
    implicitDependencies !== implicit;
  if (changed) {
    updateProjectConfiguration(tree, projectName, {
      ...config,
      targets,
      ...(implicitDependencies.length ? { implicitDependencies } : {}),
    });
  }
  const marker = readClientMarker(tree, config.root) ?? { kind: 'client' as const, modules: [] };
  const next = {
    ...marker,
    modules: marker.modules.includes(moduleId) ? marker.modules : [...marker.modules, moduleId],
    ...(role ? { roles: { ...(marker.roles ?? {}), [moduleId]: role } } : {}),
  };
  if (JSON.stringify(next) !== JSON.stringify(marker)) writeClientMarker(tree, config.root, next);
  return { foreignTargets };
}
