/**
 * The project of a database folder: which name it goes by, and adding it where the workspace has
 * none yet (a folder made by `acme-pg g module` before @acme/pg was added to Nx).
 */
import { addProjectConfiguration, getProjects, Tree } from '../tree/tree-api';
import { fail } from '../utils/errors';
import { findDatabaseProjects } from './markers';
import { DATABASE_TARGETS, withDbTargets } from './client-project';

/** The project whose root is the folder, else the first free of `<id>` and `<id>-db`. */
export function chooseProject(
  tree: Tree,
  id: string,
  root: string,
): { projectName: string; projectExists: boolean } {
  const projects = getProjects(tree);
  for (const [name, config] of projects)
    if (config.root === root) return { projectName: name, projectExists: true };
  for (const name of [id, `${id}-db`])
    if (!projects.has(name)) return { projectName: name, projectExists: false };
  fail(
    `Projects '${id}' and '${id}-db' both exist already; rename one of them or choose another --id.`,
  );
}

/** Writes the database folder's project: its targets are inferred, or written out (`explicit`). */
export function addDatabaseProject(
  tree: Tree,
  name: string,
  root: string,
  id: string,
  explicit: boolean,
): void {
  addProjectConfiguration(tree, name, {
    root,
    projectType: 'application',
    tags: ['postgres', `polytope-module:${id}`],
    targets: explicit ? withDbTargets({}, DATABASE_TARGETS, id).targets : {},
  });
}

/** Adds a project for every database folder that has none; returns them as `name (root)`. */
export function addMissingDatabaseProjects(tree: Tree): { name: string; root: string }[] {
  const added: { name: string; root: string }[] = [];
  for (const db of findDatabaseProjects(tree)) {
    const { projectName, projectExists } = chooseProject(tree, db.module, db.root);
    if (projectExists) continue;
    addDatabaseProject(tree, projectName, db.root, db.module, false);
    added.push({ name: projectName, root: db.root });
  }
  return added;
}
