/** The before/after comparison (ab.ts): which way a ratio points, and what an interval decides. */
import { describe, expect, it } from 'vitest';
import { bootstrapRatio, compare, median, verdict } from './ab.ts';

const params = { n1: 200, n2: 1000, held: 2000 };
const run = (rate: number, p99: number) => ({
  connect: { 200: { rate }, 1000: { rate }, 2000: { rate } },
  fanout: { 200: { p99_ms: p99 } },
});

describe('before/after comparison', () => {
  it('orients every ratio so that above 1 means this copy is better', () => {
    // A connects faster (larger is better) and has a larger fan-out p99 (smaller is better).
    const a = [run(2000, 30), run(2100, 31), run(1900, 29)];
    const b = [run(1000, 20), run(1050, 21), run(950, 19)];
    const c = compare(params, a, b);
    const connect = c.find((x) => x.figure.startsWith('connections/s with JWT check, 0→'))!;
    const p99 = c.find((x) => x.figure === 'fan-out to 200: p99 delivery latency (ms)')!;
    expect(connect.better).toBeCloseTo(2, 5);
    expect(connect.verdict).toBe('better');
    expect(p99.better).toBeCloseTo(20 / 30, 5);
    expect(p99.verdict).toBe('worse by more than 5 %');
    // Rows without numbers in both (memory, throughput here) are left out, not shown as 0.
    expect(c.some((x) => x.figure.startsWith('memory'))).toBe(false);
  });

  it('says "not decided" when the runs overlap too much to tell', () => {
    const a = [900, 1100, 1000, 1250, 800];
    const b = [1000, 950, 1150, 850, 1050];
    const { low, high } = bootstrapRatio(a, b, false);
    expect(low).toBeLessThan(0.95);
    expect(high).toBeGreaterThan(1);
    expect(verdict(low, high)).toBe('not decided (interval too wide)');
    expect(verdict(0.96, 1.1)).toBe('within 5 % or better');
    expect(verdict(0.8, 0.94)).toBe('worse by more than 5 %');
  });

  it('takes the median of an even count as the mean of the middle two', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, 1, 3])).toBe(3);
  });
});
