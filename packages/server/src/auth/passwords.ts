/**
 * Password hashing with node:crypto scrypt, stored as `scrypt$N$r$p$salt$hash` (base64url).
 *
 * Parameters: N=2^15, r=8, p=3, one of OWASP's equivalent scrypt settings (Password Storage Cheat
 * Sheet: N=2^17/r=8/p=1, 2^16/8/2, 2^15/8/3, …), chosen for 32 MiB per hash instead of 128 MiB, so
 * two logins at once stay small. Hashes made with other parameters still verify, and a successful
 * login re-hashes them with the current ones (`needsRehash`).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export const CURRENT_PARAMS: ScryptParams = { N: 32768, r: 8, p: 3 };
const KEY_LENGTH = 32;
/** Enough for N=2^17, r=8 (OWASP's largest), refused beyond: a stored hash cannot ask for more. */
const MAX_MEMORY = 256 * 1024 * 1024;

function derive(password: string, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: MAX_MEMORY }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string, params: ScryptParams = CURRENT_PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (![params.N, params.r, params.p].every((v) => Number.isSafeInteger(v) && v > 0)) return null;
  return { params, salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
}

/** Whether a stored hash was made with other than the current parameters. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  const { N, r, p } = parsed.params;
  return N !== CURRENT_PARAMS.N || r !== CURRENT_PARAMS.r || p !== CURRENT_PARAMS.p;
}

/** A hash of a random password, compared against when the user does not exist (same timing). */
let decoy: Promise<string> | null = null;

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (stored === null) {
    decoy ??= hashPassword(randomBytes(16).toString('hex'));
    await verifyPassword(password, await decoy);
    return false;
  }
  const parsed = parse(stored);
  if (!parsed) return false;
  try {
    const actual = await derive(password, parsed.salt, parsed.params);
    return actual.length === parsed.hash.length && timingSafeEqual(actual, parsed.hash);
  } catch {
    // Parameters scrypt refuses (a corrupt or hostile stored hash): not a match.
    return false;
  }
}
