/**
 * Before/after comparison of ours (run.ts `--pairs N --ours-src DIR`): the same scenario run N times
 * for each copy of the server, alternating which goes first, and per figure the median of each, their
 * ratio and a 95 % bootstrap interval of the ratio of means. One run of the quick scenario varies by
 * ±15-30 % on a shared 2-core machine (connect phases last 0.1-0.5 s; the fan-out p99 of 3 events is
 * the slowest event), so "no figure worse than 5 %" is only a claim when the interval says so.
 */
import { type Results, type Row, rows } from './report.ts';

export interface Comparison {
  figure: string;
  /** Median of this copy (A: packages/server/src) and of the other (B: --ours-src). */
  a: number;
  b: number;
  /** Ratio of medians, oriented so that > 1 means A is better (for "smaller is better" rows: b / a). */
  better: number;
  /** 95 % bootstrap interval of the same ratio, of means. */
  low: number;
  high: number;
  verdict: string;
}

/** A small seeded generator (mulberry32): the same runs give the same interval. */
function random(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), t | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

export function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Ratio of means of `a` to `b` (A better when > 1) with a 95 % bootstrap interval. */
export function bootstrapRatio(
  a: number[],
  b: number[],
  lower: boolean,
  rounds = 4000,
  seed = 1,
): { low: number; high: number } {
  const rnd = random(seed);
  const pick = (xs: number[]) => xs[Math.floor(rnd() * xs.length)]!;
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const ma = mean(a.map(() => pick(a)));
    const mb = mean(b.map(() => pick(b)));
    ratios.push(lower ? mb / ma : ma / mb);
  }
  ratios.sort((x, y) => x - y);
  return { low: ratios[Math.floor(rounds * 0.025)]!, high: ratios[Math.floor(rounds * 0.975)]! };
}

/** What the interval says against a tolerance (0.05: "no figure worse than 5 %"). */
export function verdict(low: number, high: number, tolerance = 0.05): string {
  if (high < 1 - tolerance) return `worse by more than ${tolerance * 100} %`;
  if (low >= 1 - tolerance) return low > 1 ? 'better' : `within ${tolerance * 100} % or better`;
  return 'not decided (interval too wide)';
}

export function compare(params: Results['params'], a: Record<string, any>[], b: Record<string, any>[]): Comparison[] {
  const out: Comparison[] = [];
  for (const row of rows({ params } as Results) as Row[]) {
    const va = a.map((s) => row.get(s)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const vb = b.map((s) => row.get(s)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (va.length < 2 || vb.length < 2) continue;
    const ma = median(va);
    const mb = median(vb);
    const { low, high } = bootstrapRatio(va, vb, row.lower ?? false);
    out.push({
      figure: row.figure,
      a: ma,
      b: mb,
      better: row.lower ? mb / ma : ma / mb,
      low,
      high,
      verdict: verdict(low, high),
    });
  }
  return out;
}

export function renderComparison(c: Comparison[], runs: number, other: string): string {
  const f = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  const head = [
    'figure',
    'A: this copy (median)',
    `B: ${other} (median)`,
    'A vs B (>1: A better)',
    '95 % interval',
    'verdict',
  ];
  const body = c.map((x) => [
    x.figure,
    f(x.a),
    f(x.b),
    `${x.better.toFixed(2)}×`,
    `${x.low.toFixed(2)}-${x.high.toFixed(2)}`,
    x.verdict,
  ]);
  const lines = [head, head.map(() => '---'), ...body].map((r) => `| ${r.join(' | ')} |`);
  return `${runs} runs of each, alternating\n\n${lines.join('\n')}`;
}
