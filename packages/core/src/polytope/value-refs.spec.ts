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
