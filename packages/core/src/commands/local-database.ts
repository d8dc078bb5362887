/**
 * What db-up and db-down share: the module's server settings read from polytope.yml and the
 * environment, and where its data lives on this machine.
 */
import type { RunContext } from './run-context';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { imageMajor } from '../polytope/image';
import { mountPathCandidates } from '../polytope/mount-path';
import { envValue, parseCmd } from '../polytope/postgres-module';
import {
  blockingFolder,
  removeSocketDir,
  RunAs,
  runningPid,
  sharedRootFolder,
} from '../postgres/local-server';
import { readLocalState, updateLocalState } from '../workspace/local-state';
import { fail } from '../utils/errors';
import { ExecutorTarget, resolveTarget, TargetOptions } from './executor-target';
import { generatorCommand } from '../utils/commands';

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
  /** The database project's root, where its machine-local state lives. */
  projectRoot: string;
  /** Whether the data folder is inside the workspace (and so git-ignored there). */
  inWorkspace: boolean;
  /** Makes the folders above the data folder (the root-owned one in /var/lib/acme-pg, checked). */
  makeDataParent: () => void;
  pgdata: string;
  /** Variables the init scripts read (PGINIT_*), from the env file and the environment. */
  scriptEnv: NodeJS.ProcessEnv;
  notes: string[];
}

const SHARED_DATA = '/var/lib/acme-pg';

const literal = (v: string | undefined) => (v && !/^pt\.(value|secret)\s/.test(v) ? v : undefined);

/**
 * Where the data lives: --dataDir, else tmp/pg/<id> in the workspace; when the server's user cannot
 * reach that (root in a private checkout), a folder of the workspace's own in /var/lib/acme-pg.
 */
function dataDirOf(
  o: { dataDir?: string },
  root: string,
  id: string,
  runAs: RunAs | undefined,
  notes: string[],
): string {
  const inside = resolve(root, o.dataDir ?? join('tmp', 'pg', id));
  if (o.dataDir || !runAs) return inside;
  const blocked = blockingFolder(inside, runAs);
  if (!blocked) return inside;
  const key = createHash('sha256').update(resolve(root)).digest('hex').slice(0, 10);
  const outside = join(SHARED_DATA, `${basename(root)}-${key}`, id);
  notes.push(
    `The server runs as '${runAs.name}', which cannot enter ${blocked.dir} (mode ${blocked.mode.toString(8)}), so the data of '${id}' lives in ${outside}.`,
  );
  return outside;
}

/**
 * db-up and db-down run the module's server on this machine: a host (or an sslmode for one) is
 * another server's, so it is refused rather than ignored. Nx passes an option its schema does not
 * list; the acme-pg command refuses it as unknown before this.
 */
export function refuseRemoteOptions(
  o: { host?: unknown; sslmode?: unknown },
  command: string,
): void {
  for (const name of ['host', 'sslmode'] as const)
    if (o[name] !== undefined)
      fail(
        `${command} runs the module's server on this machine (localhost), so --${name} ${String(o[name])} does not apply; leave it out. To reach another server, give it to db-check, db-psql and the other executors.`,
      );
}

export function localDatabase(
  o: TargetOptions & { dataDir?: string },
  context: RunContext,
  runAs?: RunAs,
): LocalDatabase {
  const target = resolveTarget(o, context);
  const id = target.moduleId;
  if (!target.file || !target.record)
    fail(
      `No polytope.yml records module '${id}'; run ${generatorCommand('module')} --id ${id} first.`,
    );
  const existing = target.module;
  if (!existing)
    fail(
      `Module '${id}' is not in ${target.record.polytopeFile}; run ${generatorCommand('module')} --id ${id}.`,
    );
  const notes: string[] = [];
  const auth = envValue(existing, 'POSTGRES_HOST_AUTH_METHOD');
  if (auth && !literal(auth))
    notes.push(`POSTGRES_HOST_AUTH_METHOD is ${auth}: using scram-sha-256 here.`);
  const initdb = literal(envValue(existing, 'POSTGRES_INITDB_ARGS'));
  const scripts = Array.isArray(existing.scripts) ? (existing.scripts as { path?: unknown }[]) : [];
  const bundlePath = typeof scripts[0]?.path === 'string' ? scripts[0].path : undefined;
  const dataDir = dataDirOf(o, context.root, id, runAs, notes);
  const rel = relative(context.root, dataDir);
  const inWorkspace = !!rel && !rel.startsWith('..') && !isAbsolute(rel);
  return {
    target,
    projectRoot: target.record.projectRoot,
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
    shownDataDir: inWorkspace ? rel : dataDir,
    inWorkspace,
    // Only db-up makes it: the commands that only read where the data is must not.
    makeDataParent: () => {
      if (dirname(dirname(dataDir)) === SHARED_DATA && !o.dataDir)
        sharedRootFolder('lib', basename(dirname(dataDir)));
    },
    pgdata: join(dataDir, 'data'),
    scriptEnv: { ...(target.envFile ?? {}), ...process.env },
    notes,
  };
}

/** The server running on the data folder, as its postmaster.pid describes it. */
export interface RunningServer {
  pid: number;
  port: number;
  /** Who started it (see db-up), when db-up recorded it. */
  startedBy?: string;
}

export function runningServer(db: LocalDatabase): RunningServer | undefined {
  const pid = runningPid(db.pgdata);
  if (!pid) return undefined;
  // postmaster.pid: pid, data folder, start time, port, socket folder, listen address, …
  const lines = readFileSync(join(db.pgdata, 'postmaster.pid'), 'utf-8').split('\n');
  const port = Number(lines[3]) || db.target.settings.port;
  const recorded = readLocalState(db.target.root, db.projectRoot).server;
  return { pid, port, startedBy: recorded?.pid === pid ? recorded.startedBy : undefined };
}

/** Drops the recorded server (it stopped) and the socket folder db-up made for it. */
export function forgetServer(db: LocalDatabase): void {
  const recorded = readLocalState(db.target.root, db.projectRoot).server;
  if (!recorded) return;
  if (runningPid(recorded.dataDir) !== recorded.pid) removeSocketDir(recorded.socketDir);
  updateLocalState(db.target.root, db.projectRoot, { server: undefined });
}
