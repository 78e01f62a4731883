/** Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and ranks functions by self and total time. */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface ProfileRow {
  fn: string;
  where: string;
  self_pct: number;
  total_pct: number;
}

function where(url: string, line: number): string {
  if (!url) return '(native)';
  const clean = url.replace(/^file:\/\//, '');
  const k = clean.indexOf('node_modules/');
  const short =
    k >= 0
      ? clean.slice(k + 13)
      : clean.includes('/packages/')
        ? clean.slice(clean.indexOf('/packages/') + 1)
        : clean.replace(/^node:/, 'node:');
  return `${short}:${line + 1}`;
}

export function summarizeProfile(
  file: string,
  top = 20,
): { samples: number; self: ProfileRow[]; total: ProfileRow[]; idle_pct: number; gc_pct: number } {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    nodes: Node[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map<number, Node>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) byId.set(n.id, n);
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: Node) =>
    `${n.callFrame.functionName || '(anonymous)'}\u0000${where(n.callFrame.url, n.callFrame.lineNumber)}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const weights = profile.timeDeltas.slice(1).concat([0]); // the time until the next sample belongs to this one
  let sum = 0;
  for (let k = 0; k < profile.samples.length; k++) {
    const w = Math.max(0, weights[k] ?? 0);
    sum += w;
    let node = byId.get(profile.samples[k]!)!;
    const kk = key(node);
    self.set(kk, (self.get(kk) ?? 0) + w);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      node = byId.get(id)!;
      const t = key(node);
      if (seen.has(t)) continue;
      seen.add(t);
      total.set(t, (total.get(t) ?? 0) + w);
    }
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => {
        const [fn, at] = k.split('\u0000') as [string, string];
        return {
          fn,
          where: at,
          self_pct: ((self.get(k) ?? 0) / sum) * 100,
          total_pct: ((total.get(k) ?? 0) / sum) * 100,
        };
      });
  const selfRows = rows(self);
  const pct = (name: string) => selfRows.filter((r) => r.fn === name).reduce((s, r) => s + r.self_pct, 0);
  const skip = new Set(['(root)', '(program)', '(idle)']);
  return {
    samples: profile.samples.length,
    idle_pct: pct('(idle)'),
    gc_pct: pct('(garbage collector)'),
    self: selfRows.slice(0, top),
    total: rows(total)
      .filter((r) => !skip.has(r.fn))
      .slice(0, top),
  };
}

if (process.argv[1]?.endsWith('profile.ts') && process.argv[2]) {
  const s = summarizeProfile(process.argv[2], Number(process.argv[3] ?? 25));
  console.log(`samples ${s.samples}, idle ${s.idle_pct.toFixed(1)}%, gc ${s.gc_pct.toFixed(1)}%`);
  console.log('self time:');
  for (const r of s.self) console.log(`  ${r.self_pct.toFixed(1).padStart(5)}%  ${r.fn}  ${r.where}`);
  console.log('total time:');
  for (const r of s.total) console.log(`  ${r.total_pct.toFixed(1).padStart(5)}%  ${r.fn}  ${r.where}`);
}
