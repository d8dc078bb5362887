/**
 * Changes the superuser's password on the running server without a window in which it can be lost:
 *   1. the new password is stored first (the pt secret and the env file, which keeps the old one as
 *      <PREFIX>POSTGRES_PREVIOUS_PASSWORD until the end), or shown when nothing can store it;
 *   2. ALTER ROLE … PASSWORD '<verifier>' (computed here: the server never sees the password);
 *   3. the new password must log in;
 *   4. if 2 or 3 fails, the old verifier is put back (and the old secret), and the message says where
 *      each password is.
 */
import { logger } from '../../utils/logger';
import { Client } from 'pg';
import { PtResult } from '../../polytope/pt-cli';
import { connect } from '../../postgres/connect';
import { ident, literal } from '../../postgres/databases';
import { md5Verifier, scramVerifier } from '../../postgres/scram';
import { fail } from '../../utils/errors';
import { ConnectionSettings } from '../../postgres/settings';
import { ExecutorTarget } from '../executor-target';

export interface RotateInput {
  /** Where the admin session connects (the superuser, or the user itself). */
  target: ExecutorTarget;
  /** The role whose password changes. */
  user: string;
  /** How the new password must log in (the password is replaced by the new one). */
  check: ConnectionSettings;
  newPassword: string;
  generated: boolean;
  showPassword: boolean;
  /** Stores a value in the password secret (pt), when pt is used. */
  storeSecret?: (value: string) => Promise<PtResult>;
  secretKey: string;
  /** Rewrites the env file with this password (and the previous one beside it, while it may be needed). */
  writeEnvFile?: (password: string, previous?: string) => void;
  envFileName: string;
  /** The password in use now, when known: what is put back on a failure. */
  oldPassword?: string;
}

export async function rotatePassword(r: RotateInput): Promise<void> {
  const s = r.target.settings;
  // One session for the whole change: it stays usable to put the old verifier back even after the
  // old password stopped working.
  const admin = await connect(s, { timeoutSeconds: 10 });
  try {
    await change(r, admin);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function change(r: RotateInput, admin: Client): Promise<void> {
  const user = r.user;
  const encryption = String(
    (await admin.query('SHOW password_encryption')).rows[0].password_encryption,
  );
  const hash = (pw: string) => (encryption === 'md5' ? md5Verifier(pw, user) : scramVerifier(pw));
  const oldVerifier =
    (await currentVerifier(admin, user)) ??
    (r.oldPassword !== undefined ? hash(r.oldPassword) : undefined);

  const where: string[] = [];
  if (r.storeSecret) {
    const stored = await r.storeSecret(r.newPassword);
    if (stored.code !== 0)
      fail(
        `pt secrets set ${r.secretKey} --stdin failed (exit ${stored.code}): ${stored.stderr.trim().split('\n')[0] || 'no message'}. The password was not changed anywhere.`,
      );
    where.push(`the secret ${r.secretKey}`);
  }
  if (r.writeEnvFile) {
    r.writeEnvFile(r.newPassword, r.oldPassword);
    where.push(r.envFileName);
  }
  if (where.length === 0 || (r.generated && r.showPassword)) {
    // Nothing else will hold it: it is shown before the server changes.
    logger.info(`New password of '${user}': ${r.newPassword}  (shown once)`);
    where.push('the line above');
  }

  try {
    await admin.query(`ALTER ROLE ${ident(user)} PASSWORD ${literal(hash(r.newPassword))}`);
    const check = await connect(
      { ...r.check, password: r.newPassword, passfile: undefined },
      { timeoutSeconds: 10 },
    );
    await check.end();
  } catch (e) {
    await restore(r, admin, oldVerifier, (e as Error).message, where);
  }
  // Done: the env file no longer needs the old password.
  if (r.writeEnvFile) r.writeEnvFile(r.newPassword);
}

/** The stored verifier, readable by a superuser; undefined otherwise. */
async function currentVerifier(c: Client, user: string): Promise<string | undefined> {
  try {
    const r = await c.query<{ p: string | null }>(
      'SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1',
      [user],
    );
    return r.rows[0]?.p ?? undefined;
  } catch {
    return undefined;
  }
}

async function restore(
  r: RotateInput,
  admin: Client,
  oldVerifier: string | undefined,
  why: string,
  where: string[],
): Promise<never> {
  const user = r.user;
  let restored = false;
  if (oldVerifier !== undefined) {
    try {
      await admin.query(`ALTER ROLE ${ident(user)} PASSWORD ${literal(oldVerifier)}`);
      restored = true;
    } catch {
      // the session is gone: the new password may be in force
    }
  }
  if (restored && r.oldPassword !== undefined) {
    const secretBack = r.storeSecret ? (await r.storeSecret(r.oldPassword)).code === 0 : true;
    if (r.writeEnvFile) r.writeEnvFile(r.oldPassword);
    if (secretBack)
      fail(
        `Changing the password of '${user}' failed (${why}); the old password is back on the server${r.storeSecret ? `, in ${r.secretKey}` : ''}${r.writeEnvFile ? ` and in ${r.envFileName}` : ''}. Nothing else changed.`,
      );
  }
  fail(
    `Changing the password of '${user}' failed (${why})${restored ? '; the old one is back on the server' : ''}. The new password is in ${where.join(' and ')}${r.writeEnvFile ? ' (the old one beside it, as *_PREVIOUS_PASSWORD)' : ''}: check which one logs in before you run again.`,
  );
}
