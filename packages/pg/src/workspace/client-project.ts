/**
 * What an app that uses a database gets in its project configuration: the db-* targets for that
 * database, an implicit dependency on the database's project (so `nx graph` shows it), and the
 * client marker that lists the databases it uses.
 */
import {
  readProjectConfiguration,
  TargetConfiguration,
  Tree,
  updateProjectConfiguration,
} from '@nx/devkit';
import { readClientMarker, writeClientMarker } from './markers';

export const CLIENT_TARGETS = ['db-check', 'db-backup', 'db-restore', 'db-psql'] as const;

export interface ClientProjectResult {
  /** Targets that exist with another executor and were left alone. */
  foreignTargets: string[];
}

export function addClientToProject(
  tree: Tree,
  projectName: string,
  moduleId: string,
  databaseProject: string | undefined,
): ClientProjectResult {
  const config = readProjectConfiguration(tree, projectName);
  const targets = { ...(config.targets ?? {}) };
  const foreignTargets: string[] = [];
  for (const name of CLIENT_TARGETS) {
    const executor = `@acme/pg:${name}`;
    const existing = targets[name] as TargetConfiguration | undefined;
    if (!existing) {
      // The first database is the default; each one is also a configuration: db-check:<id>.
      targets[name] = {
        executor,
        options: { module: moduleId },
        configurations: { [moduleId]: { module: moduleId } },
      };
    } else if (existing.executor !== executor) {
      foreignTargets.push(name);
    } else if (!existing.configurations?.[moduleId]) {
      targets[name] = {
        ...existing,
        configurations: { ...(existing.configurations ?? {}), [moduleId]: { module: moduleId } },
      };
    }
  }
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
  if (!marker.modules.includes(moduleId)) {
    writeClientMarker(tree, config.root, { ...marker, modules: [...marker.modules, moduleId] });
  }
  return { foreignTargets };
}
