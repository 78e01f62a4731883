/** The comparison table, the chart (SVG) and the generated part of docs/benchmarks.md. */
export interface Results {
  mode: string;
  command: string;
  machine: Record<string, any>;
  params: Record<string, any>;
  servers: Record<string, Record<string, any>>;
  profile?: Record<string, any>;
  /** The cluster scenario (run.ts --cluster), from this run or the last bench/results/cluster.json. */
  cluster?: Record<string, any>;
  /** The MQTT scenario (MQTT in, WebSocket out, 1k clients). */
  mqtt?: Record<string, any>;
  /** The media scenario (issue 12): ours and a plain ws relay, and the JSON path next to media. */
  media?: Record<string, any>;
  /** The compression scenario: ours at 10k clients with permessage-deflate off and on. */
  compression?: Record<string, any>;
  duration_s?: number;
}

const KINDS = ['ours', 'socketio', 'ws', 'floor'] as const;
const NAMES: Record<string, string> = { ours: 'ours', socketio: 'Socket.IO 4.8', ws: 'plain ws', floor: 'floor' };

export interface Row {
  figure: string;
  get: (s: Record<string, any>) => number | boolean | undefined;
  unit?: string;
  digits?: number;
  /** Smaller is better (memory, latency, CPU); otherwise larger is, for numbers. */
  lower?: boolean;
}

const k = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));

/**
 * Memory per connection between two sizes: the RSS growth from n2 to `held` connections over the
 * connections added. Unlike the figures from the idle baseline it leaves out what grows once
 * under the first load whatever the number of connections (V8's young generation, for ours after
 * its small start-up heap: docs/benchmarks.md "Idle memory").
 */
function marginalKb(s: Record<string, any>, from: number, to: number): number | undefined {
  const a = s.memory?.[from];
  const b = s.memory?.[to];
  if (!a || !b || b.open === a.open) return undefined;
  return (b.rss_kb - a.rss_kb) / (b.open - a.open);
}

export function rows(r: Results): Row[] {
  const { n1, n2, held } = r.params;
  return [
    { figure: `connections/s with JWT check, 0→${k(n1)}`, get: (s) => s.connect?.[n1]?.rate, digits: 0 },
    { figure: `connections/s with JWT check, ${k(n1)}→${k(n2)}`, get: (s) => s.connect?.[n2]?.rate, digits: 0 },
    { figure: `connections/s with JWT check, ${k(n2)}→${k(held)}`, get: (s) => s.connect?.[held]?.rate, digits: 0 },
    {
      figure: `memory per idle connection at ${k(n1)} (KB)`,
      get: (s) => s.memory?.[n1]?.kb_per_connection,
      digits: 2,
      lower: true,
    },
    {
      figure: `memory per idle connection at ${k(n2)} (KB)`,
      get: (s) => s.memory?.[n2]?.kb_per_connection,
      digits: 2,
      lower: true,
    },
    {
      figure: `memory per idle connection at ${k(held)} (KB)`,
      get: (s) => s.memory?.[held]?.kb_per_connection,
      digits: 2,
      lower: true,
    },
    {
      figure: `memory per idle connection, added from ${k(n2)} to ${k(held)} (KB)`,
      get: (s) => marginalKb(s, n2, held),
      digits: 2,
      lower: true,
    },
    {
      figure: `fan-out to ${k(n1)}: p50 delivery latency (ms)`,
      get: (s) => s.fanout?.[n1]?.p50_ms,
      digits: 1,
      lower: true,
    },
    {
      figure: `fan-out to ${k(n1)}: p99 delivery latency (ms)`,
      get: (s) => s.fanout?.[n1]?.p99_ms,
      digits: 1,
      lower: true,
    },
    {
      figure: `fan-out to ${k(n2)}: p50 delivery latency (ms)`,
      get: (s) => s.fanout?.[n2]?.p50_ms,
      digits: 1,
      lower: true,
    },
    {
      figure: `fan-out to ${k(n2)}: p99 delivery latency (ms)`,
      get: (s) => s.fanout?.[n2]?.p99_ms,
      digits: 1,
      lower: true,
    },
    {
      figure: `fan-out to ${k(n2)}: POST to last receipt, median event (ms)`,
      get: (s) => s.fanout?.[n2]?.post_to_last_median_ms,
      digits: 1,
      lower: true,
    },
    {
      figure: `fan-out: every client got every event (${k(n1)} / ${k(n2)})`,
      get: (s) => s.fanout?.[n1]?.complete && s.fanout?.[n2]?.complete,
    },
    { figure: `delivered messages/s, ${k(n1)} clients`, get: (s) => s.throughput?.[n1]?.delivered_per_s, digits: 0 },
    { figure: `delivered messages/s, ${k(n2)} clients`, get: (s) => s.throughput?.[n2]?.delivered_per_s, digits: 0 },
    { figure: `events posted/s, ${k(n2)} clients`, get: (s) => s.throughput?.[n2]?.events_per_s, digits: 1 },
    {
      figure: `server CPU during throughput at ${k(n2)} (% of a core)`,
      get: (s) => 100 * s.throughput?.[n2]?.server_cpu,
      digits: 0,
      lower: true,
    },
    {
      figure: `load generator CPU during throughput at ${k(n2)} (%)`,
      get: (s) => 100 * s.throughput?.[n2]?.generator_cpu,
      digits: 0,
      lower: true,
    },
    {
      figure: `throughput: every client got every event (${k(n1)} / ${k(n2)})`,
      get: (s) => s.throughput?.[n1]?.complete && s.throughput?.[n2]?.complete,
    },
    {
      figure: `statistics broadcast to ${k(n2)}: server fan-out (ms)`,
      get: (s) => s.statistics?.[n2]?.fanout_ms,
      digits: 2,
      lower: true,
    },
    {
      figure: `statistics broadcast: µs per recipient at ${k(n1)} / ${k(n2)} / ${k(held)}`,
      get: (s) => s.statistics?.[held]?.us_per_recipient,
      digits: 2,
      lower: true,
    },
    {
      figure: `statistics broadcast to ${k(n2)}: trigger to last receipt (ms)`,
      get: (s) => s.statistics?.[n2]?.post_to_last_ms,
      digits: 0,
      lower: true,
    },
    {
      figure: `connections held (of ${k(held)}), all got the statistics broadcast`,
      get: (s) =>
        s.statistics?.[held]?.complete ? s.statistics?.[held]?.received : -(s.statistics?.[held]?.received ?? 0),
      digits: 0,
    },
  ];
}

function fmt(v: number | boolean | undefined, digits = 1): string {
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '–';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function cell(r: Results, row: Row, s: Record<string, any> | undefined): string {
  if (!s) return '–';
  if (row.figure.startsWith('statistics broadcast: µs per recipient')) {
    const { n1, n2, held } = r.params;
    return [n1, n2, held].map((n) => fmt(s.statistics?.[n]?.us_per_recipient, 2)).join(' / ');
  }
  const v = row.get(s);
  if (row.figure.startsWith('connections held')) {
    if (typeof v !== 'number') return '–';
    return v >= 0 ? `${fmt(v, 0)}, yes` : `${fmt(-v, 0)}, no`;
  }
  return fmt(v, row.digits);
}

function ratio(a: number | boolean | undefined, b: number | boolean | undefined): string {
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b) || b === 0)
    return '–';
  return `${(a / b).toFixed(2)}×`;
}

export function tableRows(r: Results): string[][] {
  const head = ['figure', ...KINDS.map((x) => NAMES[x]!), 'ours/ws', 'ours/floor'];
  const out = [head];
  for (const row of rows(r)) {
    const ours = r.servers.ours ? row.get(r.servers.ours) : undefined;
    const ws = r.servers.ws ? row.get(r.servers.ws) : undefined;
    const floor = r.servers.floor ? row.get(r.servers.floor) : undefined;
    const noRatio =
      row.figure.startsWith('statistics broadcast: µs') ||
      row.figure.startsWith('connections held') ||
      typeof ours === 'boolean';
    out.push([
      row.figure,
      ...KINDS.map((x) => cell(r, row, r.servers[x])),
      noRatio ? '' : ratio(ours, ws),
      noRatio ? '' : ratio(ours, floor),
    ]);
  }
  return out;
}

export function renderTable(r: Results): string {
  const t = tableRows(r);
  const w = t[0]!.map((_, c) => Math.max(...t.map((row) => row[c]!.length)));
  return t
    .map((row, i) => {
      const line = row.map((v, c) => (c === 0 ? v.padEnd(w[c]!) : v.padStart(w[c]!))).join(' | ');
      return i === 0 ? `${line}\n${w.map((x) => '-'.repeat(x)).join('-+-')}` : line;
    })
    .join('\n');
}

function markdownTable(t: string[][]): string {
  return [
    `| ${t[0]!.join(' | ')} |`,
    `| ${t[0]!.map((_, c) => (c === 0 ? '---' : '---:')).join(' | ')} |`,
    ...t.slice(1).map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

// ------------------------------------------------------------------ targets

export function targets(r: Results): { target: string; figure: string; met: string }[] {
  const { n2, held } = r.params;
  const o = r.servers.ours ?? {};
  const ws = r.servers.ws ?? {};
  const fl = r.servers.floor ?? {};
  const mem = o.memory?.[n2]?.kb_per_connection;
  const cr = o.connect?.[n2]?.rate;
  const wcr = ws.connect?.[n2]?.rate;
  const p99 = o.fanout?.[n2]?.p99_ms;
  const wp99 = ws.fanout?.[n2]?.p99_ms;
  const fp99 = fl.fanout?.[n2]?.p99_ms;
  const tp = o.throughput?.[n2]?.delivered_per_s;
  const wtp = ws.throughput?.[n2]?.delivered_per_s;
  const st = o.statistics ?? {};
  const per = [r.params.n1, n2, held].map((n) => st[n]?.us_per_recipient as number);
  const yes = (b: boolean) => (b ? 'met' : '**not met**');
  return [
    { target: 'memory per idle connection at 10k ≤ 6 KB', figure: `${fmt(mem, 2)} KB`, met: yes(mem <= 6) },
    {
      target: 'connections/s ≥ 2× plain ws',
      figure: `${fmt(cr, 0)}/s vs ${fmt(wcr, 0)}/s = ${ratio(cr, wcr)}`,
      met: yes(cr >= 2 * wcr),
    },
    {
      target: "fan-out p99 at 10k within 10% of the floor's",
      figure: `${fmt(p99, 1)} ms vs ${fmt(fp99, 1)} ms = ${ratio(p99, fp99)}`,
      met: yes(p99 <= 1.1 * fp99),
    },
    {
      target: "fan-out p99 at 10k ≤ 0.75× plain ws's",
      figure: `${fmt(p99, 1)} ms vs ${fmt(wp99, 1)} ms = ${ratio(p99, wp99)}`,
      met: yes(p99 <= 0.75 * wp99),
    },
    {
      target: "delivered messages/s at 10k ≥ 4× plain ws's",
      figure: `${fmt(tp, 0)} vs ${fmt(wtp, 0)} = ${ratio(tp, wtp)}`,
      met: yes(tp >= 4 * wtp),
    },
    {
      target: `${fmt(held, 0)} concurrent connections held by one process, every one receiving the statistics broadcasts`,
      figure: `${fmt(st[held]?.received, 0)} of ${fmt(held, 0)} got it`,
      met: yes(st[held]?.complete === true && held >= 19_000),
    },
    clusterTarget(r.cluster),
    linearTarget(r),
  ];
}

/**
 * The statistics broadcast's trigger-to-last-receipt (which includes the socket writes, unlike ours'
 * fan-out histogram): its growth per added recipient from n2 to held, against the floor's.
 */
function linearTarget(r: Results): { target: string; figure: string; met: string } {
  const { n1, n2, held } = r.params;
  const at = (kind: string, n: number) => r.servers[kind]?.statistics?.[n]?.post_to_last_ms as number;
  const slope = (kind: string) => ((at(kind, held) - at(kind, n2)) * 1000) / (held - n2);
  const o = slope('ours');
  const f = slope('floor');
  return {
    target: 'broadcast cost linear in recipients, smallest constant',
    figure: `statistics broadcast, trigger to last receipt: ${[n1, n2, held].map((n) => fmt(at('ours', n), 0)).join(' / ')} ms at ${k(n1)} / ${k(n2)} / ${k(held)}; ${fmt(o, 1)} µs per added recipient from ${k(n2)} to ${k(held)} (floor ${fmt(f, 1)}, plain ws ${fmt(slope('ws'), 1)}, Socket.IO ${fmt(slope('socketio'), 1)})`,
    met: o <= 1.1 * f ? "met (at or below the floor's constant)" : "**not met** (above the floor's constant)",
  };
}

function clusterTarget(c: Record<string, any> | undefined): { target: string; figure: string; met: string } {
  const target = '50,000 across three cluster nodes, load split over several generator processes';
  if (!c) return { target, figure: 'not measured (`npm run bench -- --only cluster`)', met: 'not measured' };
  const ok = c.open >= 50_000 && c.fanout?.complete && c.statistics?.complete;
  return {
    target,
    figure: `${fmt(c.open, 0)} held by ${c.nodes} nodes (${c.machine?.date?.slice(0, 10)}, see "Cluster"); every one got the event${c.fanout?.complete ? '' : ' (**not all**)'} and the statistics broadcast${c.statistics?.complete ? '' : ' (**not all**)'}`,
    met: ok ? 'met' : '**not met**',
  };
}

// ------------------------------------------------------------------ cluster

export function clusterRows(c: Record<string, any>): string[][] {
  const nodes = (c.per_node ?? []) as Record<string, any>[];
  const perNode = (f: (x: Record<string, any>) => string) => nodes.map(f).join(' / ');
  return [
    ['figure', 'value'],
    [
      'connections requested / welcomed / held',
      `${fmt(c.requested, 0)} / ${fmt(c.connect?.welcomed, 0)} / ${fmt(c.open, 0)}`,
    ],
    ['connections per node', perNode((x) => fmt(x.open, 0))],
    ['connections/s with JWT check, 0→all (all three nodes together)', fmt(c.connect?.rate, 0)],
    ['time until every welcome arrived (s)', fmt((c.connect?.ms ?? Number.NaN) / 1000, 1)],
    [
      'CPU while connecting: nodes / generators (% of a core each)',
      `${(c.connect?.node_cpu ?? []).map((x: number) => fmt(100 * x, 0)).join(' / ')} ; ${(c.connect?.generator_cpu ?? []).map((x: number) => fmt(100 * x, 0)).join(' / ')}`,
    ],
    ['RSS per node, baseline → held (MB)', perNode((x) => `${fmt(x.rss0_kb / 1024, 0)} → ${fmt(x.rss_kb / 1024, 0)}`)],
    ['memory per idle connection, per node (KB)', perNode((x) => fmt(x.kb_per_connection, 2))],
    ['memory per idle connection, all nodes (KB)', fmt(c.kb_per_connection, 2)],
    [
      `camera events posted to node 1 (${c.fanout?.events}, ${(c.fanout?.interval_ms ?? 0) / 1000} s apart): p50 / p99 delivery latency (ms)`,
      `${fmt(c.fanout?.p50_ms, 1)} / ${fmt(c.fanout?.p99_ms, 1)}`,
    ],
    [
      'camera event: POST to last receipt, median / worst event (ms)',
      `${fmt(c.fanout?.post_to_last_median_ms, 0)} / ${fmt(c.fanout?.post_to_last_max_ms, 0)}`,
    ],
    [
      'camera events: deliveries / expected, every client got every event',
      `${fmt(c.fanout?.deliveries, 0)} / ${fmt(c.fanout?.expected, 0)}, ${fmt(c.fanout?.complete)}`,
    ],
    [
      'statistics broadcast (people change on node 1): clients with the new snapshot',
      `${fmt(c.statistics?.received, 0)} of ${fmt(c.statistics?.clients, 0)}, ${fmt(c.statistics?.complete)}`,
    ],
    ['statistics broadcast: POST to last receipt (ms)', fmt(c.statistics?.post_to_last_ms, 0)],
  ];
}

export function renderClusterTable(c: Record<string, any>): string {
  const t = clusterRows(c);
  const w = [Math.max(...t.map((r) => r[0]!.length)), Math.max(...t.map((r) => r[1]!.length))];
  return t
    .map((row, i) => {
      const line = `${row[0]!.padEnd(w[0]!)} | ${row[1]!.padStart(w[1]!)}`;
      return i === 0 ? `${line}\n${'-'.repeat(w[0]!)}-+-${'-'.repeat(w[1]!)}` : line;
    })
    .join('\n');
}

const CBEGIN = '<!-- bench:cluster:begin (npm run bench -- --only cluster rewrites this part) -->';
const CEND = '<!-- bench:cluster:end -->';

export function renderClusterDoc(c: Record<string, any>, existing: string): string {
  const m = c.machine ?? {};
  let g = `${CBEGIN}\n\n### Latest cluster run\n\n`;
  g += `- Date: ${m.date}; machine as above (${m.nproc} CPUs, ${m.memory_gb} GB, Node ${m.node})\n`;
  g += `- Other load on the machine: load average ${m.load_average_at_start?.join(', ')} at the start, ${m.load_average_at_end?.join(', ')} at the end; nodes and generators at niceness ${m.nice ?? 0}\n`;
  g += `- Command: \`${c.command}\` (the scenario took ${Math.round(c.duration_s ?? 0)} s)\n`;
  g += `- ${c.nodes} nodes, ${c.generators} generator processes (one per node, at most ${c.concurrency_per_generator} handshakes in flight each), ${m.pinned}; source addresses: ${(m.source_addresses ?? []).join(', ')}; ${c.database}\n\n`;
  g += `${markdownTable(clusterRows(c))}\n\n${CEND}`;
  const a = existing.indexOf(CBEGIN);
  const b = existing.indexOf(CEND);
  if (a >= 0 && b > a) return existing.slice(0, a) + g + existing.slice(b + CEND.length);
  return `${existing.trimEnd()}\n\n## Cluster\n\n${g}\n`;
}

// ------------------------------------------------------------------ chart

const COLORS: Record<string, string> = { ours: '#d62728', socketio: '#1f77b4', ws: '#2ca02c', floor: '#7f7f7f' };

function panel(
  x0: number,
  title: string,
  yLabel: string,
  ns: number[],
  series: Record<string, (number | undefined)[]>,
): string {
  const W = 420,
    H = 300,
    L = 60,
    B = 40,
    T = 30;
  const all = Object.values(series)
    .flat()
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const yMax = Math.max(1, ...all) * 1.1;
  const xMax = Math.max(...ns);
  const px = (n: number) => x0 + L + ((W - L - 20) * n) / xMax;
  const py = (v: number) => T + (H - T - B) * (1 - v / yMax);
  let s = `<text x="${x0 + W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${title}</text>`;
  s += `<line x1="${px(0)}" y1="${py(0)}" x2="${px(xMax)}" y2="${py(0)}" stroke="#000"/><line x1="${px(0)}" y1="${py(0)}" x2="${px(0)}" y2="${T}" stroke="#000"/>`;
  for (let k2 = 0; k2 <= 4; k2++) {
    const v = (yMax * k2) / 4;
    s += `<line x1="${px(0) - 4}" y1="${py(v)}" x2="${px(xMax)}" y2="${py(v)}" stroke="#ddd"/><text x="${px(0) - 6}" y="${py(v) + 4}" text-anchor="end" font-size="11">${v >= 100 ? v.toFixed(0) : v.toFixed(1)}</text>`;
  }
  for (const n of ns) s += `<text x="${px(n)}" y="${py(0) + 16}" text-anchor="middle" font-size="11">${k(n)}</text>`;
  s += `<text x="${px(xMax / 2)}" y="${H - 4}" text-anchor="middle" font-size="11">connections (N)</text>`;
  s += `<text transform="translate(${x0 + 14},${(T + H - B) / 2}) rotate(-90)" text-anchor="middle" font-size="11">${yLabel}</text>`;
  for (const [kind, vals] of Object.entries(series)) {
    const pts = ns
      .map((n, i) => [n, vals[i]] as const)
      .filter((p): p is readonly [number, number] => typeof p[1] === 'number' && Number.isFinite(p[1]));
    s += `<polyline fill="none" stroke="${COLORS[kind]}" stroke-width="2" points="${pts.map(([n, v]) => `${px(n).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}"/>`;
    for (const [n, v] of pts)
      s += `<circle cx="${px(n).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${COLORS[kind]}"/>`;
  }
  return s;
}

export function renderChart(r: Results): string {
  const { n1, n2, held } = r.params;
  const lat: Record<string, (number | undefined)[]> = {};
  const mem: Record<string, (number | undefined)[]> = {};
  for (const kind of KINDS) {
    const s = r.servers[kind];
    if (!s) continue;
    lat[kind] = [n1, n2].map((n) => s.fanout?.[n]?.p99_ms);
    mem[kind] = [n1, n2, held].map((n) => s.memory?.[n]?.kb_per_connection);
  }
  let legend = '';
  KINDS.forEach((kind, i) => {
    legend += `<rect x="${70 + i * 150}" y="318" width="12" height="12" fill="${COLORS[kind]}"/><text x="${88 + i * 150}" y="329" font-size="12">${NAMES[kind]}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="860" height="340" font-family="sans-serif" viewBox="0 0 860 340"><rect width="860" height="340" fill="#fff"/>${panel(0, 'Fan-out p99 delivery latency', 'ms', [n1, n2], lat)}${panel(430, 'Server memory per idle connection', 'KB', [n1, n2, held], mem)}${legend}</svg>\n`;
}

// ------------------------------------------------------------------ doc

const BEGIN = '<!-- bench:generated:begin (npm run bench rewrites this part) -->';
const END = '<!-- bench:generated:end -->';

export function renderDoc(r: Results, existing: string): string {
  const m = r.machine;
  const p = r.params;
  let g = `${BEGIN}\n\n## Latest run\n\n`;
  g += `- Date: ${m.date}\n- Machine: ${m.nproc} CPUs (${m.cpu_model}), ${m.memory_gb} GB memory, Linux ${m.kernel}, Node ${m.node}\n`;
  g += `- Other load on the machine: load average ${m.load_average_at_start?.join(', ')} at the start, ${m.load_average_at_end?.join(', ')} at the end (1, 5, 15 min); server and generator niceness ${m.nice ?? 0}\n`;
  g += `- Pinning: ${m.pinned}; open files (hard limit, raised to it for every child): ${m.open_files_hard_limit}; source addresses: ${m.source_addresses.join(', ')}\n`;
  g += `- Command: \`${r.command}\` (took ${Math.round(r.duration_s ?? 0)} s)\n`;
  g += `- Workload: N = ${p.n1} and ${p.n2} (and ${p.held} held); connect concurrency ${p.concurrency}; fan-out ${p.fanEvents} events at 1/s; throughput ${p.tpSeconds} s closed loop (${p.throughput_inflight_posts} POSTs in flight, at most ${p.throughput_window_events} events ahead of the clients)\n\n`;
  g += `${markdownTable(tableRows(r))}\n\n![latency and memory against N](../bench/results/chart.svg)\n\n`;
  g += `### Targets (issue 7)\n\n| target | ours in this run | |\n| --- | --- | --- |\n`;
  for (const t of targets(r)) g += `| ${t.target} | ${t.figure} | ${t.met} |\n`;
  const profiles: [string, Record<string, any> | undefined][] = r.profile?.summary
    ? [['the throughput scenario', { ...r.profile.throughput, summary: r.profile.summary }]]
    : [
        [`connecting ${k(p.n1)} → ${k(p.n2)}`, r.profile?.connect],
        [`the throughput scenario (${k(p.n2)} clients, ${p.profileSeconds} s)`, r.profile?.throughput],
      ];
  for (const [what, prof] of profiles) {
    if (!prof?.summary) continue;
    const s = prof.summary;
    g += `\n### Profile of ours: ${what}\n\n`;
    g += `V8 sampling profiler (the one \`node --cpu-prof\` uses), started and stopped over IPC around the scenario; ${s.samples} samples; `;
    if (prof.delivered_per_s !== undefined)
      g += `${fmt(prof.delivered_per_s, 0)} messages/s delivered while profiling; `;
    if (prof.rate !== undefined) g += `${fmt(prof.rate, 0)} connections/s while profiling; `;
    g += `server CPU ${fmt(100 * prof.server_cpu, 0)}%, generator CPU ${fmt(100 * prof.generator_cpu, 0)}%. Idle ${fmt(s.idle_pct, 1)}%, garbage collector ${fmt(s.gc_pct, 1)}%.\n\n`;
    g += `| self % | function | where |\n| ---: | --- | --- |\n`;
    for (const row of s.self.slice(0, 15)) g += `| ${fmt(row.self_pct, 1)} | \`${row.fn}\` | ${row.where} |\n`;
    g += `\n| total % | function | where |\n| ---: | --- | --- |\n`;
    for (const row of s.total.slice(0, 15)) g += `| ${fmt(row.total_pct, 1)} | \`${row.fn}\` | ${row.where} |\n`;
  }
  g += `\n${END}`;
  const a = existing.indexOf(BEGIN);
  const b = existing.indexOf(END);
  if (a >= 0 && b > a) return existing.slice(0, a) + g + existing.slice(b + END.length);
  return existing.trim() ? `${existing.trimEnd()}\n\n${g}\n` : `# Benchmarks\n\n${g}\n`;
}

// ------------------------------------------------------------------ media and compression (issue 12)

const fx = (x: unknown, d = 1): string =>
  typeof x === 'number' && Number.isFinite(x)
    ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
    : 'n/a';
const mb = (kb: number) => fx(kb / 1024, 0);

function md(rows: string[][]): string {
  return [
    `| ${rows[0]!.join(' | ')} |`,
    `| ${rows[0]!.map((_, k) => (k === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** The media scenario's figures: ours and the plain ws relay side by side (markdown). */
export function renderMediaTable(m: Record<string, any>): string {
  const o = m.ours ?? {};
  const r = m.relay ?? {};
  const both = (f: (x: Record<string, any>) => string) => [f(o), f(r)];
  const ratio = (f: (x: Record<string, any>) => number) => {
    const a = f(o);
    const b = f(r);
    return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${fx(a / b, 2)}×` : '';
  };
  const t = (x: Record<string, any>) => x.phase_b?.throttled ?? {};
  const rows: string[][] = [
    ['figure', 'ours', 'plain ws relay', 'ours/relay'],
    [
      'phase A (200 viewers): frames delivered/s',
      ...both((x) => fx(x.phase_a?.frames_per_s, 0)),
      ratio((x) => x.phase_a?.frames_per_s),
    ],
    ['phase A: delivered MB/s', ...both((x) => fx(x.phase_a?.mb_per_s)), ratio((x) => x.phase_a?.mb_per_s)],
    [
      'phase A: frame latency p50 / p99 / max (ms)',
      ...both((x) => `${fx(x.phase_a?.p50_ms)} / ${fx(x.phase_a?.p99_ms)} / ${fx(x.phase_a?.max_ms)}`),
      '',
    ],
    [
      'phase A: server CPU, user + system (% of a core)',
      ...both(
        (x) =>
          `${fx(x.phase_a?.server_cpu * 100, 0)} (${fx(x.phase_a?.server_cpu_user * 100, 0)} + ${fx(x.phase_a?.server_cpu_system * 100, 0)})`,
      ),
      '',
    ],
    [
      'phase A: delivered MB per server CPU-second',
      ...both((x) => fx(x.phase_a?.mb_per_server_cpu_s)),
      ratio((x) => x.phase_a?.mb_per_server_cpu_s),
    ],
    [
      'phase A: server CPU-ms per delivered MB',
      ...both((x) => fx(x.phase_a?.server_cpu_s_per_mb * 1000)),
      ratio((x) => x.phase_a?.server_cpu_s_per_mb),
    ],
    [
      'phase B (+2 throttled): frames delivered/s (normal viewers)',
      ...both((x) => fx(x.phase_b?.frames_per_s, 0)),
      ratio((x) => x.phase_b?.frames_per_s),
    ],
    [
      'phase B: delivered MB/s (normal viewers)',
      ...both((x) => fx(x.phase_b?.mb_per_s)),
      ratio((x) => x.phase_b?.mb_per_s),
    ],
    [
      'phase B: frame latency p50 / p99 / max, normal viewers (ms)',
      ...both((x) => `${fx(x.phase_b?.p50_ms)} / ${fx(x.phase_b?.p99_ms)} / ${fx(x.phase_b?.max_ms)}`),
      '',
    ],
    [
      'phase B: server CPU, user + system (% of a core)',
      ...both(
        (x) =>
          `${fx(x.phase_b?.server_cpu * 100, 0)} (${fx(x.phase_b?.server_cpu_user * 100, 0)} + ${fx(x.phase_b?.server_cpu_system * 100, 0)})`,
      ),
      '',
    ],
    [
      'phase B: delivered MB per server CPU-second (all viewers)',
      ...both((x) => fx(x.phase_b?.mb_per_server_cpu_s)),
      ratio((x) => x.phase_b?.mb_per_server_cpu_s),
    ],
    [
      'throttled viewers: frames/s, KB/s read (both)',
      ...both((x) => `${fx(t(x).frames_per_s)}, ${fx(t(x).kb_per_s, 0)}`),
      '',
    ],
    [
      'throttled viewers: frame age at receipt p50 / max (ms)',
      ...both((x) => `${fx(t(x).age_at_receipt_p50_ms, 0)} / ${fx(t(x).age_at_receipt_max_ms, 0)}`),
      '',
    ],
    [
      'throttled viewers: age of the newest frame per camera, sampled every 100 ms, p50 / max (ms)',
      ...both((x) => `${fx(t(x).newest_frame_age_p50_ms, 0)} / ${fx(t(x).newest_frame_age_max_ms, 0)}`),
      '',
    ],
    [
      'RSS before the load / start / peak / end (MB)',
      ...both(
        (x) => `${mb(x.rss?.baseline_kb)} / ${mb(x.rss?.start_kb)} / ${mb(x.rss?.peak_kb)} / ${mb(x.rss?.end_kb)}`,
      ),
      '',
    ],
    [
      'load process CPU, phase A / B (% of a core)',
      ...both((x) => `${fx(x.phase_a?.load_cpu * 100, 0)} / ${fx(x.phase_b?.load_cpu * 100, 0)}`),
      '',
    ],
    [
      'error messages / close codes seen by clients',
      ...both((x) => `${x.status?.errors ?? 'n/a'} / ${JSON.stringify(x.status?.close_codes ?? [])}`),
      '',
    ],
  ];
  const j = m.json_path;
  const parts = [md(rows)];
  if (j) {
    const w = j.without_media ?? {};
    const v = j.with_media ?? {};
    parts.push(
      md([
        [`JSON path, ours, ${j.clients} clients`, 'without media', 'with the media load', 'with/without'],
        [
          'fan-out: p50 / p99 delivery latency (ms)',
          `${fx(w.fanout?.p50_ms)} / ${fx(w.fanout?.p99_ms)}`,
          `${fx(v.fanout?.p50_ms)} / ${fx(v.fanout?.p99_ms)}`,
          `${fx(v.fanout?.p99_ms / w.fanout?.p99_ms, 2)}× (p99)`,
        ],
        [
          'fan-out: every client got every event',
          w.fanout?.complete ? 'yes' : 'no',
          v.fanout?.complete ? 'yes' : 'no',
          '',
        ],
        [
          'throughput: delivered messages/s',
          fx(w.throughput?.delivered_per_s, 0),
          fx(v.throughput?.delivered_per_s, 0),
          `${fx(v.throughput?.delivered_per_s / w.throughput?.delivered_per_s, 2)}×`,
        ],
        [
          'throughput: every client got every event',
          w.throughput?.complete ? 'yes' : 'no',
          v.throughput?.complete ? 'yes' : 'no',
          '',
        ],
        [
          'throughput: server / generator / media load CPU (%)',
          `${fx(w.throughput?.server_cpu * 100, 0)} / ${fx(w.throughput?.generator_cpu * 100, 0)} / -`,
          `${fx(v.throughput?.server_cpu * 100, 0)} / ${fx(v.throughput?.generator_cpu * 100, 0)} / ${fx(v.throughput?.media_load_cpu * 100, 0)}`,
          '',
        ],
        [
          'media delivered meanwhile: frames/s, MB/s, p99 (ms)',
          '-',
          `${fx(j.media_during?.frames_per_s, 0)}, ${fx(j.media_during?.mb_per_s)}, ${fx(j.media_during?.p99_ms)}`,
          '',
        ],
      ]),
    );
  }
  return parts.join('\n\n');
}

/** The compression scenario's figures: permessage-deflate off and on (markdown). */
export function renderCompressionTable(c: Record<string, any>): string {
  const off = c.off ?? {};
  const on = c.on ?? {};
  const row = (name: string, f: (x: Record<string, any>) => number, d = 1, unit = ''): string[] => {
    const a = f(off);
    const b = f(on);
    return [name, `${fx(a, d)}${unit}`, `${fx(b, d)}${unit}`, Number.isFinite(a / b) && a ? `${fx(b / a, 2)}×` : ''];
  };
  return md([
    [`ours, ${c.clients} clients`, 'compression off', 'compression on', 'on/off'],
    row('connections with permessage-deflate', (x) => x.deflate_negotiated, 0),
    row('memory per idle connection (KB)', (x) => x.memory?.kb_per_connection, 2),
    row('connections/s, 0 → N', (x) => x.connect?.rate, 0),
    row('bytes on the wire per statistics update', (x) => x.wire_bytes?.stats, 0),
    row('bytes on the wire per camera event', (x) => x.wire_bytes?.event, 0),
    row('statistics broadcast: trigger to last receipt (ms)', (x) => x.statistics?.post_to_last_ms, 0),
    row('fan-out: p50 delivery latency (ms)', (x) => x.fanout?.p50_ms),
    row('fan-out: p99 delivery latency (ms)', (x) => x.fanout?.p99_ms),
    row('delivered messages/s (throughput)', (x) => x.throughput?.delivered_per_s, 0),
    row('events posted/s', (x) => x.throughput?.events_per_s),
    row('server CPU during throughput (% of a core)', (x) => x.throughput?.server_cpu * 100, 0),
    row('generator CPU during throughput (% of a core)', (x) => x.throughput?.generator_cpu * 100, 0),
    [
      'every client got every event (fan-out / throughput)',
      ...[off, on].map((x) => `${x.fanout?.complete ? 'yes' : 'no'} / ${x.throughput?.complete ? 'yes' : 'no'}`),
      '',
    ],
  ]);
}
