import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { idProblem, packageIdProblem } from '@acme/pg-core/src/generators/module/module-id';
import { generators, Plop } from './generators';

/** The prompts of each generator, as plop would get them. */
function prompts(): Record<string, { name: string; validate?: (v: string) => true | string }[]> {
  const found: Record<string, { name: string; validate?: (v: string) => true | string }[]> = {};
  const plop: Plop = { setGenerator: (name, config) => void (found[name] = config.prompts) };
  generators(plop);
  return found;
}

describe('pg-module: the module id', () => {
  const validate = prompts()['pg-module'].find((p) => p.name === 'id')!.validate!;

  it.each(['postgres', '1db', 'orders_db', 'orders-db', 'a'.repeat(63)])(
    'takes %s, as the core does',
    (id) => {
      expect(idProblem(id)).toBeUndefined();
      expect(validate(id)).toBe(true);
    },
  );

  it.each(['Bad', 'a b', 'x=y', '数据库', 'a'.repeat(64)])(
    'refuses %s with the core’s own message',
    (id) => {
      expect(validate(id)).toBe(idProblem(id, 'id'));
    },
  );

  it.each(['_x', '-x'])(
    'refuses %s, which the core takes, saying npm refuses it as the folder’s package name',
    (id) => {
      expect(idProblem(id)).toBeUndefined();
      expect(validate(id)).toBe(packageIdProblem(id, 'id'));
      expect(validate(id)).toContain("npm refuses a name starting with '-' or '_'");
    },
  );
});

describe('the install line', () => {
  it('README gives the one docs/turborepo.md gives: pg-core too, and turbo and @turbo/gen pinned', () => {
    const read = (p: string) => readFileSync(join(__dirname, '../../..', p), 'utf-8');
    const line = /npm install --save-dev [^\n`]*@acme\/turbo-pg[^\n`]*/;
    const docs = line.exec(read('docs/turborepo.md'))?.[0];
    expect(docs).toContain('@acme/pg-core');
    expect(docs).toMatch(/turbo@\d+\.\d+\.\d+ @turbo\/gen@\d+\.\d+\.\d+/);
    expect(line.exec(read('README.md'))?.[0]).toBe(docs);
  });
});
