/**
 * What db-up and db-down share: the module's server settings read from polytope.yml and the
 * environment, and where its data lives on this machine.
 */
import { ExecutorContext } from '@nx/devkit';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { imageMajor } from '../polytope/image';
import { mountPathCandidates } from '../polytope/mount-path';
import { envValue, parseCmd } from '../polytope/postgres-module';
import { fail } from '../utils/errors';
import { ExecutorTarget, resolveTarget, TargetOptions } from './executor-target';

export interface LocalDatabase {
  target: ExecutorTarget;
  image?: string;
  major: number | null;
  authMethod: string;
  initdbArgs: string[];
  settings: Record<string, string>;
  bundle?: string;
  dataDir: string;
  shownDataDir: string;
  pgdata: string;
  /** Variables the init scripts read (PGINIT_*), from the env file and the environment. */
  scriptEnv: NodeJS.ProcessEnv;
  notes: string[];
}

const literal = (v: string | undefined) => (v && !/^pt\.(value|secret)\s/.test(v) ? v : undefined);

export function localDatabase(
  o: TargetOptions & { dataDir?: string },
  context: ExecutorContext,
): LocalDatabase {
  const target = resolveTarget(o, context);
  const id = target.moduleId;
  if (!target.file || !target.record)
    fail(`No polytope.yml records module '${id}'; run nx g @acme/pg:module --id ${id} first.`);
  const existing = target.module;
  if (!existing)
    fail(
      `Module '${id}' is not in ${target.record.polytopeFile}; run nx g @acme/pg:module --id ${id}.`,
    );
  const notes: string[] = [];
  const auth = envValue(existing, 'POSTGRES_HOST_AUTH_METHOD');
  if (auth && !literal(auth))
    notes.push(`POSTGRES_HOST_AUTH_METHOD is ${auth}: using scram-sha-256 here.`);
  const initdb = literal(envValue(existing, 'POSTGRES_INITDB_ARGS'));
  const scripts = Array.isArray(existing.scripts) ? (existing.scripts as { path?: unknown }[]) : [];
  const bundlePath = typeof scripts[0]?.path === 'string' ? scripts[0].path : undefined;
  const dataDir = resolve(context.root, o.dataDir ?? join('tmp', 'pg', id));
  const rel = relative(context.root, dataDir);
  return {
    target,
    image: existing.image,
    major: existing.image ? imageMajor(existing.image) : null,
    authMethod: literal(auth) ?? 'scram-sha-256',
    initdbArgs: initdb ? initdb.split(/\s+/).filter(Boolean) : [],
    settings: parseCmd(existing.cmd).settings,
    // `./…` in an included file is relative to the stack's root (where pt runs).
    bundle: bundlePath
      ? join(
          context.root,
          mountPathCandidates(
            bundlePath,
            target.record.polytopeFile,
            target.record.stackFile ?? target.record.polytopeFile,
          )[0],
        )
      : undefined,
    dataDir,
    shownDataDir: rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : dataDir,
    pgdata: join(dataDir, 'data'),
    scriptEnv: { ...(target.envFile ?? {}), ...process.env },
    notes,
  };
}
