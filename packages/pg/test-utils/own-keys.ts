/**
 * A module adopted with keys of its own names (the docs' block style): nothing of it is named
 * `database-…`, so a hint or wiring that names `<id>-password` shows.
 */
export const OWN_KEYS_MODULE = `  - id: database
    module: polytope/postgres
    args:
      image: postgres:16.2
      service-id: database
      data-volume: { type: volume, scope: project, id: database-data }
      env:
        - name: POSTGRES_PASSWORD
          value: pt.secret postgres_password
        - name: POSTGRES_USER
          value: pt.value postgres_user
        - name: POSTGRES_DB
          value: pt.secret postgres_db
`;

/** Any `<id>-…` key of module `database` but host and port: the keys it does not read. */
export const DEFAULT_KEYS = /database-(password|username|database)\b/;
