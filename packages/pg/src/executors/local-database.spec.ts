import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { executorWorkspace } from '../../test-utils/executor-workspace';
import { localDatabase } from '@acme/pg-core/src/commands/local-database';

describe('localDatabase on a module in an included file', () => {
  it("reads the module there and resolves a ./ bundle path from the stack's root", () => {
    const ws = executorWorkspace();
    try {
      writeFileSync(join(ws.root, 'polytope.yml'), 'include:\n  - modules/pg\n');
      mkdirSync(join(ws.root, 'modules/pg'), { recursive: true });
      writeFileSync(
        join(ws.root, 'modules/pg/polytope.yml'),
        'tools:\n  postgres:\n    run:\n      - tool: polytope/postgres\n        args:\n          image: postgres:16.2\n          scripts:\n            - { type: host, path: ./sql/postgres/_init-bundle.sql }\n',
      );
      writeFileSync(
        join(ws.root, 'sql/postgres/acme-pg.json'),
        JSON.stringify({
          kind: 'database',
          module: 'postgres',
          polytopeFile: 'modules/pg/polytope.yml',
          stackFile: 'polytope.yml',
        }),
      );
      const db = localDatabase({}, ws.context('postgres'));
      expect(db.image).toBe('postgres:16.2');
      expect(db.bundle).toBe(join(ws.root, 'sql/postgres/_init-bundle.sql'));
    } finally {
      ws.remove();
    }
  });
});
