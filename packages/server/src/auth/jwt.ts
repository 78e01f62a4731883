/**
 * JWT, HS256 only. The algorithm is pinned: a token whose header names any other algorithm
 * (`none` included) is invalid. `exp`, `iat` and `sub` are required and the lifetime is capped.
 * Hand-written on node:crypto with a pre-built key object: verification costs one HMAC.
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { Role } from '@openeye/protocol';

export interface TokenClaims {
  sub: string;
  username: string;
  role: Role;
  iat: number;
  exp: number;
  /** The user's token version when it was signed (0 when absent): a password change bumps it. */
  tv: number;
}

export type VerifyResult =
  | { ok: true; claims: TokenClaims; userId: number }
  | { ok: false; reason: 'invalid' | 'expired' };

/** No token is accepted whose lifetime exceeds this, however it was signed. */
export const MAX_TOKEN_LIFETIME_SECONDS = 30 * 86400;
const CLOCK_TOLERANCE_SECONDS = 5;
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const MAX_TOKEN_LENGTH = 8192;

export class JwtService {
  private readonly key: KeyObject;

  constructor(
    secret: string,
    private readonly lifetimeSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  sign(
    user: { id: number; username: string; role: Role; token_version?: number },
    lifetimeSeconds = this.lifetimeSeconds,
  ): string {
    const iat = Math.floor(this.now() / 1000);
    const claims: TokenClaims = {
      sub: String(user.id),
      username: user.username,
      role: user.role,
      iat,
      exp: iat + lifetimeSeconds,
      tv: user.token_version ?? 0,
    };
    const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  get defaultLifetimeSeconds(): number {
    return this.lifetimeSeconds;
  }

  verify(token: string): VerifyResult {
    const invalid: VerifyResult = { ok: false, reason: 'invalid' };
    if (token.length > MAX_TOKEN_LENGTH) return invalid;
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) return invalid;
    const headerPart = token.slice(0, first);
    const body = token.slice(0, second);
    // The header must be exactly ours or at least name HS256; anything else is refused before the MAC.
    if (headerPart !== HEADER) {
      const header = parseJson(headerPart);
      if (header === null || header.alg !== 'HS256' || (header.typ !== undefined && header.typ !== 'JWT'))
        return invalid;
      if (header.crit !== undefined) return invalid;
    }
    const signature = Buffer.from(token.slice(second + 1), 'base64url');
    const expected = this.mac(body);
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return invalid;
    const claims = parseJson(token.slice(first + 1, second));
    if (claims === null) return invalid;
    const { sub, exp, iat, username, role } = claims;
    const tv = claims.tv ?? 0;
    if (typeof tv !== 'number' || !Number.isSafeInteger(tv) || tv < 0) return invalid;
    if (typeof sub !== 'string' || !/^[1-9][0-9]{0,9}$/.test(sub)) return invalid;
    if (typeof exp !== 'number' || typeof iat !== 'number' || !Number.isFinite(exp) || !Number.isFinite(iat)) {
      return invalid;
    }
    if (typeof username !== 'string' || (role !== 'admin' && role !== 'viewer' && role !== 'producer')) return invalid;
    const nowSeconds = this.now() / 1000;
    if (exp - iat > MAX_TOKEN_LIFETIME_SECONDS || exp > nowSeconds + MAX_TOKEN_LIFETIME_SECONDS) return invalid;
    if (iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) return invalid;
    if (exp <= nowSeconds) return { ok: false, reason: 'expired' };
    return { ok: true, claims: { sub, exp, iat, username, role, tv }, userId: Number(sub) };
  }

  private mac(data: string): Buffer {
    return createHmac('sha256', this.key).update(data).digest();
  }
}

function parseJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
