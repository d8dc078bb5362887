import type { RunContext } from '../run-context';
import { logger } from '../../utils/logger';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { KeyOf, moduleKeys, ModuleKeys } from '../../polytope/postgres-module';
import { findPt, KeyKind, listPtKeys, PtSet, runPtSet, showPtCommand } from '../../polytope/pt-cli';
import { KeyRef, referencedKeys } from '../../polytope/value-refs';
import { withClient } from '../../postgres/connect';
import { ident } from '../../postgres/databases';
import { connectionEnvNames } from '../../postgres/env-names';
import { readEnvFile, renderEnvFile, shellUnsafeKeys, writeEnvFile } from '../../postgres/env-file';
import { ignoreInGit } from '../../postgres/gitignore';
import { roleKeys, roleOfEnvName } from '../../postgres/role-keys';
import { generatePassword } from '../../postgres/scram';
import { fail } from '../../utils/errors';
import { readLocalState } from '../../workspace/local-state';
import { isInitialised, serverUser } from '../../postgres/local-server';
import { ExecutorTarget, guarded, note, recordEnvFile, resolveTarget } from '../executor-target';
import { localDatabase } from '../local-database';
import { askHidden, canPrompt } from './prompt';
import { rotatePassword } from './rotate';
import { DbValuesExecutorSchema } from './schema';
import { generatorCommand } from '../../utils/commands';

export default async function dbValuesExecutor(
  options: DbValuesExecutorSchema,
  context: RunContext,
): Promise<{ success: boolean }> {
  return guarded(() => run(options, context));
}

const IDENTIFIER = /^[a-z_][a-z0-9_$]{0,62}$/;

/** The workspace's name as a database name: `@acme/source` → `acme`, `my-shop` → `my_shop`. */
export function workspaceDatabaseName(root: string): string {
  let name = basename(root);
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf-8')).name as string;
    const m = /^(?:@([^/]+)\/)?(.+)$/.exec(pkg ?? '');
    if (m) name = m[2] === 'source' && m[1] ? m[1] : m[2];
  } catch {
    // no package.json: the folder's name
  }
  const id =
    name
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'app';
  return (/^[0-9]/.test(id) ? `db_${id}` : id).slice(0, 63);
}

interface Resolved {
  value: string;
  from: string;
  generated?: boolean;
}

/** A key db-values manages: a plain value, or a password (never replaced once set). */
interface Item {
  ref: KeyRef;
  /** Why db-values leaves a key it would manage to the user (a password in a pt value). */
  refused?: string;
  plain?: () => Resolved;
  password?: {
    /** Environment variables that give it, first wins. */
    vars: string[];
    /** Its name in the env file. */
    fileVar: string;
    what: string;
    /** The plaintext password an adopted module had in polytope.yml (its data was made with it). */
    old?: string;
    /** The local cluster db-up made with the password, when there is one (shown path). */
    cluster?: string;
    /** For a database-user script's role: its name. */
    role?: string;
  };
}

/** Literal settings of a module the generator adopted, and its old plaintext password. */
interface Adopted {
  database?: string;
  username?: string;
  /** The container file the module read its user (database) from: db-values cannot read it. */
  usernameFile?: string;
  databaseFile?: string;
  oldPassword?: string;
}

type Action = 'set' | 'kept' | 'unknown';

interface Step {
  item: Item;
  action: Action;
  value?: string;
  from?: string;
  generated?: boolean;
}

function validate(o: DbValuesExecutorSchema): void {
  if (o.database !== undefined && !IDENTIFIER.test(o.database))
    fail(
      `Invalid --database '${o.database}': use a lower-case identifier (a-z, 0-9, '_'; at most 63 characters).`,
    );
  if (o.user !== undefined && (o.user === '' || /[\0\n\r]/.test(o.user)))
    fail(`Invalid --user: give a role name without control characters.`);
  if (
    o.exposedPort !== undefined &&
    !(Number.isInteger(o.exposedPort) && o.exposedPort > 0 && o.exposedPort < 65536)
  )
    fail(`Invalid --exposedPort ${o.exposedPort}: use a number from 1 to 65535.`);
  if (o.noPt && !o.envFile && !o.rotatePassword)
    fail('--noPt skips pt, so there is nothing to do without --envFile <path>.');
}

async function run(o: DbValuesExecutorSchema, context: RunContext): Promise<boolean> {
  validate(o);
  // The connection (for --rotatePassword) is the superuser's, from the environment and the env
  // file; --database and --user are values here, not connection settings.
  const target = resolveTarget(
    { ...o, database: undefined, user: undefined },
    context,
    process.env,
    {
      asAppRole: false,
      envFile: o.envFile,
    },
  );
  const id = target.moduleId;
  if (!target.file || !target.record) {
    fail(
      `No polytope.yml records module '${id}'; run ${generatorCommand('module')} --id ${id} first.`,
    );
  }
  const record = target.record;
  const refs = referencedKeys(target.file, id, target.stackFiles);
  if (refs.length === 0)
    fail(
      `Module '${id}' references no pt.value or pt.secret; run ${generatorCommand('module')} --id ${id} to bring it up to the blueprint.`,
    );
  const env = process.env;
  const names = connectionEnvNames(id);
  // The keys the server reads, by the names its env gives them (an adopted module keeps its own).
  const k = moduleKeys(id, target.module?.env);
  // What an adopted module's data was created with (recorded by the module generator).
  const adopted: Adopted = {
    ...(record.defaults ?? {}),
    oldPassword: readLocalState(context.root, record.projectRoot).oldPassword,
  };

  // The env file's current values count as set: the one being written, else the recorded one.
  const envFilePath = o.envFile
    ? resolve(context.root, o.envFile)
    : record.envFile
      ? join(context.root, record.envFile)
      : undefined;
  const fileVals = (envFilePath && readEnvFile(envFilePath)) || {};
  const fileName = envFilePath ? relative(context.root, envFilePath) : '';

  const cluster = initialisedLocalCluster(o, context);
  const items = planItems(
    o,
    refs,
    id,
    names,
    k,
    env,
    fileVals,
    fileName,
    record.roles,
    context,
    target.serviceId,
    adopted,
    target.file.path,
  );
  // A role whose script came after the local database was made does not exist there yet: its
  // password is set nowhere, so one may be generated (db-psql -f then makes the role with it).
  const roleNames = items.flatMap((i) => (i.password?.role ? [i.password.role] : []));
  const absent = cluster && roleNames.length ? await rolesAbsent(target, roleNames) : undefined;
  for (const i of items)
    if (i.password)
      i.password.cluster = i.password.role && absent?.has(i.password.role) ? undefined : cluster;
  const pt = o.noPt ? undefined : findPt(env);
  if (!o.noPt && !pt && !o.dryRun) {
    // Values and user names are shown; passwords are never asked for or shown: pt reads them from the terminal.
    const shown = items
      .filter((i) => i.plain || i.password)
      .map(
        (i) =>
          `  ${i.password ? showPtCommand({ kind: i.ref.kind, key: i.ref.key, value: '' }) : showPtCommand({ kind: i.ref.kind, key: i.ref.key, value: i.plain!().value }, false)}`,
      );
    fail(
      `pt is not on PATH, so nothing was set. Install Polytope's CLI, or run these yourself (pt reads each password from the terminal: type or paste it, then Ctrl-D):\n${shown.join('\n')}`,
    );
  }

  // Which keys pt has: kept unless --overwrite (a password: always kept); when pt cannot say, none is touched.
  const existing = { value: new Set<string>(), secret: new Set<string>() };
  let unknownState = false;
  if (pt && !o.dryRun) {
    for (const kind of ['value', 'secret'] as KeyKind[]) {
      const keys = listPtKeys(pt, kind, env);
      if (keys) existing[kind] = keys;
      else unknownState = true;
    }
    if (unknownState && !o.overwrite)
      note(
        false,
        'pt could not list the keys that are set, so none is overwritten: only --overwrite sets them (never a password).',
      );
  }
  const rotating = !!o.rotatePassword;
  if (o.role !== undefined && !rotating)
    fail(
      `--role names the init-script role whose password --rotatePassword changes; add --rotatePassword, or leave --role out.`,
    );
  const rotated = rotating ? rotationOf(o, id, items, target, names, k, record.roles) : undefined;

  const steps: Step[] = [];
  for (const item of items)
    steps.push(
      await decide(
        item,
        o,
        rotated?.secretKey,
        existing,
        unknownState,
        !!pt,
        fileVals,
        !!o.envFile,
      ),
    );

  if (o.dryRun) return dryRun(o, steps, target, names, rotated?.user);

  const newPassword = rotated
    ? o.generatePassword
      ? { value: generatePassword(), generated: true }
      : {
          value: (await secretFrom({}, [rotated.newVar], `new password of '${rotated.user}'`, true))
            .value,
          generated: false,
        }
    : undefined;

  // A previous password is kept only while a rotation needs it (one that was cut short included).
  const kept = Object.fromEntries(
    Object.entries(fileVals).filter(([key]) => !key.endsWith('PREVIOUS_PASSWORD')),
  );
  const envEntries = (password: string | undefined): Record<string, string> => ({
    ...kept,
    [names.host]: 'localhost',
    [names.port]: String(o.exposedPort ?? fileVals[names.port] ?? 5432),
    [names.database]:
      steps.find((s) => is(s.item.ref, k.database))?.value ??
      fileVals[names.database] ??
      o.database ??
      adopted.database ??
      workspaceDatabaseName(context.root),
    [names.user]:
      steps.find((s) => is(s.item.ref, k.username))?.value ??
      fileVals[names.user] ??
      superuserName(o, names, env, fileVals, adopted).value,
    ...(password !== undefined ? { [names.password]: password } : {}),
    // The init scripts' role passwords, so db-up and db-psql on this machine can run them.
    ...Object.fromEntries(
      steps
        .filter(
          (s) =>
            s.item.password &&
            s.item.password.fileVar.startsWith('PGINIT_') &&
            s.value !== undefined,
        )
        .map((s) => [s.item.password!.fileVar, s.value!]),
    ),
  });
  const writeFile = (password: string | undefined, extra: Record<string, string> = {}) => {
    if (!envFilePath) return;
    writeEnvFile(
      envFilePath,
      renderEnvFile(
        { ...envEntries(password), ...extra },
        `Module '${id}' seen from this machine, written by @acme/pg:db-values. Secret: never commit it.`,
      ),
    );
  };
  const superuserStep = steps.find((s) => is(s.item.ref, k.password) && !!s.item.password);
  const superuserPassword = () => superuserStep?.value ?? fileVals[names.password];

  // The env file in use, given or recorded: the executors read it, so it must not keep the old one.
  const rotationEnvFile = o.envFile || (envFilePath && existsSync(envFilePath)) ? fileName : '';
  if (rotated && newPassword) {
    const rotatedStep = steps.find((s) => s.item.ref.key === rotated.secretKey);
    await rotatePassword({
      target,
      user: rotated.user,
      check: rotated.check,
      newPassword: newPassword.value,
      generated: newPassword.generated,
      showPassword: !!o.showPassword,
      storeSecret: pt
        ? (value) => runPtSet(pt, { kind: 'secret', key: rotated.secretKey, value }, env)
        : undefined,
      secretKey: rotated.secretKey,
      writeEnvFile: rotationEnvFile
        ? (pw, previous) =>
            writeFile(superuserPassword(), {
              [rotated.fileVar]: pw,
              ...(previous ? { [rotated.previousVar]: previous } : {}),
            })
        : undefined,
      envFileName: fileName,
      oldPassword:
        rotated.user === target.settings.user && rotated.fileVar === names.password
          ? (target.settings.password ?? superuserPassword())
          : (rotatedStep?.value ?? fileVals[rotated.fileVar]),
    });
    if (rotatedStep) {
      rotatedStep.action = 'kept';
      rotatedStep.value = newPassword.value;
    }
  }

  const done: string[] = [];
  for (const s of steps) {
    if (s.action !== 'set' || s.value === undefined || !pt) continue;
    const set: PtSet = { kind: s.item.ref.kind, key: s.item.ref.key, value: s.value };
    const r = await runPtSet(pt, set, env);
    if (r.code !== 0) {
      const rest = steps
        .filter((x) => x.action === 'set' && !done.includes(x.item.ref.key) && x !== s)
        .map((x) => x.item.ref.key);
      fail(
        `${showPtCommand(set)} failed (exit ${r.code}): ${r.stderr.trim().split('\n')[0] || 'no message'}. Set before it: ${done.join(', ') || 'none'}. Not set: ${[s.item.ref.key, ...rest].join(', ')}.`,
      );
    }
    done.push(s.item.ref.key);
  }

  report(o, id, steps, rotated, target, rotationEnvFile);
  if (o.envFile) {
    const rel = relative(context.root, envFilePath!);
    writeFile(superuserPassword());
    const unsafe = shellUnsafeKeys(envEntries(superuserPassword()));
    if (unsafe.length)
      logger.warn(
        `${rel}: ${unsafe.join(', ')} hold a ' together with $, \`, \\ or a line break. The executors read them right, but a shell's \`set -a; . ./${rel}\` (as in the printed test commands) does not: a password without ' avoids it.`,
      );
    if (ignoreInGit(context.root, envFilePath!, 'file'))
      logger.info(`Added /${rel} to .gitignore.`);
    if (!rel.startsWith('..')) recordEnvFile(context, record, rel);
    logger.info(
      `Wrote ${rel.startsWith('..') ? envFilePath : rel} (0600): the settings of '${id}' from this machine; the executors read it.`,
    );
  }
  for (const s of steps.filter((x) => x.generated)) {
    if (o.showPassword) logger.info(`Generated ${s.item.ref.key}: ${s.value}  (shown once)`);
    else
      logger.info(
        `Generated ${s.item.ref.key} (32 characters); --showPassword shows it${o.envFile ? `, and ${relative(context.root, envFilePath!)} holds it` : ''}.`,
      );
  }
  return true;
}

/** Whose password --rotatePassword changes: the superuser's, or an init-script role's (--role). */
interface Rotation {
  user: string;
  secretKey: string;
  /** Its variable in the env file, and the ones for the new and the previous password. */
  fileVar: string;
  newVar: string;
  previousVar: string;
  /** How the new password must log in. */
  check: ExecutorTarget['settings'];
}

function rotationOf(
  o: DbValuesExecutorSchema,
  id: string,
  items: Item[],
  target: ExecutorTarget,
  names: ReturnType<typeof connectionEnvNames>,
  k: ModuleKeys,
  recordedRoles: Record<string, string>,
): Rotation {
  const derived = (v: string, what: string) => v.replace(/PASSWORD$/, what);
  if (o.role === undefined) {
    if (!items.some((i) => is(i.ref, k.password) && i.password))
      fail(
        k.password.kind === 'value'
          ? `Module '${id}' reads its password from the value ${k.password.key}, which is not secret: make it pt.secret ${k.password.key} in polytope.yml first.`
          : `Module '${id}' has no password secret (${k.password.key}): with trust authentication there is nothing to rotate.`,
      );
    return {
      user: target.settings.user,
      secretKey: k.password.key,
      fileVar: names.password,
      newVar: derived(names.password, 'NEW_PASSWORD'),
      previousVar: derived(names.password, 'PREVIOUS_PASSWORD'),
      check: target.settings,
    };
  }
  const r = roleKeys(id, o.role);
  if (!items.some((i) => i.password?.fileVar === r.envName))
    fail(
      `No init script of module '${id}' makes the role '${o.role}' (no ${r.envName} in its env); --role names a role of a database-user script.`,
    );
  return {
    user: o.role,
    secretKey: r.password,
    fileVar: r.envName,
    newVar: derived(r.envName, 'NEW_PASSWORD'),
    previousVar: derived(r.envName, 'PREVIOUS_PASSWORD'),
    // The superuser changes it; the role must then log in to its own database.
    check: { ...target.settings, user: o.role, database: recordedRoles[o.role] ?? o.role },
  };
}

function superuserName(
  o: DbValuesExecutorSchema,
  names: ReturnType<typeof connectionEnvNames>,
  env: NodeJS.ProcessEnv,
  fileVals: Record<string, string>,
  adopted: Adopted,
): Resolved {
  if (o.user) return { value: o.user, from: '--user' };
  if (env[names.user]) return { value: env[names.user]!, from: names.user };
  if (fileVals[names.user]) return { value: fileVals[names.user], from: 'the env file' };
  if (env['PGUSER']) return { value: env['PGUSER'], from: 'PGUSER' };
  if (adopted.username) return { value: adopted.username, from: 'the module' };
  if (adopted.usernameFile)
    fail(fromFileProblem('user', adopted.usernameFile, '--user', names.user));
  return { value: 'postgres', from: 'default' };
}

/** The same key: `pt.value x` and `pt.secret x` are two. */
function is(ref: KeyOf, key: KeyOf): boolean {
  return ref.kind === key.kind && ref.key === key.key;
}

/** Every key db-values handles: those referenced, plus host, port and database (the blueprint's). */
function planItems(
  o: DbValuesExecutorSchema,
  refs: KeyRef[],
  id: string,
  names: ReturnType<typeof connectionEnvNames>,
  k: ModuleKeys,
  env: NodeJS.ProcessEnv,
  fileVals: Record<string, string>,
  fileName: string,
  recordedRoles: Record<string, string>,
  context: RunContext,
  serviceId: string | undefined,
  adopted: Adopted,
  modulePath: string,
): Item[] {
  const all = [...refs];
  for (const key of [k.host, k.port, k.database])
    if (!all.some((r) => is(r, key))) all.push({ ...key, usedBy: ['the blueprint'] });
  const fixed = (value: string, from: string) => () => ({ value, from });
  // Roles of init scripts: PGINIT_<ROLE>_PASSWORD entries of the module itself.
  const roles = refs
    .filter((r) => r.kind === 'secret')
    .flatMap((r) =>
      r.usedBy
        .filter((u) => u.startsWith(`${id}: PGINIT_`))
        .map((u) => roleOfEnvName(u.slice(id.length + 2)))
        .filter((role): role is string => !!role)
        .map((role) => roleKeys(id, role)),
    );
  const database = (): Resolved =>
    o.database
      ? { value: o.database, from: '--database' }
      : fileVals[names.database]
        ? { value: fileVals[names.database], from: fileName }
        : adopted.database
          ? { value: adopted.database, from: 'the module' }
          : adopted.databaseFile
            ? fail(fromFileProblem('database', adopted.databaseFile, '--database', names.database))
            : { value: workspaceDatabaseName(context.root), from: "the workspace's name" };
  return all.map((ref): Item => {
    if (is(ref, k.host)) return { ref, plain: fixed(serviceId ?? id, "the module's service id") };
    if (is(ref, k.port)) return { ref, plain: fixed('5432', 'the port inside the stack') };
    if (is(ref, k.database)) return { ref, plain: database };
    if (is(ref, k.username))
      return { ref, plain: () => superuserName(o, names, env, fileVals, adopted) };
    // A value is set on pt's command line and shown by it: never a password.
    if (is(ref, k.password) && ref.kind === 'value')
      return {
        ref,
        refused: `POSTGRES_PASSWORD reads it, but a value is not secret: make it pt.secret ${ref.key} in ${modulePath}, then run db-values again`,
      };
    if (is(ref, k.password))
      return {
        ref,
        password: {
          vars: [names.password, 'PGPASSWORD'],
          fileVar: names.password,
          what: `password of '${superuserName(o, names, env, fileVals, adopted).value}'`,
          old: adopted.oldPassword,
        },
      };
    for (const r of roles) {
      if (ref.kind === 'secret' && ref.key === r.password)
        return {
          ref,
          password: {
            vars: [r.envName],
            fileVar: r.envName,
            what: `password of role '${r.role}' (${r.envName})`,
            role: r.role,
          },
        };
      if (ref.kind === 'secret' && ref.key === r.username)
        return { ref, plain: fixed(r.role, `the role of ${r.envName}`) };
      if (ref.kind === 'value' && ref.key === r.database)
        return {
          ref,
          plain: fixed(recordedRoles[r.role] ?? r.role, `the database of role '${r.role}'`),
        };
    }
    return { ref };
  });
}

async function decide(
  item: Item,
  o: DbValuesExecutorSchema,
  rotatedKey: string | undefined,
  existing: Record<KeyKind, Set<string>>,
  unknownState: boolean,
  usingPt: boolean,
  fileVals: Record<string, string>,
  writingFile: boolean,
): Promise<Step> {
  const inPt = existing[item.ref.kind].has(item.ref.key);
  if (item.plain) {
    const action: Action =
      !usingPt && !o.dryRun
        ? 'kept'
        : o.overwrite
          ? 'set'
          : unknownState
            ? 'unknown'
            : inPt
              ? 'kept'
              : 'set';
    const v = item.plain();
    return { item, action, value: v.value, from: v.from };
  }
  if (!item.password) return { item, action: 'unknown' };
  const p = item.password;
  if (item.ref.key === rotatedKey) return { item, action: 'set', from: 'the new password' };
  if (o.dryRun) {
    // Where the real run takes it from, named without reading or asking for it.
    const from =
      fileVals[p.fileVar] !== undefined
        ? `${p.fileVar} in the env file`
        : (p.vars.find((v) => process.env[v]) ??
          (p.old !== undefined ? 'the old polytope.yml' : undefined));
    return { item, action: 'set', value: '****', ...(from ? { from } : {}) };
  }
  // A password that is set stays: the database keeps the one it was initialised with.
  const fromEnv = p.vars.find((v) => process.env[v]);
  const inFile = fileVals[p.fileVar];
  if (fromEnv && inFile !== undefined && process.env[fromEnv] !== inFile)
    fail(
      `${fromEnv} differs from ${p.fileVar} in the env file, which is set already: db-values never replaces a set password (the database keeps the one it was initialised with). Unset ${fromEnv}, or change it on the server too with --rotatePassword. Nothing was set.`,
    );
  if (!inFile && !fromEnv && p.old !== undefined)
    logger.warn(
      `Using the password the module had in polytope.yml (its data was created with it). It is in git history: change it with --rotatePassword.`,
    );
  const known: Resolved | undefined = inFile
    ? { value: inFile, from: 'the env file' }
    : fromEnv
      ? { value: process.env[fromEnv]!, from: fromEnv }
      : p.old !== undefined
        ? { value: p.old, from: 'the old polytope.yml' }
        : undefined;
  const action: Action = !usingPt ? 'kept' : unknownState ? 'unknown' : inPt ? 'kept' : 'set';
  if (known) return { item, action, ...known };
  if (inPt || unknownState) {
    if (!writingFile) return { item, action };
    // pt has it, the env file needs it, and it cannot be read back: only the user knows it.
    const v = await secretFrom(
      {},
      p.vars,
      p.what,
      false,
      `The secret ${item.ref.key} is set, but its value is not known here (pt cannot show secrets). Give it in ${p.vars.join(' or ')} so the env file holds the same, or run this on a terminal to be asked.`,
    );
    return { item, action, ...v };
  }
  if (p.cluster && o.generatePassword && !o.rotatePassword)
    fail(
      `The local database in ${p.cluster} was initialised with the ${p.what}, and it is not known here (not in the env file or the environment): a generated one would not let anyone in. Give it (${p.vars.join(' or ')}), or start that database over with db-up --reset --yes (deletes its data).${p.role ? ` If role '${p.role}' was added after the database was made, start it (db-up) and run this again: a role it does not have yet gets a new password.` : ''} Nothing was set.`,
    );
  return { item, action: usingPt ? 'set' : 'kept', ...(await secretFrom(o, p.vars, p.what)) };
}

/** Of these roles, those the running database does not have; undefined when it cannot be asked. */
async function rolesAbsent(
  target: ExecutorTarget,
  roles: string[],
): Promise<Set<string> | undefined> {
  try {
    const have = await withClient(target.settings, { timeoutSeconds: 2 }, async (c) =>
      (
        await c.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [
          roles,
        ])
      ).rows.map((r) => r.rolname),
    );
    return new Set(roles.filter((r) => !have.includes(r)));
  } catch {
    return undefined; // not running, or not reachable: nothing is assumed
  }
}

/** The module's local cluster that db-up initialised, as shown, when there is one. */
function initialisedLocalCluster(
  o: DbValuesExecutorSchema,
  context: RunContext,
): string | undefined {
  try {
    const db = localDatabase(o, context, serverUser(false));
    return isInitialised(db.pgdata) ? db.shownDataDir : undefined;
  } catch {
    // No module, no polytope.yml, nothing local: nothing to protect.
    return undefined;
  }
}

function dryRun(
  o: DbValuesExecutorSchema,
  steps: Step[],
  target: ReturnType<typeof resolveTarget>,
  names: ReturnType<typeof connectionEnvNames>,
  rotatedUser: string | undefined,
): boolean {
  const lines = ['Dry run: nothing is run. The commands:'];
  if (rotatedUser)
    lines.push(
      `  ALTER ROLE ${ident(rotatedUser)} PASSWORD '<verifier of the new password>'  (on ${target.settings.host}:${target.settings.port}, after the new secret is stored)`,
    );
  for (const s of steps) {
    if (s.item.refused) lines.push(`  # ${s.item.ref.kind} ${s.item.ref.key}: ${s.item.refused}`);
    else if (!s.item.plain && !s.item.password)
      lines.push(
        `  # ${s.item.ref.kind} ${s.item.ref.key}: not managed by db-values (used by ${s.item.ref.usedBy.join(', ')}); set it yourself`,
      );
    else if (!o.noPt)
      lines.push(
        `  ${s.item.password ? showPtCommand({ kind: s.item.ref.kind, key: s.item.ref.key, value: '' }) : showPtCommand({ kind: s.item.ref.kind, key: s.item.ref.key, value: s.value! }, false)}   # ${s.item.password ? `only if it is not set; ${s.from ? `on stdin, from ${s.from}` : 'asked for on a terminal, or --generatePassword'}` : 'kept if it exists, unless --overwrite'}`,
      );
  }
  if (o.envFile)
    lines.push(
      `  write ${o.envFile} (0600, git-ignored): ${[names.host, names.port, names.database, names.user, names.password].join(', ')}`,
    );
  logger.info(lines.join('\n'));
  return true;
}

function report(
  o: DbValuesExecutorSchema,
  id: string,
  steps: Step[],
  rotated: Rotation | undefined,
  target: ReturnType<typeof resolveTarget>,
  /** The env file that got the new password, if one did. */
  envFile: string,
): void {
  const lines: string[] = [];
  if (rotated) {
    const also = [
      ...(o.noPt ? [] : [`secret ${rotated.secretKey}`]),
      ...(envFile ? [envFile] : []),
    ];
    lines.push(
      `Changed the password of '${rotated.user}' on ${target.settings.host}:${target.settings.port} (sent as a SCRAM verifier)${also.length ? ` and in ${also.join(' and in ')}` : ''}.`,
    );
  }
  for (const s of steps) {
    const what = `${s.item.ref.kind} ${s.item.ref.key}`;
    if (s.item.refused) lines.push(`  ! ${what}: ${s.item.refused}`);
    else if (!s.item.plain && !s.item.password)
      lines.push(
        `  ? ${what}: not managed by db-values (used by ${s.item.ref.usedBy.join(', ')}); set it yourself`,
      );
    else if (o.noPt || s.item.ref.key === rotated?.secretKey) continue;
    else if (s.action === 'kept')
      lines.push(
        s.item.password
          ? `  = ${what}: already set, kept (a set password changes only with --rotatePassword)`
          : `  = ${what}: already set, kept (--overwrite to replace it)`,
      );
    else if (s.action === 'unknown')
      lines.push(
        `  ? ${what}: not set (pt could not list keys; ${s.item.password ? 'set it yourself if it is missing' : '--overwrite sets it'})`,
      );
    else
      lines.push(
        `  + ${what} = ${s.item.ref.kind === 'secret' ? '****' : s.value} (from ${s.from})`,
      );
  }
  if (o.overwrite && steps.some((s) => s.item.password && s.action === 'kept'))
    lines.push('  (--overwrite never replaces a password: use --rotatePassword)');
  if (lines.length) logger.info([`Values and secrets of module '${id}':`, ...lines].join('\n'));
}

/** A secret from the first environment variable set, else generated (--generatePassword), else asked for. */
async function secretFrom(
  o: Pick<DbValuesExecutorSchema, 'generatePassword'>,
  vars: string[],
  what: string,
  confirm = false,
  missing?: string,
): Promise<Resolved> {
  for (const v of vars) if (process.env[v]) return { value: process.env[v]!, from: v };
  if (o.generatePassword) return { value: generatePassword(), from: 'generated', generated: true };
  if (canPrompt()) {
    const value = await askHidden(`${what[0].toUpperCase()}${what.slice(1)}: `);
    if (!value) fail(`No ${what} given; nothing was set.`);
    if (confirm && (await askHidden('Again: ')) !== value)
      fail('The two entries differ; nothing was set.');
    return { value, from: 'the prompt' };
  }
  fail(
    missing
      ? `${missing} Nothing was set.`
      : `No ${what} given: set ${vars.join(' or ')}, or pass --generatePassword, or run this on a terminal to be asked. Nothing was set.`,
  );
}

/**
 * A module whose data was made with the user (or database) of a file in the container: a default
 * here would be a guess, and a wrong one locks the apps out. Nothing was set.
 */
function fromFileProblem(what: string, file: string, option: string, variable: string): string {
  return `The module's data was created with the ${what} in the file ${file} (POSTGRES_${what === 'user' ? 'USER' : 'DB'}_FILE), which db-values cannot read: give it with ${option} <the ${what} in that file> (or set ${variable}). Nothing was set.`;
}
