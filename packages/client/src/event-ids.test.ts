import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareEventIds, EventDeduper } from './event-ids.js';

describe('compareEventIds', () => {
  it('orders digit strings numerically, whatever their length', () => {
    expect(compareEventIds('9', '10')).toBeLessThan(0);
    expect(compareEventIds('10', '9')).toBeGreaterThan(0);
    expect(compareEventIds('42', '42')).toBe(0);
    expect(compareEventIds('007', '7')).toBe(0);
    expect(compareEventIds('123456789012345678901234567890', '123456789012345678901234567891')).toBeLessThan(0);
  });

  it('agrees with BigInt order for any two non-negative integers', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 100n }), fc.bigInt({ min: 0n, max: 2n ** 100n }), (a, b) => {
        const expected = a < b ? -1 : a > b ? 1 : 0;
        expect(Math.sign(compareEventIds(a.toString(), b.toString()))).toBe(expected);
      }),
    );
  });

  it('falls back to string order for anything else', () => {
    expect(compareEventIds('a', 'b')).toBeLessThan(0);
    expect(compareEventIds('0001-b', '0001-a')).toBeGreaterThan(0);
    expect(compareEventIds('abc', 'abc')).toBe(0);
  });
});

describe('EventDeduper', () => {
  it('accepts each id once and tracks the newest as the cursor', () => {
    const d = new EventDeduper();
    expect(d.last).toBeNull();
    expect(d.accept('1')).toBe(true);
    expect(d.accept('2')).toBe(true);
    expect(d.accept('2')).toBe(false);
    expect(d.accept('1')).toBe(false);
    expect(d.last).toBe('2');
  });

  it('refuses everything at or before the starting cursor', () => {
    const d = new EventDeduper('10');
    expect(d.accept('9')).toBe(false);
    expect(d.accept('10')).toBe(false);
    expect(d.accept('11')).toBe(true);
    expect(d.last).toBe('11');
  });

  it('accepts a late, out-of-order event once, without moving the cursor back', () => {
    const d = new EventDeduper('5');
    expect(d.accept('7')).toBe(true);
    expect(d.accept('6')).toBe(true);
    expect(d.accept('6')).toBe(false);
    expect(d.last).toBe('7');
  });

  it('forgets ids individually past its window but still refuses them', () => {
    const d = new EventDeduper(null, 3);
    for (const id of ['1', '2', '3', '4', '5']) expect(d.accept(id)).toBe(true);
    for (const id of ['1', '2', '3', '4', '5']) expect(d.accept(id)).toBe(false);
    expect(d.accept('6')).toBe(true);
  });

  it('delivers any interleaving of replays exactly once', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 400 }), (ids) => {
        const d = new EventDeduper(null, 1000);
        const delivered = ids.map(String).filter((id) => d.accept(id));
        expect(new Set(delivered).size).toBe(delivered.length);
        expect(new Set(delivered)).toEqual(new Set(ids.map(String)));
      }),
    );
  });

  it('reset starts again from a new cursor', () => {
    const d = new EventDeduper('100');
    d.reset('3');
    expect(d.last).toBe('3');
    expect(d.accept('4')).toBe(true);
    expect(d.accept('3')).toBe(false);
  });
});
