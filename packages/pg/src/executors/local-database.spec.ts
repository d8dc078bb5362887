import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { captureOutput, executorWorkspace } from '../../test-utils/executor-workspace';
import { localDatabase } from '@acme/pg-core/src/commands/local-database';
import dbUp from './db-up/db-up';
import dbDown from './db-down/db-down';
import upSchema from './db-up/schema.json';
import downSchema from './db-down/schema.json';

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

describe('db-up and db-down take no --host or --sslmode: the server is on this machine', () => {
  it.each([
    ['db-up', '--host 10.1.2.3', dbUp, { host: '10.1.2.3' }],
    ['db-up', '--sslmode require', dbUp, { sslmode: 'require' }],
    ['db-down', '--host 10.1.2.3', dbDown, { host: '10.1.2.3' }],
  ] as const)('%s %s is refused in one line, and nothing starts', async (name, given, run, o) => {
    const ws = executorWorkspace();
    const out = captureOutput();
    try {
      const r = await run(o as never, ws.context('postgres'));
      expect(r.success).toBe(false);
      expect(out.text()).toContain(
        `${name} runs the module's server on this machine (localhost), so ${given} does not apply; leave it out. To reach another server, give it to db-check, db-psql and the other executors.`,
      );
      expect(existsSync(join(ws.root, 'tmp'))).toBe(false);
    } finally {
      out.restore();
      ws.remove();
    }
  });

  it('--help lists neither', () => {
    for (const schema of [upSchema, downSchema]) {
      expect(schema.properties).not.toHaveProperty('host');
      expect(schema.properties).not.toHaveProperty('sslmode');
    }
  });
});
