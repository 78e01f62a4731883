/**
 * API keys: long-lived credentials for machines (cameras, pipelines, bridges, kiosk screens), created by admins,
 * shown once, stored hashed, scoped, revocable. A key reads `oek_<prefix>_<secret>`: the prefix
 * finds the row (and is shown in lists), the secret (32 random bytes) is stored as its SHA-256 —
 * a fast hash is right for a random secret of that size; slow hashing is for guessable passwords.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '@openeye/protocol';
import type { ApiKeyRecord, Store } from '../store/index.js';

export const API_KEY_MARK = 'oek_';
const KEY = /^oek_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
/** last_used_at is written at most this often per key (not once per request). */
const TOUCH_EVERY_MS = 60_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * The role an API key acts as: a viewer's key is a viewer (a kiosk screen: read-only, as keys never
 * act on alerts), any other a producer, never an admin.
 */
export function keyRole(role: Role): Role {
  return role === 'viewer' ? 'viewer' : 'producer';
}

export function isApiKey(token: string): boolean {
  return token.startsWith(API_KEY_MARK);
}

/** A new key: the text to show once, and what to store. */
export function generateApiKey(): { key: string; prefix: string; secret_hash: string } {
  const prefix = randomBytes(9)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 12);
  const secret = randomBytes(32).toString('base64url');
  return { key: `${API_KEY_MARK}${prefix}_${secret}`, prefix, secret_hash: sha256(secret).toString('hex') };
}

export class ApiKeyVerifier {
  private readonly touched = new Map<number, number>();

  constructor(private readonly store: Store) {}

  /** The key's record when `token` is a live key; null otherwise (malformed, unknown, revoked, wrong). */
  async verify(token: string): Promise<ApiKeyRecord | null> {
    const m = KEY.exec(token);
    if (!m) return null;
    const record = await this.store.apiKeys.byPrefix(m[1]!);
    if (!record || record.revoked_at !== null) return null;
    const expected = Buffer.from(record.secret_hash, 'hex');
    const actual = sha256(m[2]!);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
    this.touch(record.id);
    return record;
  }

  private touch(id: number): void {
    const now = Date.now();
    if (now - (this.touched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    this.store.apiKeys.touch(id, new Date(now).toISOString()).catch(() => undefined);
  }
}
