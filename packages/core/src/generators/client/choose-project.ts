/**
 * Which project `client` is for when none is given: a select of the apps that can connect, never an
 * e2e project or a database project (which `client` refuses), so pressing Enter cannot wire the
 * wrong one.
 */
import { ProjectConfig, Tree } from '../../tree/tree-api';
import { fail } from '../../utils/errors';
import { askChoice, canAsk, Choice } from '../../utils/prompt';
import { findDatabaseProjects } from '../../workspace/markers';
import { generatorCommand } from '../../utils/commands';

const E2E_CONFIG = /^(cypress|playwright)\.config\.[cm]?[jt]s$/;
const E2E_EXECUTOR = /(cypress|playwright)/;

/** An end-to-end test project: named *-e2e, a Cypress or Playwright project, or one with an e2e target. */
export function isE2eProject(tree: Tree, name: string, config: ProjectConfig): boolean {
  if (/[-_.]e2e$/i.test(name) || /[-_.]e2e$/i.test(config.root)) return true;
  const targets = Object.entries(config.targets ?? {});
  if (targets.some(([t, c]) => t === 'e2e' || E2E_EXECUTOR.test(c.executor ?? ''))) return true;
  return tree.exists(config.root) && tree.children(config.root).some((f) => E2E_CONFIG.test(f));
}

/** The projects an app's connection code can go to: applications first, then the rest, by name. */
export function projectChoices(tree: Tree, projects: Map<string, ProjectConfig>): Choice<string>[] {
  const databases = new Set(findDatabaseProjects(tree).map((d) => d.root));
  const candidates = [...projects]
    .filter(([name, c]) => !databases.has(c.root) && !isE2eProject(tree, name, c))
    .sort(([a, ca], [b, cb]) => rank(ca) - rank(cb) || a.localeCompare(b));
  return candidates.map(([name, c]) => ({
    value: name,
    hint: `${c.projectType ?? 'project'} in ${c.root || '.'}`,
  }));
}

const rank = (c: ProjectConfig) => (c.projectType === 'application' ? 0 : 1);

/** The project asked for on a terminal; elsewhere one clear error that names the choices. */
export async function askProject(
  tree: Tree,
  projects: Map<string, ProjectConfig>,
): Promise<string> {
  const choices = projectChoices(tree, projects);
  if (choices.length === 0)
    fail(
      `This workspace has no app to connect to the database yet (e2e and database projects do not count). Add one, then run: ${generatorCommand('client')} <project>`,
    );
  const names = choices.map((c) => c.value);
  const list = names.length > 15 ? `${names.slice(0, 15).join(', ')}, …` : names.join(', ');
  if (!canAsk())
    fail(
      `Name the app that connects to the database: ${generatorCommand('client')} <project> (${list}).`,
    );
  return askChoice('Which project should connect to the database?', choices);
}
