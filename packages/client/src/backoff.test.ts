import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay (full jitter)', () => {
  it('stays within [0, min(cap, base * 2^attempt)] for any attempt and random source', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, capMs, r) => {
          const delay = backoffDelay(attempt, baseMs, capMs, () => r);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(baseMs === 0 ? 0 : Math.min(capMs, baseMs * 2 ** attempt));
        },
      ),
    );
  });

  it('with the defaults (1 s base, 30 s cap) never waits more than 30 s, however many attempts', () => {
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        expect(backoffDelay(attempt, 1000, 30_000, () => r)).toBeLessThanOrEqual(30_000);
      }),
    );
  });

  it('uses the whole range: random 0 gives 0, random near 1 gives nearly the ceiling', () => {
    expect(backoffDelay(0, 1000, 30_000, () => 0)).toBe(0);
    expect(backoffDelay(0, 1000, 30_000, () => 0.9999)).toBe(999);
    expect(backoffDelay(3, 1000, 30_000, () => 0.9999)).toBe(7999);
    expect(backoffDelay(10, 1000, 30_000, () => 0.9999)).toBe(29_997);
  });

  it('grows exponentially in expectation until the cap', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 1000, 30_000, () => 1));
    expect(ceilings).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('tolerates out-of-range input (negative attempt, random outside [0, 1))', () => {
    expect(backoffDelay(-5, 1000, 30_000, () => 1)).toBe(1000);
    expect(backoffDelay(2, 1000, 30_000, () => 7)).toBe(4000);
    expect(backoffDelay(2, 1000, 30_000, () => -1)).toBe(0);
    expect(backoffDelay(Number.POSITIVE_INFINITY, 1000, 30_000, () => 1)).toBe(30_000);
  });
});
