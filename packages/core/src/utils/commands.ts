/**
 * The commands our messages tell people to type, in the form of the tool they run us from: an Nx
 * workspace gets `nx run postgres:db-up`, the command line `npx acme-pg db-up --project postgres`,
 * a Turborepo `npx turbo run db:up --filter=postgres`. A hint that names a tool the user does not
 * have cannot be run as printed.
 */
import { shellQuote } from './shell-quote';

export type FrontEnd = 'nx' | 'cli' | 'turbo';

const VARIABLE = 'ACME_PG_FRONT_END';

/** Set once by the entry point (the acme-pg bin, the Turborepo generators); Nx is the default. */
export function useFrontEnd(f: FrontEnd): void {
  process.env[VARIABLE] = f;
}

export function frontEnd(): FrontEnd {
  const f = process.env[VARIABLE];
  return f === 'cli' || f === 'turbo' ? f : 'nx';
}

/** A project's target with its options, e.g. targetCommand('postgres', 'db-values', '--noPt'). */
export function targetCommand(project: string, target: string, args = ''): string {
  const rest = args ? ` ${args}` : '';
  switch (frontEnd()) {
    case 'cli':
      return `npx acme-pg ${target} --project ${shellQuote(project)}${rest}`;
    case 'turbo':
      return `npx turbo run ${target.replace(/^db-/, 'db:')} --filter=${shellQuote(project)}${args ? ` --${rest}` : ''}`;
    default:
      return `nx run ${project}:${target}${rest}`;
  }
}

/** A generator with its arguments, e.g. generatorCommand('init-script', 'app-user --kind schema'). */
export function generatorCommand(generator: string, args = ''): string {
  const rest = args ? ` ${args}` : '';
  // turbo gen takes answers by position only: its users have acme-pg too, which takes the options.
  return frontEnd() === 'nx'
    ? `nx g @acme/pg:${generator}${rest}`
    : `npx acme-pg g ${generator}${rest}`;
}

/**
 * Where a page of the docs is in the user's node_modules: with the Nx plugin (which a pnpm
 * workspace has alone at its top), or with @acme/pg-core, which command-line and Turborepo users
 * install themselves.
 */
export function docsPath(page: string): string {
  return `node_modules/${frontEnd() === 'nx' ? '@acme/pg' : '@acme/pg-core'}/docs/${page}`;
}

/** A text written for Nx users (a schema's description) with its docs paths for this user. */
export function withDocsPaths(text: string): string {
  return text.replace(/node_modules\/@acme\/pg\/docs\/(\S+?\.md)/g, (_, page) => docsPath(page));
}
