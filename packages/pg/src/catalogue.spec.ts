/**
 * Nx reads executors.json and generators.json; the command line reads @acme/pg-core's
 * commands.json. They list the same commands and generators with the same words and the same
 * schemas (the Nx files' schema.json are links to the core's), so `nx run --help`, `nx g --help`
 * and `acme-pg --help` never drift apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const read = (path: string) => JSON.parse(readFileSync(join(__dirname, path), 'utf-8'));
const nxExecutors = read('../executors.json').executors;
const nxGenerators = read('../generators.json').generators;
const core = read('../../core/commands.json');
const schemaOf = (base: string, entry: { schema: string }) =>
  readFileSync(join(__dirname, base, entry.schema), 'utf-8');

it('executors.json lists the core commands, with their descriptions and schemas', () => {
  expect(Object.keys(nxExecutors)).toEqual(Object.keys(core.commands));
  for (const [name, e] of Object.entries(
    nxExecutors as Record<string, { description: string; schema: string }>,
  )) {
    expect([name, e.description]).toEqual([name, core.commands[name].description]);
    expect([name, schemaOf('..', e)]).toEqual([name, schemaOf('../../core', core.commands[name])]);
  }
});

it('generators.json lists the core generators, and init, which only Nx has', () => {
  const { init, ...rest } = nxGenerators;
  expect(init).toBeDefined();
  expect(Object.keys(rest)).toEqual(Object.keys(core.generators));
  for (const [name, g] of Object.entries(
    rest as Record<string, { description: string; schema: string; hidden?: boolean }>,
  )) {
    expect([name, g.description, g.hidden]).toEqual([
      name,
      core.generators[name].description,
      core.generators[name].hidden,
    ]);
    expect([name, schemaOf('..', g)]).toEqual([
      name,
      schemaOf('../../core', core.generators[name]),
    ]);
  }
});
