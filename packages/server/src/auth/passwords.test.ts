import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';

/** Counts scrypt runs (the cost an attacker can measure) by wrapping node:crypto's scrypt. */
function countScrypt(): { runs: () => number; restore: () => void } {
  const original = crypto.scrypt;
  let runs = 0;
  crypto.scrypt = ((...args: Parameters<typeof crypto.scrypt>) => {
    runs++;
    return original(...args);
  }) as typeof crypto.scrypt;
  syncBuiltinESMExports();
  return {
    runs: () => runs,
    restore: () => {
      crypto.scrypt = original;
      syncBuiltinESMExports();
    },
  };
}

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

// Each scrypt run costs ~0.3 s of CPU at the OWASP parameters; on a loaded 2-core machine several take seconds.
describe('password hashing (scrypt)', { timeout: 60_000 }, () => {
  it('stores scrypt$N$r$p$salt$hash and verifies the password it was made from', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
  });

  it('salts: the same password hashes differently every time, and both verify', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('refuses a wrong password, a different case, a prefix and the empty string', async () => {
    const stored = await hashPassword('Secret-1');
    for (const wrong of ['secret-1', 'Secret-2', 'Secret-', '', 'Secret-1 ']) {
      expect(await verifyPassword(wrong, stored), wrong).toBe(false);
    }
  });

  it('answers false for a malformed stored hash, never true', async () => {
    const good = await hashPassword('pw');
    const [, n, r, p, salt, hash] = good.split('$');
    const malformed = [
      '',
      'pw',
      'scrypt',
      `bcrypt$${n}$${r}$${p}$${salt}$${hash}`, // another scheme
      `scrypt$${n}$${r}$${p}$${salt}`, // a part missing
      `${good}$extra`, // a part too many
      `scrypt$${n}$${r}$${p}$${salt}$`, // empty hash: a different length
      `scrypt$${n}$${r}$${p}$${salt}$${hash!.slice(0, 20)}`, // truncated hash
    ];
    for (const stored of malformed) expect(await verifyPassword('pw', stored), stored).toBe(false);
  });

  it('never answers true for impossible parameters (it may fail instead)', async () => {
    const good = await hashPassword('pw');
    const [, , r, p, salt, hash] = good.split('$');
    for (const stored of [`scrypt$3$${r}$${p}$${salt}$${hash}`, `scrypt$x$${r}$${p}$${salt}$${hash}`]) {
      expect(await verifyPassword('pw', stored).catch(() => false), stored).toBe(false);
    }
  });

  it('does the same work for an unknown user (no stored hash): one scrypt run, and false', async () => {
    const stored = await hashPassword('known-user-password');
    await verifyPassword('warm-up', null); // the decoy hash is made once, on first use
    const counter = countScrypt();
    restore = counter.restore;
    expect(await verifyPassword('whatever', null)).toBe(false);
    const unknownRuns = counter.runs();
    expect(await verifyPassword('known-user-password', stored)).toBe(true);
    expect(unknownRuns).toBe(1);
    expect(counter.runs() - unknownRuns).toBe(1);
  });
});
