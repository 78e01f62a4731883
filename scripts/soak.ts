/**
 * Soak run (issue 8 item 6): `npm run soak -- --minutes N [--clients C] [--rate R] [--svg path]`.
 *
 * Starts the server as a child process, then runs C WebSocket clients that connect, reconnect
 * (clean close or abrupt drop, then resume with `last_event_id`) and leave for good at random,
 * while producers post camera events, alerts and recognitions through REST at about R per second.
 * Samples the server's RSS (/proc/<pid>/status) and event-loop lag (/metrics) every few seconds.
 *
 * At the end every client's received ids are checked against the stored history:
 *  - clients still there: union of ids received == every id after the newest id at their first
 *    welcome, up to the last id produced; no id twice;
 *  - clients that left: union == every id after their first welcome up to the newest they saw.
 * Writes an SVG of memory over time, prints a JSON summary, exits 1 on any loss or duplicate.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { ADMIN_PASSWORD, freePort, spawnServerProcess, tempDir } from '../packages/server/src/testing.js';

// ------------------------------------------------------------------ options

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} needs a positive number`);
  return n;
}
function strArg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : String(process.argv[i + 1]);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MINUTES = arg('minutes', 10);
const CLIENTS = Math.min(arg('clients', 2000), 3000);
const RATE = arg('rate', 5); // producer items per second
const MEAN_LIFE_MS = arg('mean-life-s', 40) * 1000; // mean time a connection stays open
const LEAVE_PROBABILITY = 0.1; // at each disconnect: leave for good (replaced by a new client)
const USERS = 50;
const SAMPLE_MS = 5000;
const SVG_PATH = path.resolve(root, strArg('svg', 'docs/soak-memory.svg'));
const JSON_PATH = path.resolve(root, strArg('json', 'docs/soak-result.json'));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (a: number, b: number) => a + Math.random() * (b - a);
const expRand = (mean: number) => -mean * Math.log(1 - Math.random());
const log = (msg: string) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ------------------------------------------------------------------ server

const port = await freePort();
const dataDir = tempDir('openeye-soak-');
const proc = await spawnServerProcess({
  port,
  dataDir,
  env: {
    OPENEYE_MAX_CONNECTIONS_PER_USER: '1000',
    OPENEYE_HISTORY_MAX_EVENTS: '1000000',
    OPENEYE_TOKEN_LIFETIME_SECONDS: String(Math.ceil(MINUTES * 60 + 1800)),
    OPENEYE_JWT_SECRET: 'soak-secret-soak-secret-soak-secret-0123',
    // Info level, so that ws.dead / ws.reject / ws.slow can be counted at the end (ws.open/close lines too).
    LOG_LEVEL: 'info',
  },
});
const base = proc.url;
const pid = proc.child.pid!;
log(`server pid ${pid} at ${base}; ${CLIENTS} clients, ${RATE} items/s, ${MINUTES} min`);

// biome-ignore lint/suspicious/noExplicitAny: the soak reads many JSON shapes
async function call(method: string, p: string, token?: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${p} -> ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

const admin = (await call('POST', '/api/auth/login', undefined, { username: 'admin', password: ADMIN_PASSWORD }))
  .access_token as string;
async function userToken(username: string, role: string): Promise<string> {
  await call('POST', '/api/users', admin, { username, password: `${username}-password`, role });
  return (await call('POST', '/api/auth/login', undefined, { username, password: `${username}-password` }))
    .access_token;
}
const producer = await userToken('soak-producer', 'producer');
const tokens: string[] = [];
for (let i = 0; i < USERS; i++) tokens.push(await userToken(`soak-viewer-${i}`, 'viewer'));
const cameras: number[] = [];
for (let i = 0; i < 5; i++) cameras.push((await call('POST', '/api/cameras', admin, { name: `soak-cam-${i}` })).id);
const people: number[] = [];
for (let i = 0; i < 5; i++) people.push((await call('POST', '/api/people', admin, { name: `soak-person-${i}` })).id);
await call('POST', '/api/alerts', producer, { alert_type: 'info', message: 'soak start' });

// ------------------------------------------------------------------ clients

type Phase = 'run' | 'settle' | 'done';
let phase: Phase = 'run';

interface Client {
  idx: number;
  token: string;
  ws: WebSocket | null;
  state: 'connecting' | 'open' | 'away' | 'gone';
  /** Newest id at the first welcome: everything after it must arrive. */
  first: number | null;
  cursor: number;
  received: Set<number>;
  duplicates: number;
  outOfOrder: number;
  lastThisConn: number;
  connects: number;
  resumedFalse: number;
  timer: NodeJS.Timeout | null;
  intentional: boolean;
  failures: number;
}

const clients: Client[] = [];
const closeCodes = new Map<number, number>();
let totalConnects = 0;
let totalMessages = 0;
let nextIdx = 0;

function newClient(): Client {
  const c: Client = {
    idx: nextIdx,
    token: tokens[nextIdx % USERS]!,
    ws: null,
    state: 'away',
    first: null,
    cursor: 0,
    received: new Set(),
    duplicates: 0,
    outOfOrder: 0,
    lastThisConn: 0,
    connects: 0,
    resumedFalse: 0,
    timer: null,
    intentional: false,
    failures: 0,
  };
  nextIdx++;
  clients.push(c);
  return c;
}

function schedule(c: Client, ms: number, fn: () => void): void {
  if (c.timer) clearTimeout(c.timer);
  c.timer = setTimeout(() => {
    c.timer = null;
    fn();
  }, ms);
}

function open(c: Client): void {
  if (c.state === 'gone') return;
  const u = new URL('/api/ws/statistics', base.replace(/^http/, 'ws'));
  u.searchParams.set('token', c.token);
  if (c.first !== null) u.searchParams.set('last_event_id', String(c.cursor));
  const ws = new WebSocket(u);
  c.ws = ws;
  c.state = 'connecting';
  c.intentional = false;
  c.lastThisConn = 0;
  c.connects++;
  totalConnects++;
  ws.on('error', () => {});
  ws.on('message', (data) => {
    totalMessages++;
    const text = String(data);
    if (text.startsWith('{"type":"statistics_update"')) return;
    const m = JSON.parse(text) as { type: string; id?: string; last_event_id?: string | null; resumed?: boolean };
    if (m.type === 'connection_status') {
      c.state = 'open';
      c.failures = 0;
      if (c.first === null) {
        c.first = Number(m.last_event_id ?? 0);
        c.cursor = c.first;
      } else if (m.resumed !== true) c.resumedFalse++;
      if (phase === 'run') schedule(c, expRand(MEAN_LIFE_MS), () => drop(c));
      return;
    }
    if (m.type !== 'camera_event' && m.type !== 'alert') return;
    const id = Number(m.id);
    if (c.received.has(id)) c.duplicates++;
    else c.received.add(id);
    if (id <= c.lastThisConn) c.outOfOrder++;
    c.lastThisConn = id;
    if (id > c.cursor) c.cursor = id;
  });
  ws.on('close', (code) => {
    closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
    if (c.ws !== ws) return;
    c.ws = null;
    if (c.state === 'gone') return;
    c.state = 'away';
    // Unplanned closes (limit, slow, server) reconnect too, with a short random backoff.
    if (!c.intentional) c.failures++;
    else c.failures = 0;
    // Unplanned closes (limit, slow, server) reconnect too, with full-jitter exponential backoff.
    const backoff = c.failures === 0 ? rand(100, 3000) : rand(0, Math.min(10_000, 250 * 2 ** c.failures));
    schedule(c, phase === 'run' ? backoff : rand(100, 1000), () => open(c));
  });
}

/** End of a connection's life: leave for good (replaced), or drop (clean or abrupt) and come back. */
function drop(c: Client): void {
  const ws = c.ws;
  if (!ws || phase !== 'run') return;
  if (Math.random() < LEAVE_PROBABILITY) {
    c.state = 'gone';
    ws.close(1000);
    open(newClient());
    return;
  }
  c.intentional = true;
  if (Math.random() < 0.5) ws.close(1000);
  else ws.terminate();
}

// ------------------------------------------------------------------ producers

let producing = true;
let produced = 0;
let produceErrors = 0;
async function producerLoop(share: number): Promise<void> {
  const interval = 1000 / (RATE * share);
  while (producing) {
    const started = Date.now();
    const r = Math.random();
    const cam = cameras[Math.floor(Math.random() * cameras.length)]!;
    try {
      if (r < 0.6) {
        const types = ['motion_detected', 'recording_started', 'recording_stopped', 'face_recognized'];
        await call('POST', `/api/cameras/${cam}/events`, producer, {
          event_type: types[Math.floor(Math.random() * types.length)],
          data: { n: produced },
        });
      } else if (r < 0.8) {
        await call('POST', '/api/alerts', producer, {
          alert_type: Math.random() < 0.5 ? 'info' : 'warning',
          message: `soak ${produced}`,
          ...(Math.random() < 0.5 ? { camera_id: cam } : {}),
        });
      } else {
        const known = Math.random() < 0.5;
        await call('POST', '/api/recognitions', producer, {
          camera_id: cam,
          person_id: known ? people[Math.floor(Math.random() * people.length)] : null,
          confidence: 0.9,
        });
      }
      produced++;
    } catch {
      produceErrors++;
    }
    await sleep(Math.max(0, interval - (Date.now() - started)));
  }
}

// ------------------------------------------------------------------ sampling

interface Sample {
  t: number;
  rssMb: number;
  heapMb: number;
  lagP99Ms: number;
  lagMaxMs: number;
  clientLagP99Ms: number;
  serverConnections: number;
  clientsOpen: number;
}
const samples: Sample[] = [];
const t0 = Date.now();
/** This (client) process's own lag: when it is starved, the server's heartbeats may see it as dead. */
const clientLag = monitorEventLoopDelay({ resolution: 20 });
clientLag.enable();

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

async function sample(): Promise<void> {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    const m = await (await fetch(`${base}/metrics`)).text();
    const s: Sample = {
      t: (Date.now() - t0) / 1000,
      rssMb: rssKb / 1024,
      heapMb: metric(m, 'nodejs_heap_size_used_bytes') / 2 ** 20,
      lagP99Ms: metric(m, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      lagMaxMs: metric(m, 'nodejs_eventloop_lag_max_seconds') * 1000,
      clientLagP99Ms: clientLag.percentile(99) / 1e6,
      serverConnections: metric(m, 'openeye_ws_connections'),
      clientsOpen: clients.filter((c) => c.state === 'open').length,
    };
    samples.push(s);
    clientLag.reset();
    if (samples.length % 6 === 1) {
      log(
        `t=${s.t.toFixed(0)}s rss=${s.rssMb.toFixed(1)}MB heap=${s.heapMb.toFixed(1)}MB lag_p99=${s.lagP99Ms.toFixed(1)}ms ` +
          `client_lag_p99=${s.clientLagP99Ms.toFixed(0)}ms conns=${s.serverConnections} open=${s.clientsOpen} produced=${produced} connects=${totalConnects}`,
      );
    }
  } catch (err) {
    log(`sample failed: ${(err as Error).message}`);
  }
}

// ------------------------------------------------------------------ run

const sampler = setInterval(sample, SAMPLE_MS);
await sample();
for (let i = 0; i < CLIENTS; i++) {
  open(newClient());
  if (i % 100 === 99) await sleep(250);
}
const producers = [producerLoop(0.5), producerLoop(0.3), producerLoop(0.2)];
const endAt = t0 + MINUTES * 60_000;
while (Date.now() < endAt) await sleep(1000);

// Settle: no more churn; everyone who is away comes back and resumes; then producers stop.
phase = 'settle';
log('settling: churn stopped, reconnecting every client that is away');
for (const c of clients) {
  if (c.state === 'away') schedule(c, rand(0, 2000), () => open(c));
  else if (c.state === 'open' && c.timer) {
    clearTimeout(c.timer);
    c.timer = null;
  }
}
const active = () => clients.filter((c) => c.state !== 'gone');
for (let i = 0; i < 120 && active().some((c) => c.state !== 'open'); i++) await sleep(500);
producing = false;
await Promise.all(producers);
const history: number[] = [];
for (let after = 0; ; ) {
  const page = await call('GET', `/api/events?after=${after}&limit=1000`, admin);
  for (const e of page.events) history.push(Number(e.id));
  if (!page.has_more || page.events.length === 0) break;
  after = Number(page.events.at(-1).id);
}
const newest = history.at(-1) ?? 0;
for (let i = 0; i < 120 && active().some((c) => c.cursor < newest); i++) await sleep(500);
await sample();
clearInterval(sampler);
phase = 'done';

// ------------------------------------------------------------------ verify

let lost = 0;
let duplicates = 0;
let outOfOrder = 0;
let resumedFalse = 0;
let checked = 0;
let checkedLeavers = 0;
let notReconnected = 0;
let deliveries = 0;
const lossExamples: string[] = [];
for (const c of clients) {
  duplicates += c.duplicates;
  outOfOrder += c.outOfOrder;
  resumedFalse += c.resumedFalse;
  deliveries += c.received.size + c.duplicates;
  if (c.first === null) continue;
  const upTo = c.state === 'gone' ? c.cursor : newest;
  if (c.state !== 'gone' && c.state !== 'open') notReconnected++;
  let missing = 0;
  for (const id of history) if (id > c.first && id <= upTo && !c.received.has(id)) missing++;
  let extra = 0;
  for (const id of c.received) if (id <= c.first) extra++;
  if (missing + extra > 0 && lossExamples.length < 10) {
    lossExamples.push(`client ${c.idx} (${c.state}): ${missing} missing, ${extra} from before its first connect`);
  }
  lost += missing + extra;
  if (c.state === 'gone') checkedLeavers++;
  else checked++;
}

// Close codes the server logged (ws.close), e.g. 1006 = dropped by a heartbeat or by the peer.
const serverCloseCodes: Record<string, number> = {};
for (const l of proc.output.join('').split('\n')) {
  const m = /"event":"ws.close".*?"code":(\d+)/.exec(l);
  if (m) serverCloseCodes[m[1]!] = (serverCloseCodes[m[1]!] ?? 0) + 1;
}
const serverErrors = proc.output
  .join('')
  .split('\n')
  .filter((l) => /"level":(50|60)/.test(l));
// The server logs at warn: refusals (ws.reject overloaded), slow consumers, violations.
const serverWarnings: Record<string, number> = {};
for (const l of proc.output.join('').split('\n')) {
  const m = /"event":"([^"]+)"(?:.*?"reason":"([^"]+)")?/.exec(l);
  if (m && m[1] !== 'ws.open' && m[1] !== 'ws.close' && m[1] !== 'http')
    serverWarnings[m[2] ? `${m[1]} ${m[2]}` : m[1]!] = (serverWarnings[m[2] ? `${m[1]} ${m[2]}` : m[1]!] ?? 0) + 1;
}
const steady = samples.filter((s) => s.t > 60);
const pick = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const summary = {
  minutes: MINUTES,
  clients_target: CLIENTS,
  clients_total: clients.length,
  clients_checked_at_end: checked,
  clients_checked_after_leaving: checkedLeavers,
  clients_not_reconnected_at_end: notReconnected,
  connects: totalConnects,
  messages_received: totalMessages,
  event_deliveries: deliveries,
  events_produced_requests: produced,
  producer_errors: produceErrors,
  history_events: history.length,
  lost,
  duplicates,
  out_of_order: outOfOrder,
  resumed_false: resumedFalse,
  close_codes: Object.fromEntries([...closeCodes].sort((a, b) => a[0] - b[0])),
  rss_mb: {
    first_minute_end: samples.find((s) => s.t >= 60)?.rssMb,
    min_after_1min: steady.length ? Math.min(...steady.map((s) => s.rssMb)) : null,
    max_after_1min: steady.length ? Math.max(...steady.map((s) => s.rssMb)) : null,
    end: samples.at(-1)?.rssMb,
  },
  heap_used_mb: {
    min_after_1min: steady.length ? Math.min(...steady.map((s) => s.heapMb)) : null,
    max_after_1min: steady.length ? Math.max(...steady.map((s) => s.heapMb)) : null,
    end: samples.at(-1)?.heapMb,
  },
  eventloop_lag_ms: {
    p99_median_of_samples: pick(
      samples.map((s) => s.lagP99Ms),
      0.5,
    ),
    p99_worst_sample: Math.max(...samples.map((s) => s.lagP99Ms)),
    max_worst_sample: Math.max(...samples.map((s) => s.lagMaxMs)),
    client_process_p99_median_of_samples: pick(
      samples.map((s) => s.clientLagP99Ms),
      0.5,
    ),
    client_process_p99_worst_sample: Math.max(...samples.map((s) => s.clientLagP99Ms)),
  },
  loss_examples: lossExamples,
  server_error_lines: serverErrors.length,
  server_warnings: serverWarnings,
  server_close_codes: serverCloseCodes,
  server_error_examples: serverErrors.slice(0, 5).map((l) => l.slice(0, 300)),
  host: { cpus: os.cpus().length, node: process.version },
};
fs.mkdirSync(path.dirname(SVG_PATH), { recursive: true });
fs.writeFileSync(SVG_PATH, svg(samples));
fs.writeFileSync(JSON_PATH, `${JSON.stringify({ summary, samples }, null, 1)}\n`);
log(`summary:\n${JSON.stringify(summary, null, 2)}`);
log(`wrote ${path.relative(root, SVG_PATH)} and ${path.relative(root, JSON_PATH)}`);

for (const c of clients) {
  if (c.timer) clearTimeout(c.timer);
  c.state = 'gone';
  c.ws?.terminate();
}
const exit = await proc.kill('SIGTERM');
log(`server exited with ${exit}`);
fs.rmSync(dataDir, { recursive: true, force: true });
const ok = lost === 0 && duplicates === 0 && outOfOrder === 0 && checked > 0 && notReconnected === 0;
log(ok ? 'PASS' : 'FAIL');
process.exit(ok ? 0 : 1);

// ------------------------------------------------------------------ plot

function svg(points: Sample[]): string {
  const W = 800;
  const H = 360;
  const L = 60;
  const R = 60;
  const T = 30;
  const B = 40;
  const maxT = Math.max(1, ...points.map((p) => p.t));
  const maxMb = Math.max(1, ...points.map((p) => p.rssMb)) * 1.15;
  const maxLag = Math.max(10, ...points.map((p) => p.lagP99Ms)) * 1.15;
  const x = (t: number) => L + (t / maxT) * (W - L - R);
  const y = (v: number, max: number) => H - B - (v / max) * (H - T - B);
  const line = (vals: [number, number][], max: number, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${vals
      .filter(([, v]) => Number.isFinite(v))
      .map(([t, v]) => `${x(t).toFixed(1)},${y(v, max).toFixed(1)}`)
      .join(' ')}"/>`;
  const ticks: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const mb = (maxMb * i) / 5;
    const lag = (maxLag * i) / 5;
    const yy = y(mb, maxMb).toFixed(1);
    ticks.push(
      `<line x1="${L}" x2="${W - R}" y1="${yy}" y2="${yy}" stroke="#eee"/>`,
      `<text x="${L - 6}" y="${yy}" text-anchor="end" font-size="11" dy="4">${mb.toFixed(0)}</text>`,
      `<text x="${W - R + 6}" y="${yy}" font-size="11" dy="4" fill="#c60">${lag.toFixed(0)}</text>`,
    );
    const tt = (maxT * i) / 5;
    ticks.push(
      `<text x="${x(tt).toFixed(1)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${(tt / 60).toFixed(1)}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${L}" y="18" font-size="13">Soak: server RSS (blue, MB), heap used (green, MB), event-loop lag p99 (orange, ms, right axis); ${CLIENTS} clients</text>
${ticks.join('\n')}
<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/>
<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>
<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" font-size="11">minutes</text>
${line(
  points.map((p) => [p.t, p.rssMb]),
  maxMb,
  '#1f5fbf',
)}
${line(
  points.map((p) => [p.t, p.heapMb]),
  maxMb,
  '#2a9d3a',
)}
${line(
  points.map((p) => [p.t, p.lagP99Ms]),
  maxLag,
  '#c60',
)}
</svg>
`;
}
