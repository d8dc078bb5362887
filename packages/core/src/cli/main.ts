/**
 * `acme-pg`: the executors from a plain command line, for a CI script, another task runner or a
 * folder with no monorepo tool. Each command is the Nx executor of the same name, with the options
 * of its schema.json, run for a project found by its acme-pg.json marker.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunContext } from '../commands/run-context';
import { generators } from './catalogue';
import { commandHelp } from './help';
import { useFrontEnd } from '../utils/commands';
import { chooseProject, findMarkerProjects, findWorkspaceRoot } from './marker-projects';
import { closest, CommandSchema, parseCommandArgs, UsageError } from './schema-options';

/** packages/core (in the sources) or the installed package: where commands.json is. */
const PACKAGE_ROOT = join(__dirname, '..', '..');

interface ExecutorEntry {
  implementation: string;
  schema: string;
  description: string;
}

function executors(): Record<string, ExecutorEntry> {
  return JSON.parse(readFileSync(join(PACKAGE_ROOT, 'commands.json'), 'utf-8')).commands;
}

function version(): string {
  return JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf-8')).version;
}

function usage(commands: Record<string, ExecutorEntry>): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length)) + 4;
  return [
    'Usage: acme-pg <command> [options]   (acme-pg <command> --help for its options)',
    '',
    'PostgreSQL for Polytope projects: the commands of @acme/pg, without Nx (@acme/pg-core).',
    '',
    'Commands:',
    ...Object.entries(commands).map(([n, e]) => `  ${n.padEnd(width)}${e.description}`),
    `  ${'sync'.padEnd(width)}Rebuild the init bundles from their .sql scripts, as nx sync does (--check for CI).`,
    `  ${'g'.padEnd(width)}Run a generator: ${Object.keys(generators(PACKAGE_ROOT)).join(', ')} (acme-pg g --help).`,
    '',
    'Every command also takes --project <name or folder>: the project (a folder with an',
    'acme-pg.json) to run for. Default: the one around the current folder, else the only database.',
    'Exit codes: 0 done, 1 failed, 2 wrong usage.',
    '',
  ].join('\n');
}

/** Takes --project out of argv (the command line's own option; the executors have none). */
function takeProject(argv: string[]): { project?: string; rest: string[] } {
  const rest: string[] = [];
  let project: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--project') {
      project = argv[++i];
      if (project === undefined) throw new UsageError('--project needs a value.');
    } else if (a.startsWith('--project=')) project = a.slice('--project='.length);
    else rest.push(a);
  }
  return { project, rest };
}

export async function main(argv: string[], cwd = process.cwd()): Promise<number> {
  // Hints name the commands as this user runs them: turbo sets TURBO_HASH in every task it runs.
  useFrontEnd(process.env['TURBO_HASH'] ? 'turbo' : 'cli');
  const commands = executors();
  const [command, ...args] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    // Asked for: on stdout. Nothing asked: a usage error, on stderr.
    (command ? process.stdout : process.stderr).write(usage(commands));
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (command === 'sync')
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./sync') as typeof import('./sync')).sync(args, cwd);
  if (command === 'g' || command === 'generate')
    // Loaded here only: the generators' code is not what a db-* command should wait for.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./generate') as typeof import('./generate')).generate(PACKAGE_ROOT, args, cwd);
  const entry = commands[command];
  if (!entry) {
    const names = [...Object.keys(commands), 'sync', 'g'];
    const near = names.find((c) => c === `db-${command}`) ?? closest(command, names);
    process.stderr.write(
      `acme-pg: unknown command '${command}'.${near ? ` Did you mean ${near}?` : ''} The commands: ${names.join(', ')} (acme-pg --help).\n`,
    );
    return 2;
  }
  const schema: CommandSchema = JSON.parse(readFileSync(join(PACKAGE_ROOT, entry.schema), 'utf-8'));
  const own = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (own.includes('--help') || own.includes('-h')) {
    process.stdout.write(commandHelp(command, entry.description, schema));
    return 0;
  }
  let options: Record<string, unknown>;
  let context: RunContext;
  try {
    const { project, rest } = takeProject(args);
    options = parseCommandArgs(schema, rest);
    const root = findWorkspaceRoot(cwd);
    const projects = findMarkerProjects(root);
    const chosen = chooseProject(root, cwd, projects, {
      project,
      module: typeof options['module'] === 'string' ? options['module'] : undefined,
    });
    context = {
      root,
      cwd,
      isVerbose: false,
      projectName: chosen.name,
      projectsConfigurations: {
        projects: Object.fromEntries(projects.map((p) => [p.name, { root: p.root }])),
      },
    };
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const help = e.seeHelp ? ` See acme-pg ${command} --help.` : '';
    const message = `acme-pg ${command}: ${e.message}${help}`;
    process.stderr.write(`${message}\n`);
    // `acme-pg … --json | jq` reads an object even when the command line was wrong.
    if (own.some((a) => a === '--json' || a.startsWith('--json=')))
      process.stdout.write(`${JSON.stringify({ ok: false, usage: true, message })}\n`);
    return 2;
  }
  const json = options['json'] ? jsonOnStdout() : undefined;
  const implementation = join(PACKAGE_ROOT, entry.implementation);
  if (!existsSync(`${implementation}.js`) && !existsSync(`${implementation}.ts`))
    throw new Error(
      `acme-pg is incomplete: ${implementation} is missing; reinstall @acme/pg-core.`,
    );
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const run = require(implementation).default as (
    o: Record<string, unknown>,
    c: RunContext,
  ) => Promise<{ success: boolean }>;
  // Outside Nx nothing else keeps Node running: a foreground server, which waits only for a
  // signal, would end at once.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    const result = await run(options, context);
    if (!result.success) json?.failed();
    return result.success ? 0 : 1;
  } finally {
    clearInterval(keepAlive);
  }
}

/**
 * --json: stdout carries the one JSON result and nothing else; every other line goes to stderr.
 * A command that fails without printing its JSON still gives one, `{ "ok": false, "message" }`,
 * so `| jq` always has an object to read.
 */
function jsonOnStdout(): { failed(): void } {
  const error = console.error.bind(console);
  let last = '';
  console.error = (...a: unknown[]) => {
    last = a.map(String).join(' ');
    error(...a);
  };
  console.log = console.info = console.warn = (...a: unknown[]) => error(...a);
  const write = process.stdout.write.bind(process.stdout);
  let wrote = false;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    wrote = true;
    return (write as (...x: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  return {
    failed() {
      const message = last.replace(/\x1b\[[0-9;]*m/g, '').trim();
      if (!wrote) write(`${JSON.stringify({ ok: false, message })}\n`);
    },
  };
}
