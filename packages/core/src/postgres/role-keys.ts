/**
 * The Polytope keys and env names of an init script's role (a database-user script): its password
 * secret feeds PGINIT_<ROLE>_PASSWORD in the database module; an app wired with client --role
 * reads the role's username and password secrets and its database value.
 */
import { roleEnvName, roleSecretKey } from '../polytope/postgres-module';

export interface RoleKeys {
  role: string;
  /** PGINIT_<ROLE>_PASSWORD, in the database module's env and in the env file. */
  envName: string;
  password: string;
  username: string;
  database: string;
}

/** In the role namespace of its module, like its password secret: no module's own key can equal them. */
export function roleKeys(moduleId: string, role: string): RoleKeys {
  const base = `${moduleId}-role-${role}`;
  return {
    role,
    envName: roleEnvName(role),
    password: roleSecretKey(moduleId, role),
    username: `${base}-username`,
    database: `${base}-database`,
  };
}

/** The role whose password PGINIT_<ROLE>_PASSWORD holds: `PGINIT_APP_USER_PASSWORD` → `app_user`. */
export function roleOfEnvName(name: string): string | undefined {
  const m = /^PGINIT_([A-Z_][A-Z0-9_]*)_PASSWORD$/.exec(name);
  return m ? m[1].toLowerCase() : undefined;
}
