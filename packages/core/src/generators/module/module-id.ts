/** The module id: its rule, checked for --id and as it is typed at the prompt. */
import { ID_PATTERN } from '../../polytope/polytope-file';
import { askText, canAsk } from '../../utils/prompt';

const ID_RULE = "1 to 63 characters from a-z, 0-9, '_' and '-'";

/** What is wrong with an id given as `--id` or typed at the prompt. */
export function idProblem(id: string, given = '--id'): string | undefined {
  return ID_PATTERN.test(id) && id.length <= 63
    ? undefined
    : `Invalid ${given} '${id}': use ${ID_RULE} (for example: analytics).`;
}

/**
 * The same rule where the module's folder becomes an npm package named after the id (Turborepo's
 * pack): npm refuses a package name that starts with '-' or '_', so `npm install` would fail.
 */
export function packageIdProblem(id: string, given = '--id'): string | undefined {
  return (
    idProblem(id, given) ??
    (/^[-_]/.test(id)
      ? `Invalid ${given} '${id}': its folder becomes the npm package '${id}', and npm refuses a name starting with '-' or '_'. Start it with a letter or digit (for example: ${id.replace(/^[-_]+/, '') || 'db'}).`
      : undefined)
  );
}

/** The id asked for on a terminal (postgres offered), else undefined: the default applies. */
export async function askModuleId(): Promise<string | undefined> {
  if (!canAsk()) return undefined;
  return askText(
    `What id should the PostgreSQL module have? (${ID_RULE}; it names the module's values and secrets)`,
    (value) => (value === '' ? 'Give an id, for example postgres.' : idProblem(value, 'id')),
    'postgres',
  );
}
