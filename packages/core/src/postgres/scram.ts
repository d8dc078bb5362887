/**
 * Password verifiers computed here, so `ALTER ROLE … PASSWORD` carries a hash: with statement
 * logging on, the server logs the verifier, never the password (what psql's \password does).
 */
import saslprep from '@mongodb-js/saslprep';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * The password as SCRAM hashes it: SASLprep (RFC 4013: spaces mapped, "mapped to nothing" removed,
 * NFKC, prohibited and bidi checks). Like PostgreSQL and libpq, a password SASLprep refuses is used
 * as it is.
 */
export function preparePassword(password: string): string {
  try {
    return saslprep(password);
  } catch {
    return password;
  }
}

/** SCRAM-SHA-256 as PostgreSQL stores it (RFC 7677; 4096 iterations, 16-byte salt). */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(preparePassword(password), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  const b64 = (b: Buffer) => b.toString('base64');
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}

/** The md5 form, for servers whose password_encryption is md5. */
export function md5Verifier(password: string, user: string): string {
  return `md5${createHash('md5')
    .update(password + user)
    .digest('hex')}`;
}

/** 32 characters from a cryptographic source, letters and digits only (safe in URLs and shells). */
export function generatePassword(length = 32): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      // Rejection sampling keeps every character equally likely.
      if (byte < 256 - (256 % alphabet.length) && out.length < length)
        out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}
