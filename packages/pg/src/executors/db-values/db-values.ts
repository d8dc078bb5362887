import { ExecutorContext, logger } from '@nx/devkit';
import { readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { valueKeys } from '../../polytope/postgres-module';
import { findPt, KeyKind, listPtKeys, PtSet, runPtSet, showPtCommand } from '../../polytope/pt-cli';
import { KeyRef, referencedKeys } from '../../polytope/value-refs';
import { connect, withClient } from '../../postgres/connect';
import { ident, literal } from '../../postgres/databases';
import { connectionEnvNames } from '../../postgres/env-names';
import { renderEnvFile, writeEnvFile } from '../../postgres/env-file';
import { ignoreInGit } from '../../postgres/gitignore';
import { generatePassword, md5Verifier, scramVerifier } from '../../postgres/scram';
import { fail } from '../../utils/errors';
import { readLocalState } from '../../workspace/local-state';
import { guarded, note, recordEnvFile, resolveTarget } from '../executor-target';
import { askHidden, canPrompt } from './prompt';
import { DbValuesExecutorSchema } from './schema';

export default async function dbValuesExecutor(
  options: DbValuesExecutorSchema,
  context: ExecutorContext,
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

interface Item {
  ref: KeyRef;
  /** How its value is found; undefined for a key db-values does not manage. */
  source?: () => Promise<{ value: string; from: string; generated?: boolean }>;
  password?: boolean;
}

async function run(o: DbValuesExecutorSchema, context: ExecutorContext): Promise<boolean> {
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

  // The connection (for --rotatePassword) comes from the environment; --database and --user are values here.
  const target = resolveTarget({ ...o, database: undefined, user: undefined }, context);
  const id = target.moduleId;
  if (!target.file || !target.record) {
    fail(`No polytope.yml records module '${id}'; run nx g @acme/pg:module --id ${id} first.`);
  }
  const refs = referencedKeys(target.file, id, target.stackFiles);
  if (refs.length === 0)
    fail(
      `Module '${id}' references no pt.value or pt.secret; run nx g @acme/pg:module --id ${id} to bring it up to the blueprint.`,
    );
  const env = process.env;
  const names = connectionEnvNames(id);
  const k = valueKeys(id);
  const once = <T>(f: () => Promise<T>) => {
    let p: Promise<T> | undefined;
    return () => (p ??= f());
  };
  // What an adopted module's data was created with comes first (recorded by the module generator).
  const kept = target.record.defaults ?? {};
  const database = o.database ?? kept.database ?? workspaceDatabaseName(context.root);
  const user = o.user ?? env[names.user] ?? env['PGUSER'] ?? kept.username ?? 'postgres';
  const oldPassword = readLocalState(context.root, target.record.projectRoot).oldPassword;
  const password = once(async () => {
    if (oldPassword !== undefined && !env[names.password] && !env['PGPASSWORD']) {
      logger.warn(
        `Using the password module '${id}' had in polytope.yml (the data was created with it). It is in git history: change it with --rotatePassword.`,
      );
      return { value: oldPassword, from: 'the old polytope.yml' };
    }
    return secretFrom(o, [names.password, 'PGPASSWORD'], `password of '${user}'`);
  });
  // Init scripts' role secrets: the PGINIT_<ROLE>_PASSWORD entry of the module that uses each.
  const roleEnv = new Map(
    refs
      .filter((r) => r.kind === 'secret')
      .flatMap((r) =>
        r.usedBy
          .filter((u) => u.startsWith(`${id}: PGINIT_`))
          .map((u) => [r.key, u.slice(id.length + 2)] as const),
      ),
  );
  const items: Item[] = refs.map((ref) => {
    const fixed = (value: string, from: string) => async () => ({ value, from });
    if (ref.kind === 'value' && ref.key === k.values.host)
      return { ref, source: fixed(target.serviceId ?? id, "the module's service id") };
    if (ref.kind === 'value' && ref.key === k.values.port)
      return { ref, source: fixed('5432', 'the port inside the stack') };
    if (ref.kind === 'value' && ref.key === k.values.database)
      return {
        ref,
        source: fixed(
          database,
          o.database ? '--database' : kept.database ? 'the module' : "the workspace's name",
        ),
      };
    if (ref.kind === 'secret' && ref.key === k.secrets.username)
      return {
        ref,
        source: fixed(
          user,
          o.user ? '--user' : env[names.user] ? names.user : env['PGUSER'] ? 'PGUSER' : 'default',
        ),
      };
    if (ref.kind === 'secret' && ref.key === k.secrets.password)
      return { ref, source: password, password: true };
    const roleVar = roleEnv.get(ref.key);
    if (ref.kind === 'secret' && roleVar)
      return {
        ref,
        source: once(() => secretFrom(o, [roleVar], `password for ${roleVar}`)),
        password: true,
      };
    return { ref };
  });

  const pt = o.noPt ? undefined : findPt(env);
  const managed = items.filter((i) => i.source);
  const sets = (i: Item, value: string): PtSet => ({ kind: i.ref.kind, key: i.ref.key, value });
  if (!o.noPt && !pt && !o.dryRun) {
    // Values are shown; secrets stay masked and are not even asked for.
    const shown = await Promise.all(
      managed.map(async (i) => {
        const value = i.ref.kind === 'secret' ? '****' : (await i.source!()).value;
        return `  ${showPtCommand(sets(i, value))}`;
      }),
    );
    fail(
      `pt is not on PATH, so nothing was set. Install Polytope's CLI, or run these yourself (each secret on stdin):\n${shown.join('\n')}`,
    );
  }

  // Which keys exist: kept unless --overwrite; when pt cannot say, none is touched without it.
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
        'pt could not list the keys that are set, so none is overwritten: only --overwrite sets them.',
      );
  }
  const rotating = !!o.rotatePassword;
  const decide = (i: Item): 'set' | 'kept' | 'unknown' => {
    if (rotating && i.ref.key === k.secrets.password) return 'set';
    if (o.overwrite) return 'set';
    if (unknownState) return 'unknown';
    return existing[i.ref.kind].has(i.ref.key) ? 'kept' : 'set';
  };

  let newPassword: { value: string; generated: boolean } | undefined;
  if (rotating) {
    if (!refs.some((r) => r.kind === 'secret' && r.key === k.secrets.password))
      fail(
        `Module '${id}' has no password secret (${k.secrets.password}): with trust authentication there is nothing to rotate.`,
      );
    newPassword = o.generatePassword
      ? { value: generatePassword(), generated: true }
      : {
          value: (
            await secretFrom(
              {},
              [`${names.password.replace(/PASSWORD$/, 'NEW_PASSWORD')}`],
              `new password of '${target.settings.user}'`,
              true,
            )
          ).value,
          generated: false,
        };
  }

  const plan: {
    item: Item;
    action: 'set' | 'kept' | 'unknown';
    value?: string;
    from?: string;
    generated?: boolean;
  }[] = [];
  for (const item of items) {
    if (!item.source) {
      plan.push({ item, action: 'unknown' });
      continue;
    }
    const action = decide(item);
    if (action !== 'set' || (o.noPt && !item.password)) {
      plan.push({ item, action });
      continue;
    }
    if (rotating && item.ref.key === k.secrets.password) {
      plan.push({
        item,
        action,
        value: newPassword!.value,
        from: newPassword!.generated ? 'generated' : 'the new password',
        generated: newPassword!.generated,
      });
      continue;
    }
    if (o.dryRun && item.ref.kind === 'secret') {
      // A dry run shows secrets masked, so it neither asks for them nor generates them.
      plan.push({ item, action, value: '****', from: 'not resolved in a dry run' });
      continue;
    }
    const v = await item.source();
    plan.push({ item, action, value: v.value, from: v.from, generated: v.generated });
  }

  if (o.dryRun) {
    const lines = ['Dry run: nothing is run. The commands:'];
    if (rotating)
      lines.push(
        `  ALTER ROLE ${ident(target.settings.user)} PASSWORD '<verifier of the new password>'  (on ${target.settings.host}:${target.settings.port})`,
      );
    for (const p of plan) {
      if (!p.item.source)
        lines.push(
          `  # ${p.item.ref.kind} ${p.item.ref.key}: not managed by db-values (used by ${p.item.ref.usedBy.join(', ')}); set it yourself`,
        );
      else if (!o.noPt)
        lines.push(
          `  ${showPtCommand(sets(p.item, p.item.ref.kind === 'secret' ? '****' : (p.value ?? (await p.item.source()).value)))}   # kept if it exists, unless --overwrite`,
        );
    }
    if (o.envFile)
      lines.push(
        `  write ${o.envFile} (0600, git-ignored): ${Object.keys(envFileEntries(names, '', 0, '', '', undefined)).join(', ')}`,
      );
    logger.info(lines.join('\n'));
    return true;
  }

  if (rotating && newPassword) await rotate(target, newPassword.value);

  const done: string[] = [];
  for (const p of plan) {
    if (p.action !== 'set' || p.value === undefined || !pt) continue;
    const s = sets(p.item, p.value);
    const r = await runPtSet(pt, s, env);
    if (r.code !== 0) {
      const rest = plan
        .filter((x) => x.action === 'set' && !done.includes(x.item.ref.key) && x !== p)
        .map((x) => x.item.ref.key);
      fail(
        `${showPtCommand(s)} failed (exit ${r.code}): ${r.stderr.trim().split('\n')[0] || 'no message'}. Set before it: ${done.join(', ') || 'none'}. Not set: ${[p.item.ref.key, ...rest].join(', ')}.`,
      );
    }
    done.push(p.item.ref.key);
  }

  const lines: string[] = [];
  if (rotating)
    lines.push(
      `Changed the password of '${target.settings.user}' on ${target.settings.host}:${target.settings.port} (sent as a SCRAM verifier) and in secret ${k.secrets.password}.`,
    );
  for (const p of plan) {
    const what = `${p.item.ref.kind} ${p.item.ref.key}`;
    if (!p.item.source)
      lines.push(
        `  ? ${what}: not managed by db-values (used by ${p.item.ref.usedBy.join(', ')}); set it yourself`,
      );
    else if (o.noPt) continue;
    else if (p.action === 'kept')
      lines.push(`  = ${what}: already set, kept (--overwrite to replace it)`);
    else if (p.action === 'unknown')
      lines.push(`  ? ${what}: not set (pt could not list keys; --overwrite sets it)`);
    else
      lines.push(
        `  + ${what} = ${p.item.ref.kind === 'secret' ? '****' : p.value} (from ${p.from})`,
      );
  }
  if (lines.length) logger.info([`Values and secrets of module '${id}':`, ...lines].join('\n'));
  const overwrotePassword = plan.some(
    (p) =>
      p.action === 'set' &&
      p.item.ref.key === k.secrets.password &&
      existing.secret.has(p.item.ref.key),
  );
  if (overwrotePassword && !rotating) {
    logger.warn(
      `The secret ${k.secrets.password} was replaced, but a database that exists keeps its old password (PostgreSQL reads POSTGRES_PASSWORD only on first start). Use --rotatePassword to change both.`,
    );
  }

  if (o.envFile) {
    const pw =
      plan.find((p) => p.item.ref.key === k.secrets.password)?.value ??
      (refs.some((r) => r.key === k.secrets.password) ? (await password()).value : undefined);
    const path = resolve(context.root, o.envFile);
    const rel = relative(context.root, path);
    writeEnvFile(
      path,
      renderEnvFile(
        {
          ...envFileEntries(names, 'localhost', o.exposedPort ?? 5432, database, user, pw),
          // The init scripts' role passwords, so db-up on this machine can run them.
          ...Object.fromEntries(
            plan
              .filter((p) => roleEnv.has(p.item.ref.key) && p.value !== undefined)
              .map((p) => [roleEnv.get(p.item.ref.key)!, p.value!]),
          ),
        },
        `Module '${id}' seen from this machine, written by @acme/pg:db-values. Secret: never commit it.`,
      ),
    );
    if (ignoreInGit(context.root, path, 'file')) logger.info(`Added /${rel} to .gitignore.`);
    if (!rel.startsWith('..')) recordEnvFile(context, target.record, rel);
    logger.info(
      `Wrote ${rel.startsWith('..') ? path : rel} (0600): the settings of '${id}' from this machine; the executors read it.`,
    );
  }
  for (const p of plan.filter((x) => x.generated)) {
    if (o.showPassword) logger.info(`Generated ${p.item.ref.key}: ${p.value}  (shown once)`);
    else logger.info(`Generated ${p.item.ref.key} (32 characters); --showPassword shows it.`);
  }
  return true;
}

function envFileEntries(
  names: ReturnType<typeof connectionEnvNames>,
  host: string,
  port: number,
  database: string,
  user: string,
  password: string | undefined,
): Record<string, string> {
  const entries: Record<string, string> = {
    [names.host]: host,
    [names.port]: String(port),
    [names.database]: database,
    [names.user]: user,
  };
  if (password !== undefined) entries[names.password] = password;
  return entries;
}

/** A secret from the first environment variable set, else generated (--generatePassword), else asked for. */
async function secretFrom(
  o: Pick<DbValuesExecutorSchema, 'generatePassword'>,
  vars: string[],
  what: string,
  confirm = false,
): Promise<{ value: string; from: string; generated?: boolean }> {
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
    `No ${what} given: set ${vars.join(' or ')}, or pass --generatePassword, or run this on a terminal to be asked. Nothing was set.`,
  );
}

/** Changes the role's password on the running server, sending a verifier rather than the password. */
async function rotate(
  target: ReturnType<typeof resolveTarget>,
  newPassword: string,
): Promise<void> {
  const s = target.settings;
  await withClient(s, { timeoutSeconds: 10 }, async (c) => {
    const enc = (await c.query('SHOW password_encryption')).rows[0].password_encryption;
    const verifier = enc === 'md5' ? md5Verifier(newPassword, s.user) : scramVerifier(newPassword);
    await c.query(`ALTER ROLE ${ident(s.user)} PASSWORD ${literal(verifier)}`);
  });
  // The new password must work before the secret changes.
  const check = await connect(
    { ...s, password: newPassword, passfile: undefined },
    { timeoutSeconds: 10 },
  );
  await check.end();
}
