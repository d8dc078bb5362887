import { parsePolytopeFile } from './polytope-file';
import { referencedKeys } from './value-refs';

describe('referencedKeys in an include tree', () => {
  it("finds the module's keys that apps in the stack's other files reference", () => {
    const db = parsePolytopeFile(
      'modules/postgres/polytope.yml',
      'tools:\n  postgres:\n    run:\n      - tool: polytope/postgres\n        args:\n          env:\n            - { name: POSTGRES_DB, value: pt.value postgres-database }\n',
    );
    const api = parsePolytopeFile(
      'modules/api/polytope.yml',
      'tools:\n  api:\n    run:\n      - tool: polytope/python\n        args:\n          env:\n            - { name: POSTGRES_HOST, value: pt.value postgres-host }\n            - { name: OTHER, value: pt.value api-port }\n',
    );
    expect(referencedKeys(db, 'postgres', [db, api])).toEqual([
      { kind: 'value', key: 'postgres-database', usedBy: ['postgres: POSTGRES_DB'] },
      { kind: 'value', key: 'postgres-host', usedBy: ['api: POSTGRES_HOST'] },
    ]);
    expect(referencedKeys(db, 'postgres').map((r) => r.key)).toEqual(['postgres-database']);
  });
});

describe('referencedKeys of keys the module names itself', () => {
  it("counts the apps that reference the module's own keys, not only <id>-…", () => {
    const file = parsePolytopeFile(
      'polytope.yml',
      'modules:\n  - id: database\n    module: polytope/postgres\n    args:\n      env:\n        - name: POSTGRES_PASSWORD\n          value: pt.secret postgres_password\n  - id: web\n    module: polytope/node\n    args:\n      env:\n        - { name: DATABASE_POSTGRES_PASSWORD, value: pt.secret postgres_password }\n        - { name: OTHER, value: pt.secret postgres_other }\n',
    );
    expect(referencedKeys(file, 'database')).toEqual([
      {
        kind: 'secret',
        key: 'postgres_password',
        usedBy: ['database: POSTGRES_PASSWORD', 'web: DATABASE_POSTGRES_PASSWORD'],
      },
    ]);
  });
});
