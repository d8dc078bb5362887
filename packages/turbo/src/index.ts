/**
 * @acme/turbo-pg: the generators of @acme/pg for `turbo gen`, as a plop pack. A Turborepo loads it
 * from turbo/generators/config.ts:
 *
 *   import type { PlopTypes } from '@turbo/gen';
 *   export default async function (plop: PlopTypes.NodePlopAPI) { await plop.load('@acme/turbo-pg'); }
 */
import { generators } from './generators';

export = generators;
