import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JwtService, MAX_TOKEN_LIFETIME_SECONDS } from './jwt.js';
import { hashPassword, verifyPassword } from './passwords.js';

const SECRET = 'a-test-secret-that-is-long-enough-000';
const user = { id: 7, username: 'ana', role: 'viewer' as const };
const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const sign = (header: object, claims: object, secret = SECRET) => {
  const body = `${enc(header)}.${enc(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
};

describe('JwtService', () => {
  const jwt = new JwtService(SECRET, 3600);
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: '7', username: 'ana', role: 'viewer', iat: now, exp: now + 60 };

  it('verifies what it signs, with the default lifetime', () => {
    const r = jwt.verify(jwt.sign(user));
    expect(r.ok && r.userId).toBe(7);
    expect(r.ok && r.claims.exp - r.claims.iat).toBe(3600);
  });

  it("carries the user's token version (0 when a token has none)", () => {
    const r = jwt.verify(jwt.sign({ ...user, token_version: 3 }));
    expect(r.ok && r.claims.tv).toBe(3);
    const old = jwt.verify(sign({ alg: 'HS256' }, claims));
    expect(old.ok && old.claims.tv).toBe(0);
    expect(jwt.verify(sign({ alg: 'HS256' }, { ...claims, tv: '3' })).ok).toBe(false);
    expect(jwt.verify(sign({ alg: 'HS256' }, { ...claims, tv: -1 })).ok).toBe(false);
  });

  it('accepts a well-formed HS256 token with another header layout', () => {
    expect(jwt.verify(sign({ typ: 'JWT', alg: 'HS256' }, claims)).ok).toBe(true);
  });

  it.each([
    ['alg none', `${enc({ alg: 'none' })}.${enc(claims)}.`],
    ['alg HS512 header', sign({ alg: 'HS512' }, claims)],
    ['RS256 header', sign({ alg: 'RS256' }, claims)],
    ['another secret', sign({ alg: 'HS256' }, claims, 'another-secret-another-secret-000')],
    ['no exp', sign({ alg: 'HS256' }, { ...claims, exp: undefined })],
    ['no sub', sign({ alg: 'HS256' }, { ...claims, sub: undefined })],
    ['numeric sub', sign({ alg: 'HS256' }, { ...claims, sub: 7 })],
    ['exp ten years ahead', sign({ alg: 'HS256' }, { ...claims, exp: now + 10 * 365 * 86400 })],
    [
      'lifetime over the cap',
      sign({ alg: 'HS256' }, { ...claims, iat: now - 10, exp: now + MAX_TOKEN_LIFETIME_SECONDS }),
    ],
    ['issued in the future', sign({ alg: 'HS256' }, { ...claims, iat: now + 3600, exp: now + 7200 })],
    ['crit header', sign({ alg: 'HS256', crit: ['x'] }, claims)],
    ['two parts', 'abc.def'],
    ['garbage', '....'],
    ['huge', 'a'.repeat(10_000)],
  ])('refuses %s as invalid', (_name, token) => {
    expect(jwt.verify(token)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('tells an expired token apart', () => {
    expect(jwt.verify(sign({ alg: 'HS256' }, { ...claims, iat: now - 100, exp: now - 1 }))).toEqual({
      ok: false,
      reason: 'expired',
    });
  });
});

describe('passwords', { timeout: 60_000 }, () => {
  it('hashes with scrypt and verifies', async () => {
    const h = await hashPassword('correct horse');
    expect(h).toMatch(/^scrypt\$32768\$8\$3\$/);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('wrong horse', h)).toBe(false);
    expect(await verifyPassword('anything', null)).toBe(false);
    expect(await hashPassword('correct horse')).not.toBe(h);
  });
});
