/**
 * `npm run bench [-- --quick] [-- --only ours,ws] [-- --sources 4] [-- --no-profile] [-- --no-doc]
 *   [-- --keep-profile] [-- --ours-src DIR] [-- --nice N] [-- --cluster] [-- --cluster-n N]
 *   [-- --only mqtt] [-- --no-mqtt] [-- --mqtt URL] [-- --only media] [-- --no-media]
 *   [-- --only compression] [-- --no-compression] [-- --pairs N --ours-src DIR]`
 *   The media scenario (issue 12: 16 cameras pushed over producer sockets, 200 viewers, 2 throttled
 *   viewers; ours and a plain `ws` relay; then the JSON path with and without that load) and the
 *   compression scenario (ours at 10k clients with permessage-deflate off and on) run by default;
 *   `--only media` / `--only compression` alone, `--no-media` / `--no-compression` leave them out.
 *   The MQTT scenario (MQTT in, WebSocket out at 1k clients) runs by default when a broker answers
 *   at --mqtt (default mqtt://127.0.0.1:1883), skipped with a note otherwise; `--only mqtt` alone.
 *   (DIR: another copy of packages/server/src, for A/B runs; N: niceness of the server and generator,
 *   e.g. -10 on a machine other work shares)
 *   `--render` rewrites the table, chart and doc from bench/results/full.json without running.
 *   `--pairs N --ours-src DIR`: before/after in one invocation: ours from packages/server/src (A)
 *   and from DIR (B), N runs each, alternating which goes first; per figure the medians, their ratio
 *   and a 95 % interval (bench/ab.ts); bench/results/ab[-quick].json.
 *   `--ours-node-args "OPTS"`: node options for every run of ours (both copies with --pairs), e.g.
 *   "--max-semi-space-size=16" to start with V8's default young generation (start-up-memory.ts).
 *   `--cluster` adds the cluster scenario (three nodes of ours on PostgreSQL + Redis, 50k connections
 *   over three generator processes); `--only cluster` runs it alone. `--pg URL` (an existing database
 *   to connect to for CREATE/DROP DATABASE, default postgres://postgres@127.0.0.1:5432/test) and
 *   `--redis URL` (default redis://127.0.0.1:6379) say where they are.
 *
 * Runs the same workload against four servers in one invocation: ours (packages/server), Socket.IO
 * 4.8, a plain `ws` server and the floor (bench/servers/*). Each server runs alone, pinned to CPU 0;
 * the load generator (bench/generator.ts) runs in its own process pinned to CPU 1. Everything talks
 * to 127.0.0.1 only; every child is killed when this process ends, on errors too.
 * Results: bench/results/<full|quick>.json, a table on stdout; a full run also rewrites the generated
 * part of docs/benchmarks.md and bench/results/chart.svg.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, renderComparison } from './ab.ts';
import { summarizeProfile } from './profile.ts';
import {
  type Results,
  renderChart,
  renderClusterDoc,
  renderClusterTable,
  renderCompressionTable,
  renderDoc,
  renderMediaTable,
  renderTable,
} from './report.ts';
import { signToken } from './servers/common.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => {
  const k = argv.indexOf(`--${name}`);
  return k >= 0 ? argv[k + 1] : undefined;
};
const QUICK = flag('quick');
/** Before/after runs of ours: this many of each copy (`--pairs N`, with `--ours-src DIR`). */
const PAIRS = Number(option('pairs') ?? 0);
const ONLY = (option('only') ?? 'ours,socketio,ws,floor,mqtt,media,compression').split(',');
const KINDS = ONLY.filter((k) => !['cluster', 'mqtt', 'media', 'compression'].includes(k)) as Kind[];
const CLUSTER = flag('cluster') || ONLY.includes('cluster');
/** The MQTT scenario (ours only): MQTT in, WebSocket out, at 1k clients; `--mqtt URL` is the broker. */
const MQTT = ONLY.includes('mqtt') && !flag('no-mqtt');
const MQTT_URL = option('mqtt') ?? 'mqtt://127.0.0.1:1883';
/** The media scenario (issue 12): ours and a plain `ws` relay, then the JSON path next to media. */
const MEDIA = ONLY.includes('media') && !flag('no-media');
/** The compression scenario: ours at 10k clients with permessage-deflate off and on. */
const COMPRESSION = ONLY.includes('compression') && !flag('no-compression');
type Kind = 'ours' | 'socketio' | 'ws' | 'floor' | 'ws-relay';

function sh(cmd: string): string {
  try {
    return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}
const hardFiles = Number(sh('ulimit -Hn')) || 1024;
const HAS_TASKSET = sh('command -v taskset') !== '' && os.cpus().length >= 2;
const HELD = Math.min(19_000, hardFiles - 1000);
const P = QUICK
  ? { n1: 200, n2: 1000, held: Math.min(2000, HELD), fanEvents: 3, tpSeconds: 3, profileSeconds: 0 }
  : { n1: 1000, n2: 10_000, held: HELD, fanEvents: 10, tpSeconds: 15, profileSeconds: 10 };
const SOURCES = Array.from(
  { length: Number(option('sources') ?? (P.held > 25_000 ? 4 : 1)) },
  (_, k) => `127.0.0.${k + 1}`,
);
const CONCURRENCY = 200;
/**
 * How every run of ours starts node: TypeScript sources through tsx, gc exposed for the memory
 * readings, and `--ours-node-args "..."` (both copies with --pairs, the cluster's nodes too).
 */
const OURS_NODE = [
  '--conditions=source',
  '--import',
  'tsx',
  '--expose-gc',
  ...(option('ours-node-args') ?? '').split(/\s+/).filter(Boolean),
];

// ------------------------------------------------------------------ children

const children = new Set<ChildProcess>();
function killAll(): void {
  for (const c of children)
    if (c.exitCode === null && c.pid)
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {}
}
/** Asynchronous clean-ups (the cluster's database and Redis keys), also run on signals and errors. */
const cleanups = new Set<() => Promise<void>>();
let bailing: Promise<never> | null = null;
function bail(code: number): Promise<never> {
  bailing ??= (async () => {
    killAll();
    await Promise.race([Promise.allSettled([...cleanups].map((f) => f())), sleep(10_000)]);
    process.exit(code);
  })();
  return bailing;
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void bail(130));
process.on('uncaughtException', (err) => {
  console.error(err);
  void bail(1);
});
process.on('unhandledRejection', (err) => {
  console.error(err);
  void bail(1);
});

/** Spawns `node args` with the open-files limit raised to the hard limit, pinned to `cpu` (null: not pinned). */
const NICE = Number(option('nice') ?? 0);
function spawnNode(cpu: number | null, args: string[], env: Record<string, string>): ChildProcess {
  const pin = [
    ...(NICE ? ['nice', '-n', String(NICE)] : []),
    ...(HAS_TASKSET && cpu !== null ? ['taskset', '-c', String(cpu)] : []),
  ];
  // With --nice, the child gets its own session, hence its own scheduler autogroup, given the same
  // niceness: with autogroups on, a process's nice value only counts against its own group.
  const script = `${NICE ? `echo ${NICE} > /proc/self/autogroup 2>/dev/null; ` : ''}ulimit -n "$(ulimit -Hn)" && exec "$@"`;
  const child = spawn(
    NICE ? 'setsid' : 'sh',
    [...(NICE ? ['sh'] : []), '-c', script, 'sh', ...pin, process.execPath, ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...env },
    },
  );
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function waitMessage<T>(child: ChildProcess, pred: (m: any) => boolean, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timeout waiting for ${what}`));
    }, ms);
    const onMsg = (m: any) => {
      if (pred(m)) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`${what}: child exited ${code}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMsg);
      child.off('exit', onExit);
    };
    child.on('message', onMsg);
    child.on('exit', onExit);
  });
}

let seq = 0;
async function ask(gen: ChildProcess, cmd: string, args: Record<string, unknown> = {}, ms = 180_000): Promise<any> {
  const id = ++seq;
  gen.send({ id, cmd, args });
  const m = await waitMessage<{ result: any }>(gen, (x) => x?.id === id, ms, `generator ${cmd}`);
  if (m.result?.error) throw new Error(`generator ${cmd}: ${m.result.error}`);
  return m.result;
}

// ------------------------------------------------------------------ /proc

const CLK_TCK = Number(sh('getconf CLK_TCK')) || 100;
function rssKB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime (fields 14, 15)
}
/** utime and stime of a process, seconds. */
function cpuSplit(pid: number): [number, number] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(f[11]) / CLK_TCK, Number(f[12]) / CLK_TCK];
}
async function measuredCpu<T>(pids: number[], fn: () => Promise<T>): Promise<{ result: T; cpu: number[] }> {
  const t0 = performance.now();
  const c0 = pids.map(cpuSeconds);
  const result = await fn();
  const secs = (performance.now() - t0) / 1000;
  return { result, cpu: pids.map((p, k) => (cpuSeconds(p) - c0[k]!) / secs) };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ servers

interface Started {
  child: ChildProcess;
  pid: number;
  port: number;
  target: Record<string, unknown>;
}

async function http(port: number, method: string, p: string, body?: unknown, token?: string): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function startServer(
  kind: Kind,
  extraArgs: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<Started> {
  const secret = `bench-secret-${process.pid}-${Date.now()}-0123456789abcdef`;
  let child: ChildProcess;
  if (kind === 'ours') {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-bench-'));
    child = spawnNode(0, [...OURS_NODE, ...extraArgs, 'bench/servers/ours.ts'], {
      PORT: '0',
      HOST: '127.0.0.1',
      OPENEYE_DATA_DIR: dataDir,
      OPENEYE_ADMIN_PASSWORD: 'bench-admin-password',
      OPENEYE_MAX_CONNECTIONS_PER_USER: '100000',
      // No periodic statistics broadcast (every 5 s by default): where it falls relative to a
      // scenario's window depends on how long the server took to start, and the peers have none.
      // The statistics scenario measures the broadcast a change triggers.
      OPENEYE_BROADCAST_INTERVAL_MS: '3600000',
      LOG_LEVEL: 'warn',
      ...(option('ours-src') && !PAIRS ? { BENCH_OURS_SRC: path.resolve(ROOT, option('ours-src')!) } : {}),
      ...extraEnv,
    });
    child.on('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  } else {
    child = spawnNode(0, ['--import', 'tsx', '--expose-gc', ...extraArgs, `bench/servers/${kind}.ts`], {
      BENCH_SECRET: secret,
    });
  }
  const { port } = await waitMessage<{ port: number }>(child, (m) => m?.ready, 60_000, `${kind} ready`);
  let target: Record<string, unknown>;
  if (kind === 'ours') {
    const admin = (await http(port, 'POST', '/api/auth/login', { username: 'admin', password: 'bench-admin-password' }))
      .access_token;
    await http(port, 'POST', '/api/users', { username: 'viewer', password: 'viewer-password', role: 'viewer' }, admin);
    const viewer = (await http(port, 'POST', '/api/auth/login', { username: 'viewer', password: 'viewer-password' }))
      .access_token;
    const camera = await http(port, 'POST', '/api/cameras', { name: 'Bench camera', location: 'Loopback' }, admin);
    target = {
      path: `/api/ws/statistics?token=${viewer}`,
      token: viewer,
      postToken: admin,
      cameraId: camera.id,
      statisticsPath: '/api/people',
    };
  } else {
    const viewer = signToken(secret, 2);
    target = {
      path: kind === 'socketio' ? '/socket.io/?EIO=4&transport=websocket' : `/ws?token=${viewer}`,
      token: viewer,
      postToken: signToken(secret, 1),
      cameraId: 1,
      statisticsPath: '/bench/statistics',
    };
  }
  return { child, pid: child.pid!, port, target: { kind, port, sources: SOURCES, ...target } };
}

async function stopServer(s: Started): Promise<void> {
  if (s.child.exitCode !== null) return;
  s.child.send({ cmd: 'exit' });
  await Promise.race([new Promise((r) => s.child.once('exit', r)), sleep(5000)]);
  if (s.child.exitCode === null) s.child.kill('SIGKILL');
}

async function gcRss(s: Started): Promise<number> {
  for (let k = 0; k < 2; k++) {
    s.child.send({ cmd: 'gc' });
    await waitMessage(s.child, (m) => m?.gc, 30_000, 'gc');
  }
  await sleep(300);
  return rssKB(s.pid);
}

/** ours: the fan-out histogram's sum and count from /metrics. */
async function fanoutMetric(port: number): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sum = Number(/^openeye_ws_broadcast_fanout_seconds_sum(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1] ?? Number.NaN);
  const count = Number(/^openeye_ws_broadcast_fanout_seconds_count(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1] ?? Number.NaN);
  return { sum, count };
}

async function statisticsCost(kind: Kind, s: Started, gen: ChildProcess): Promise<Record<string, unknown>> {
  const before = kind === 'ours' ? await fanoutMetric(s.port) : null;
  const r = await ask(gen, 'statistics', { timeoutMs: 15_000 });
  let fanoutMs: number;
  if (before) {
    await sleep(100);
    const after = await fanoutMetric(s.port);
    fanoutMs =
      after.count > before.count ? ((after.sum - before.sum) / (after.count - before.count)) * 1000 : Number.NaN;
    r.broadcasts = after.count - before.count;
  } else fanoutMs = JSON.parse(r.response).fanout_ms;
  delete r.response;
  return { ...r, fanout_ms: fanoutMs, us_per_recipient: (fanoutMs * 1000) / (r.clients as number) };
}

// ------------------------------------------------------------------ scenarios

async function benchServer(
  kind: Kind,
  gen: ChildProcess,
  genPid: number,
  env: Record<string, string> = {},
): Promise<Record<string, any>> {
  const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${kind}: ${msg}`);
  const s = await startServer(kind, [], env);
  const out: Record<string, any> = { kind, connect: {}, memory: {}, fanout: {}, throughput: {}, statistics: {} };
  try {
    await ask(gen, 'target', s.target);
    // Warm-up: a few connections and events, then back to none.
    await ask(gen, 'connect', { total: 20, concurrency: 20 });
    await ask(gen, 'fanout', { events: 2, intervalMs: 50, drainMs: 2000 });
    await ask(gen, 'disconnect', { keep: 0 });
    await sleep(500);
    const rss0 = await gcRss(s);
    out.memory.baseline_kb = rss0;
    for (const n of [P.n1, P.n2, P.held]) {
      const before = (await ask(gen, 'status')).open as number;
      const { result, cpu } = await measuredCpu([s.pid, genPid], () =>
        ask(gen, 'connect', { total: n, concurrency: CONCURRENCY, timeoutMs: 120_000 }),
      );
      out.connect[n] = { ...result, from: before, server_cpu: cpu[0], generator_cpu: cpu[1] };
      log(
        `connect ${before}->${n}: ${result.welcomed} welcomed, ${result.failed} failed, ${Math.round(result.rate)}/s`,
      );
      await sleep(1000);
      const rss = await gcRss(s);
      const open = (await ask(gen, 'status')).open as number;
      out.memory[n] = { rss_kb: rss, open, kb_per_connection: (rss - rss0) / open };
      log(`memory at ${open}: ${((rss - rss0) / open).toFixed(2)} KB/connection`);
      out.statistics[n] = await statisticsCost(kind, s, gen);
      log(
        `statistics at ${n}: ${out.statistics[n].received}/${n} received, fan-out ${out.statistics[n].fanout_ms.toFixed(1)} ms`,
      );
    }
    out.held = { ...(await ask(gen, 'status')), statistics: out.statistics[P.held] };
    for (const n of [P.n2, P.n1]) {
      await ask(gen, 'disconnect', { keep: n });
      await sleep(1500);
      out.fanout[n] = await ask(gen, 'fanout', { events: P.fanEvents, intervalMs: 1000, drainMs: 10_000 });
      delete out.fanout[n].per_event_raw;
      log(
        `fan-out at ${n}: p50 ${out.fanout[n].p50_ms.toFixed(1)} ms, p99 ${out.fanout[n].p99_ms.toFixed(1)} ms, complete ${out.fanout[n].complete}`,
      );
      const { result, cpu } = await measuredCpu([s.pid, genPid], () =>
        ask(gen, 'throughput', { seconds: P.tpSeconds, inflight: 4, window: 32, drainMs: 15_000 }),
      );
      out.throughput[n] = { ...result, server_cpu: cpu[0], generator_cpu: cpu[1] };
      log(
        `throughput at ${n}: ${Math.round(result.delivered_per_s)} msg/s, server CPU ${(cpu[0]! * 100).toFixed(0)}%, generator CPU ${(cpu[1]! * 100).toFixed(0)}%, complete ${result.complete}`,
      );
    }
    out.final_status = await ask(gen, 'status');
  } finally {
    await ask(gen, 'disconnect', { keep: 0 }).catch(() => {});
    await stopServer(s);
  }
  return out;
}

/**
 * ours again, alone, under the V8 sampling profiler (the one `node --cpu-prof` uses), started and
 * stopped over IPC around two scenarios: connecting 1k → 10k, and the throughput scenario at 10k.
 */
async function profileOurs(gen: ChildProcess, genPid: number, dir: string): Promise<Record<string, unknown>> {
  const s = await startServer('ours');
  const profiled = async <T>(file: string, fn: () => Promise<T>) => {
    s.child.send({ cmd: 'profile-start' });
    await waitMessage(s.child, (m) => m?.profiling, 10_000, 'profiler start');
    const { result, cpu } = await measuredCpu([s.pid, genPid], fn);
    s.child.send({ cmd: 'profile-stop', file });
    await waitMessage(s.child, (m) => m?.profiled !== undefined, 60_000, 'profiler stop');
    return { ...(result as object), server_cpu: cpu[0], generator_cpu: cpu[1], summary: summarizeProfile(file, 25) };
  };
  try {
    await ask(gen, 'target', s.target);
    await ask(gen, 'connect', { total: P.n1, concurrency: CONCURRENCY, timeoutMs: 60_000 });
    const connect = await profiled(path.join(dir, 'ours-connect.cpuprofile'), () =>
      ask(gen, 'connect', { total: P.n2, concurrency: CONCURRENCY, timeoutMs: 120_000 }),
    );
    const open = (await ask(gen, 'status')).open as number;
    if (open < P.n2) throw new Error(`profile: only ${open} of ${P.n2} connections opened`);
    await sleep(1000);
    const throughput = await profiled(path.join(dir, 'ours-throughput.cpuprofile'), () =>
      ask(gen, 'throughput', { seconds: P.profileSeconds, inflight: 4, window: 32, drainMs: 10_000 }),
    );
    return { connect, throughput };
  } finally {
    await ask(gen, 'disconnect', { keep: 0 }).catch(() => {});
    await stopServer(s);
  }
}

// ------------------------------------------------------------------ cluster

/**
 * The cluster scenario: three nodes of ours (bench/servers/ours.ts, as `openeye serve` builds it) on
 * one throwaway PostgreSQL database and one Redis (a unique key prefix), and one generator process
 * per node holding that node's share of the connections (a process may hold at most `ulimit -Hn`
 * open files). Nothing is pinned: on two CPUs six busy processes cannot be separated. Measured:
 * connections/s until every welcome arrived, RSS per node and per connection, camera events posted to
 * node 1 reaching every client (POST-to-last-receipt, p50/p99 over all deliveries), and one statistics
 * broadcast (a people change on node 1, which every node hears over Redis) reaching every client.
 */
const CL = {
  nodes: 3,
  total: Number(option('cluster-n') ?? (QUICK ? 3000 : 50_000)),
  events: QUICK ? 2 : 5,
  intervalMs: 2000,
  concurrency: 100, // handshakes in flight per generator
};
const PG_URL = option('pg') ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = option('redis') ?? 'redis://127.0.0.1:6379';

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : Number.NaN;
}

async function clusterScenario(): Promise<Record<string, any>> {
  const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] cluster: ${msg}`);
  const started = performance.now();
  const tag = `bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const { default: pg } = await import('pg');
  const { Redis } = await import('ioredis');
  const dbUrl = new URL(PG_URL);
  dbUrl.pathname = `/${tag}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${tag}`);
  await admin.end();
  const dataDirs: string[] = [];
  let dropping: Promise<void> | null = null;
  // Once, whoever asks first (the scenario's finally, or bail() on a signal or an error).
  const dropAll = (): Promise<void> => (dropping ??= drop());
  const drop = async () => {
    for (const d of dataDirs) fs.rmSync(d, { recursive: true, force: true });
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${tag} WITH (FORCE)`);
    await c.end();
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${tag}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  };
  cleanups.add(dropAll);
  const nodes: Started[] = [];
  const gens: ChildProcess[] = [];
  const out: Record<string, any> = {
    nodes: CL.nodes,
    requested: CL.total,
    generators: CL.nodes,
    concurrency_per_generator: CL.concurrency,
    database: `PostgreSQL (throwaway database ${tag}), Redis prefix ${tag}`,
  };
  try {
    const secret = `bench-cluster-secret-${tag}-0123456789abcdef`;
    const startNode = async (k: number): Promise<Started> => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-bench-cluster-'));
      dataDirs.push(dataDir);
      const child = spawnNode(null, [...OURS_NODE, 'bench/servers/ours.ts'], {
        PORT: '0',
        HOST: '127.0.0.1',
        OPENEYE_DATA_DIR: dataDir,
        DATABASE_URL: dbUrl.href,
        REDIS_URL,
        OPENEYE_REDIS_PREFIX: tag,
        OPENEYE_JWT_SECRET: secret,
        OPENEYE_ADMIN_PASSWORD: 'bench-admin-password',
        OPENEYE_MAX_CONNECTIONS_PER_USER: '100000',
        LOG_LEVEL: 'warn',
        ...(option('ours-src') ? { BENCH_OURS_SRC: path.resolve(ROOT, option('ours-src')!) } : {}),
      });
      const { port } = await waitMessage<{ port: number }>(
        child,
        (m) => m?.ready,
        90_000,
        `cluster node ${k + 1} ready`,
      );
      return { child, pid: child.pid!, port, target: {} };
    };
    // The first node migrates the schema and creates the admin; the others start after it answers.
    nodes.push(await startNode(0));
    nodes.push(...(await Promise.all(Array.from({ length: CL.nodes - 1 }, (_, k) => startNode(k + 1)))));
    log(`${CL.nodes} nodes on ports ${nodes.map((n) => n.port).join(', ')}`);
    const p0 = nodes[0]!.port;
    const adminToken = (
      await http(p0, 'POST', '/api/auth/login', { username: 'admin', password: 'bench-admin-password' })
    ).access_token;
    await http(
      p0,
      'POST',
      '/api/users',
      { username: 'viewer', password: 'viewer-password', role: 'viewer' },
      adminToken,
    );
    const viewer = (await http(p0, 'POST', '/api/auth/login', { username: 'viewer', password: 'viewer-password' }))
      .access_token;
    const camera = await http(p0, 'POST', '/api/cameras', { name: 'Bench camera', location: 'Loopback' }, adminToken);
    const sources = Array.from({ length: Number(option('sources') ?? 1) }, (_, k) => `127.0.0.${k + 1}`);
    for (let k = 0; k < CL.nodes; k++) {
      const g = spawnNode(null, ['--import', 'tsx', 'bench/generator.ts'], {});
      gens.push(g);
      await waitMessage(g, (m) => m?.ready, 30_000, `generator ${k + 1} ready`);
      await ask(g, 'target', {
        kind: 'ours',
        port: nodes[k]!.port,
        path: `/api/ws/statistics?token=${viewer}`,
        token: viewer,
        postToken: adminToken,
        cameraId: camera.id,
        statisticsPath: '/api/people',
        sources,
      });
    }
    const all = <T>(fn: (g: ChildProcess, k: number) => Promise<T>) => Promise.all(gens.map(fn));
    // Warm-up, then the baseline: 20 connections per node, 2 events, all closed again.
    await all((g) => ask(g, 'connect', { total: 20, concurrency: 20 }));
    await all((g) => ask(g, 'events-arm'));
    await ask(gens[0]!, 'events-post', { events: 2, intervalMs: 100 });
    await all((g) => ask(g, 'events-collect', { events: 2, drainMs: 3000 }));
    await all((g) => ask(g, 'disconnect', { keep: 0 }));
    await sleep(1000);
    const rss0 = await Promise.all(nodes.map(gcRss));

    // Connect: every generator to its node at once.
    const share = (k: number) => Math.floor(CL.total / CL.nodes) + (k < CL.total % CL.nodes ? 1 : 0);
    const pids = [...nodes.map((n) => n.pid), ...gens.map((g) => g.pid!)];
    const { result: conns, cpu } = await measuredCpu(pids, () =>
      all((g, k) => ask(g, 'connect', { total: share(k), concurrency: CL.concurrency, timeoutMs: 150_000 }, 200_000)),
    );
    const welcomed = conns.reduce((s, c) => s + (c.welcomed as number), 0);
    const ms = Math.max(...conns.map((c) => c.ms as number));
    out.connect = {
      welcomed,
      failed: conns.reduce((s, c) => s + (c.failed as number), 0),
      ms,
      rate: (welcomed / ms) * 1000,
      per_generator: conns,
      node_cpu: cpu.slice(0, CL.nodes),
      generator_cpu: cpu.slice(CL.nodes),
    };
    log(
      `connect 0->${CL.total}: ${welcomed} welcomed in ${(ms / 1000).toFixed(1)} s, ${Math.round(out.connect.rate)}/s`,
    );
    await sleep(2000);
    const rss = await Promise.all(nodes.map(gcRss));
    const open = (await all((g) => ask(g, 'status'))).map((st) => st.open as number);
    out.open = open.reduce((a, b) => a + b, 0);
    out.per_node = nodes.map((n, k) => ({
      port: n.port,
      open: open[k],
      rss0_kb: rss0[k],
      rss_kb: rss[k],
      kb_per_connection: (rss[k]! - rss0[k]!) / open[k]!,
    }));
    out.rss_total_kb = rss.reduce((a, b) => a + b, 0);
    out.kb_per_connection = (out.rss_total_kb - rss0.reduce((a, b) => a + b, 0)) / out.open;
    log(
      `memory: ${out.per_node.map((x: any) => `${Math.round(x.rss_kb / 1024)} MB (${x.kb_per_connection.toFixed(2)} KB/conn, ${x.open} open)`).join(', ')}`,
    );

    // Camera events: posted to node 1, delivered by every node through Redis.
    await all((g) => ask(g, 'events-arm'));
    const posted = await ask(gens[0]!, 'events-post', { events: CL.events, intervalMs: CL.intervalMs });
    const got = await all((g) => ask(g, 'events-collect', { events: CL.events, drainMs: 20_000 }, 60_000));
    const lat = Float64Array.from(got.flatMap((x) => x.lat as number[])).sort();
    const perEvent = new Map<number, { n: number; last: number }>();
    for (const x of got)
      for (const [t, n, last] of x.per_event as [number, number, number][]) {
        const e = perEvent.get(t) ?? { n: 0, last: 0 };
        e.n += n;
        e.last = Math.max(e.last, last);
        perEvent.set(t, e);
      }
    const lastMs = [...perEvent.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([t, e]) => ({ received: e.n, post_to_last_ms: e.last - t }));
    const sortedLast = lastMs.map((e) => e.post_to_last_ms).sort((a, b) => a - b);
    const expected = got.reduce((s, x) => s + (x.expected as number), 0);
    out.fanout = {
      ...posted,
      events: CL.events,
      interval_ms: CL.intervalMs,
      clients: got.reduce((s, x) => s + (x.clients as number), 0),
      expected,
      deliveries: lat.length,
      clients_missing_events: got.reduce((s, x) => s + (x.clients_missing_events as number), 0),
      complete: lat.length === expected && got.every((x) => x.clients_missing_events === 0),
      p50_ms: quantile(lat, 0.5),
      p99_ms: quantile(lat, 0.99),
      max_ms: lat.length ? lat[lat.length - 1] : Number.NaN,
      post_to_last_median_ms: sortedLast[Math.floor(sortedLast.length / 2)] ?? Number.NaN,
      post_to_last_max_ms: sortedLast[sortedLast.length - 1] ?? Number.NaN,
      per_event: lastMs,
    };
    log(
      `fan-out of ${CL.events} events to ${out.fanout.clients}: p50 ${out.fanout.p50_ms.toFixed(1)} ms, p99 ${out.fanout.p99_ms.toFixed(1)} ms, POST to last ${out.fanout.post_to_last_median_ms.toFixed(0)} ms (median event), complete ${out.fanout.complete}`,
    );

    // Statistics: a people change on node 1; every node broadcasts a fresh snapshot to its clients.
    // A client counts once it got a snapshot with the new number (the first person: 0 -> 1).
    await sleep(1000);
    await all((g) => ask(g, 'stats-arm', { needle: '"total_people":1,' }));
    const trig = await ask(gens[0]!, 'stats-post', { body: JSON.stringify({ name: `bench ${tag}` }) });
    const st = await all((g) => ask(g, 'stats-collect', { timeoutMs: 20_000 }, 60_000));
    out.statistics = {
      status: trig.status,
      clients: st.reduce((s, x) => s + (x.clients as number), 0),
      received: st.reduce((s, x) => s + (x.received as number), 0),
      complete: st.every((x) => x.complete),
      post_to_last_ms: Math.max(...st.map((x) => x.last as number)) - trig.t,
    };
    log(
      `statistics: ${out.statistics.received}/${out.statistics.clients} got the new snapshot, POST to last ${Math.round(out.statistics.post_to_last_ms)} ms`,
    );
    out.final_status = await all((g) => ask(g, 'status'));
    out.duration_s = (performance.now() - started) / 1000;
    return out;
  } finally {
    for (const g of gens) if (g.connected) g.send({ id: 0, cmd: 'exit' });
    await Promise.all(nodes.map(stopServer));
    for (const g of gens) if (g.exitCode === null) g.kill('SIGKILL');
    await dropAll();
  }
}

// ------------------------------------------------------------------ MQTT in, WebSocket out

/**
 * Ours with OPENEYE_MQTT_URL (a unique topic prefix and client id on the broker, Home Assistant
 * discovery off); 1,000 WebSocket clients (the generator's); camera events published by the
 * generator with QoS 1 on `<p>/in/cameras/<id>/events` (the REST body, `data.t` its wall-clock
 * time) instead of POSTed. Latency: 20 events, 100 ms apart, publish to receipt at every client.
 * Throughput: the closed loop of the REST scenario (4 publishes in flight, at most 32 events ahead
 * of the clients), events/s fully delivered. Afterwards the session and retained topics are removed.
 */
async function mqttScenario(gen: ChildProcess, genPid: number): Promise<Record<string, any>> {
  const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] mqtt: ${msg}`);
  const { connect } = await import('mqtt');
  const probe = connect(MQTT_URL, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 3000 });
  const reachable = await new Promise<boolean>((resolve) => {
    probe.once('connect', () => resolve(true));
    probe.once('error', () => resolve(false));
    setTimeout(() => resolve(false), 4000);
  });
  if (!reachable) {
    probe.end(true);
    log(`no broker at ${MQTT_URL}: skipped (start Mosquitto, or --mqtt URL)`);
    return { skipped: `no broker at ${MQTT_URL}` };
  }
  const tag = `bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const clean = async () => {
    // Retained states under the prefix, then the persistent session.
    const seen = new Set<string>();
    probe.on('message', (topic, payload, packet) => {
      if (packet.retain && payload.length > 0) seen.add(topic);
    });
    await new Promise<void>((r) => probe.subscribe(`${tag}/#`, { qos: 1 }, () => r()));
    await sleep(300);
    for (const topic of seen)
      await new Promise<void>((r) => probe.publish(topic, '', { qos: 1, retain: true }, () => r()));
    await new Promise<void>((r) => probe.end(false, {}, () => r()));
    const s = connect(MQTT_URL, {
      protocolVersion: 5,
      clientId: tag,
      clean: true,
      properties: { sessionExpiryInterval: 0 },
    });
    await new Promise<void>((r) => {
      s.once('connect', () => r());
      s.once('error', () => r());
    });
    await new Promise<void>((r) => s.end(false, {}, () => r()));
  };
  cleanups.add(clean);
  const n = 1000;
  const out: Record<string, any> = { broker: MQTT_URL, clients: n, topic_prefix: tag };
  const s = await startServer('ours', [], {
    OPENEYE_MQTT_URL: MQTT_URL,
    OPENEYE_MQTT_TOPIC_PREFIX: tag,
    OPENEYE_MQTT_CLIENT_ID: tag,
    OPENEYE_HA_DISCOVERY: 'false',
  });
  try {
    for (let k = 0; ; k++) {
      const ready = (await (await fetch(`http://127.0.0.1:${s.port}/readyz`)).json()) as { mqtt?: string };
      if (ready.mqtt === 'up') break;
      if (k > 100) throw new Error(`ours did not connect to ${MQTT_URL}: ${JSON.stringify(ready)}`);
      await sleep(100);
    }
    await ask(gen, 'target', {
      ...s.target,
      mqtt: { url: MQTT_URL, topic: `${tag}/in/cameras/${s.target.cameraId}/events` },
    });
    await ask(gen, 'connect', { total: 20, concurrency: 20 });
    await ask(gen, 'fanout', { events: 2, intervalMs: 50, drainMs: 2000 });
    await ask(gen, 'connect', { total: n, concurrency: CONCURRENCY, timeoutMs: 120_000 });
    await sleep(1000);
    out.fanout = await ask(gen, 'fanout', { events: 20, intervalMs: 100, drainMs: 10_000 });
    delete out.fanout.per_event;
    log(
      `latency at ${n}: p50 ${out.fanout.p50_ms.toFixed(1)} ms, p99 ${out.fanout.p99_ms.toFixed(1)} ms, complete ${out.fanout.complete}`,
    );
    const { result, cpu } = await measuredCpu([s.pid, genPid], () =>
      ask(gen, 'throughput', { seconds: P.tpSeconds, inflight: 4, window: 32, drainMs: 15_000 }),
    );
    out.throughput = { ...result, server_cpu: cpu[0], generator_cpu: cpu[1] };
    log(
      `throughput at ${n}: ${Math.round(result.events_per_s)} events/s in, ${Math.round(result.delivered_per_s)} msg/s out, server CPU ${(cpu[0]! * 100).toFixed(0)}%, complete ${result.complete}`,
    );
  } finally {
    await ask(gen, 'disconnect', { keep: 0 }).catch(() => {});
    await ask(gen, 'target', { ...s.target }).catch(() => {});
    await stopServer(s);
    await clean().catch(() => {});
    cleanups.delete(clean);
  }
  return out;
}

function renderMqttTable(m: Record<string, any>): string {
  if (m.skipped) return `MQTT in → WebSocket out: skipped (${m.skipped})`;
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  return [
    `MQTT in → WebSocket out, ${m.clients} clients (broker ${m.broker})`,
    `  latency, 20 events 100 ms apart: p50 ${f(m.fanout.p50_ms)} ms, p99 ${f(m.fanout.p99_ms)} ms, max ${f(m.fanout.max_ms)} ms, complete ${m.fanout.complete ? 'yes' : 'no'}`,
    `  throughput (${f(m.throughput.seconds, 0)} s closed loop): ${f(m.throughput.events_per_s, 0)} events/s in, ${f(m.throughput.delivered_per_s, 0)} messages/s out, complete ${m.throughput.complete ? 'yes' : 'no'}, server CPU ${f(m.throughput.server_cpu * 100, 0)}%, generator CPU ${f(m.throughput.generator_cpu * 100, 0)}%`,
  ].join('\n');
}

// ------------------------------------------------------------------ camera media (issue 12)

const M = {
  cameras: 16,
  producerFps: 10,
  frameBytes: 40_000,
  viewers: 200,
  watches: 4,
  fps: Number(option('media-fps') ?? 5),
  throttled: 2,
  throttledBytesPerSecond: 200_000,
  warmupMs: 3000,
  phaseA: QUICK ? 5 : 10,
  phaseB: QUICK ? 8 : 20,
  json: { clients: 1000, fanEvents: QUICK ? 3 : 5, tpSeconds: QUICK ? 3 : 5 },
};

/** ours' media counters from /metrics (delivered, dropped by reason, ingested). */
async function mediaMetrics(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^openeye_media_(\w+?)_total(\{[^}]*\})? (\S+)/gm)) {
    const label = m[2] ? /"([^"]*)"/.exec(m[2])?.[1] : undefined;
    out[label ? `${m[1]}_${label}` : m[1]!] = Number(m[3]);
  }
  return out;
}

/** Cameras, a producer account and its API key (ours), or the relay's tokens; the load process set up. */
async function mediaTarget(kind: 'ours' | 'ws-relay', s: Started): Promise<Record<string, unknown>> {
  if (kind === 'ws-relay') {
    return {
      port: s.port,
      pathPrefix: '/ws?token=',
      producerToken: s.target.postToken,
      viewerToken: s.target.token,
      cameras: Array.from({ length: M.cameras }, (_, k) => k + 1),
      frameBytes: M.frameBytes,
      producerFps: M.producerFps,
    };
  }
  const admin = (await http(s.port, 'POST', '/api/auth/login', { username: 'admin', password: 'bench-admin-password' }))
    .access_token;
  const cameras: number[] = [];
  for (let k = 0; k < M.cameras; k++)
    cameras.push((await http(s.port, 'POST', '/api/cameras', { name: `Media ${k + 1}`, location: 'Bench' }, admin)).id);
  const producer = await http(
    s.port,
    'POST',
    '/api/users',
    { username: 'producer', password: 'producer-password', role: 'producer' },
    admin,
  );
  const key = await http(s.port, 'POST', '/api/keys', { name: 'bench cameras', user_id: producer.id }, admin);
  return {
    port: s.port,
    pathPrefix: '/api/ws/statistics?token=',
    producerToken: key.key,
    viewerToken: s.target.token,
    cameras,
    frameBytes: M.frameBytes,
    producerFps: M.producerFps,
  };
}

async function startMediaLoad(kind: 'ours' | 'ws-relay', s: Started): Promise<ChildProcess> {
  const mg = spawnNode(1, ['--import', 'tsx', 'bench/media-load.ts'], {});
  await waitMessage(mg, (m) => m?.ready, 30_000, 'media load ready');
  await ask(mg, 'setup', await mediaTarget(kind, s));
  await ask(mg, 'start', { viewers: M.viewers, watches: M.watches, fps: M.fps }, 60_000);
  await ask(
    mg,
    'throttled',
    { count: M.throttled, watches: M.watches, fps: M.fps, bytesPerSecond: M.throttledBytesPerSecond },
    30_000,
  );
  return mg;
}

async function stopMediaLoad(mg: ChildProcess): Promise<Record<string, unknown>> {
  const st = await ask(mg, 'stop', {}, 10_000).catch((e) => ({ error: String(e) }));
  if (mg.connected) mg.send({ id: 0, cmd: 'exit' });
  await Promise.race([new Promise((r) => mg.once('exit', r)), sleep(3000)]);
  if (mg.exitCode === null) mg.kill('SIGKILL');
  return st;
}

/**
 * One server under the media workload (`--media-profile`: then ours once more under the V8 sampling
 * profiler, for as long as phase A; `--media-fps F`: the viewers' max_fps, default 5): producers and normal viewers, a warm-up, phase A (normal
 * viewers only), then the throttled viewers join and phase B; RSS every second throughout.
 */
async function mediaRun(kind: 'ours' | 'ws-relay'): Promise<Record<string, any>> {
  const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] media ${kind}: ${msg}`);
  const s = await startServer(kind);
  const out: Record<string, any> = { kind };
  const rss: [number, number][] = [];
  let sampler: NodeJS.Timeout | null = null;
  let mg: ChildProcess | null = null;
  try {
    out.rss_baseline_kb = await gcRss(s);
    mg = spawnNode(1, ['--import', 'tsx', 'bench/media-load.ts'], {});
    await waitMessage(mg, (m) => m?.ready, 30_000, 'media load ready');
    const tgt = await mediaTarget(kind, s);
    await ask(mg, 'setup', tgt);
    const t0 = performance.now();
    sampler = setInterval(() => rss.push([Math.round(performance.now() - t0), rssKB(s.pid)]), 1000);
    out.started = await ask(mg, 'start', { viewers: M.viewers, watches: M.watches, fps: M.fps }, 60_000);
    await sleep(M.warmupMs);
    const m0 = kind === 'ours' ? await mediaMetrics(s.port) : null;
    const phase = async (secs: number) => {
      const split0 = cpuSplit(s.pid);
      const w0 = performance.now();
      const { result, cpu } = await measuredCpu([s.pid, mg!.pid!], async () => {
        await ask(mg!, 'measure-start');
        await sleep(secs * 1000);
        return ask(mg!, 'measure-stop');
      });
      const split1 = cpuSplit(s.pid);
      const wall = (performance.now() - w0) / 1000;
      const mbps = result.mb_per_s + result.throttled.kb_per_s / 1000;
      return {
        ...result,
        server_cpu: cpu[0],
        server_cpu_user: (split1[0] - split0[0]) / wall,
        server_cpu_system: (split1[1] - split0[1]) / wall,
        load_cpu: cpu[1],
        server_cpu_s_per_mb: cpu[0]! / mbps,
        mb_per_server_cpu_s: mbps / cpu[0]!,
      };
    };
    const rssA = rssKB(s.pid);
    out.phase_a = await phase(M.phaseA);
    log(
      `phase A (${M.viewers} viewers): ${Math.round(out.phase_a.frames_per_s)} frames/s, ${out.phase_a.mb_per_s.toFixed(1)} MB/s, p50 ${out.phase_a.p50_ms.toFixed(1)} ms, p99 ${out.phase_a.p99_ms.toFixed(1)} ms, server CPU ${(out.phase_a.server_cpu * 100).toFixed(0)}%, load CPU ${(out.phase_a.load_cpu * 100).toFixed(0)}%`,
    );
    await ask(
      mg,
      'throttled',
      { count: M.throttled, watches: M.watches, fps: M.fps, bytesPerSecond: M.throttledBytesPerSecond },
      30_000,
    );
    await sleep(1000);
    out.phase_b = await phase(M.phaseB);
    const t = out.phase_b.throttled;
    log(
      `phase B (+${M.throttled} throttled): ${Math.round(out.phase_b.frames_per_s)} frames/s, ${out.phase_b.mb_per_s.toFixed(1)} MB/s, p50 ${out.phase_b.p50_ms.toFixed(1)} ms, p99 ${out.phase_b.p99_ms.toFixed(1)} ms; throttled: ${t.frames_per_s.toFixed(1)} frames/s, ${t.kb_per_s.toFixed(0)} KB/s, age at receipt p50 ${t.age_at_receipt_p50_ms.toFixed(0)} / max ${t.age_at_receipt_max_ms.toFixed(0)} ms, newest-frame age max ${t.newest_frame_age_max_ms.toFixed(0)} ms; server CPU ${(out.phase_b.server_cpu * 100).toFixed(0)}%`,
    );
    const rssEnd = rssKB(s.pid);
    clearInterval(sampler);
    sampler = null;
    out.status = await ask(mg, 'status');
    const during = rss.filter(([ms]) => ms >= 0);
    out.rss = {
      baseline_kb: out.rss_baseline_kb,
      start_kb: rssA,
      peak_kb: Math.max(rssA, rssEnd, ...during.map(([, kb]) => kb)),
      end_kb: rssEnd,
      samples: rss,
    };
    if (m0) {
      const m1 = await mediaMetrics(s.port);
      out.server_counters = Object.fromEntries(Object.keys(m1).map((k) => [k, m1[k]! - (m0[k] ?? 0)]));
    }
    out.rss_end_after_gc_kb = await gcRss(s);
    log(
      `RSS start ${Math.round(rssA / 1024)} MB, peak ${Math.round(out.rss.peak_kb / 1024)} MB, end ${Math.round(rssEnd / 1024)} MB (after GC ${Math.round(out.rss_end_after_gc_kb / 1024)} MB); errors ${out.status.errors}, closes ${JSON.stringify(out.status.close_codes)}`,
    );
    if (kind === 'ours' && flag('media-profile')) {
      // After the measured phases, so that the profiler's overhead is in none of them.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-bench-prof-'));
      const file = path.join(dir, 'ours-media.cpuprofile');
      try {
        s.child.send({ cmd: 'profile-start' });
        await waitMessage(s.child, (m) => m?.profiling, 10_000, 'profiler start');
        const profiled = await phase(M.phaseA);
        s.child.send({ cmd: 'profile-stop', file });
        await waitMessage(s.child, (m) => m?.profiled !== undefined, 60_000, 'profiler stop');
        out.profile = { ...profiled, summary: summarizeProfile(file, 25) };
        if (flag('keep-profile')) fs.copyFileSync(file, path.join(ROOT, 'bench/results/ours-media.cpuprofile'));
        log(`profiled ${M.phaseA} s: ${Math.round(profiled.frames_per_s)} frames/s while profiling`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    out.final = await stopMediaLoad(mg);
    mg = null;
  } finally {
    if (sampler) clearInterval(sampler);
    if (mg) await stopMediaLoad(mg);
    await stopServer(s);
  }
  return out;
}

/** ours: the fan-out and throughput scenarios at 1k clients, without and then with the media load next to them. */
async function mediaJsonCost(gen: ChildProcess, genPid: number): Promise<Record<string, any>> {
  const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] media json: ${msg}`);
  const s = await startServer('ours');
  const out: Record<string, any> = { clients: M.json.clients };
  let mg: ChildProcess | null = null;
  try {
    await ask(gen, 'target', s.target);
    await ask(gen, 'connect', { total: 20, concurrency: 20 });
    await ask(gen, 'fanout', { events: 2, intervalMs: 50, drainMs: 2000 });
    await ask(gen, 'connect', { total: M.json.clients, concurrency: CONCURRENCY, timeoutMs: 60_000 });
    await sleep(1000);
    const run = async (label: string) => {
      const fanout = await ask(gen, 'fanout', { events: M.json.fanEvents, intervalMs: 1000, drainMs: 10_000 });
      delete fanout.per_event;
      const pids = [s.pid, genPid, ...(mg ? [mg.pid!] : [])];
      const { result, cpu } = await measuredCpu(pids, () =>
        ask(gen, 'throughput', { seconds: M.json.tpSeconds, inflight: 4, window: 32, drainMs: 15_000 }),
      );
      const r = {
        fanout,
        throughput: { ...result, server_cpu: cpu[0], generator_cpu: cpu[1], media_load_cpu: cpu[2] },
      };
      log(
        `${label}: fan-out p50 ${fanout.p50_ms.toFixed(1)} ms, p99 ${fanout.p99_ms.toFixed(1)} ms, complete ${fanout.complete}; throughput ${Math.round(result.delivered_per_s)} msg/s, server CPU ${(cpu[0]! * 100).toFixed(0)}%, generator CPU ${(cpu[1]! * 100).toFixed(0)}%, complete ${result.complete}`,
      );
      return r;
    };
    out.without_media = await run('without media');
    mg = await startMediaLoad('ours', s);
    await sleep(M.warmupMs);
    await ask(mg, 'measure-start');
    out.with_media = await run('with media');
    out.media_during = await ask(mg, 'measure-stop');
    out.media_status = await stopMediaLoad(mg);
    mg = null;
    out.final_status = await ask(gen, 'status');
  } finally {
    if (mg) await stopMediaLoad(mg);
    await ask(gen, 'disconnect', { keep: 0 }).catch(() => {});
    await stopServer(s);
  }
  return out;
}

async function mediaScenario(gen: ChildProcess, genPid: number): Promise<Record<string, any>> {
  console.log(
    `media: ${M.cameras} cameras at ${M.producerFps} fps, ${M.frameBytes}-byte JPEGs over producer sockets; ${M.viewers} viewers x ${M.watches} cameras at ${M.fps} fps; +${M.throttled} viewers reading ${M.throttledBytesPerSecond / 1000} KB/s`,
  );
  const out: Record<string, any> = { params: M };
  out.ours = await mediaRun('ours');
  out.relay = await mediaRun('ws-relay');
  out.json_path = await mediaJsonCost(gen, genPid);
  return out;
}

// ------------------------------------------------------------------ compression

/**
 * ours at N clients (10k; 1k with --quick) with permessage-deflate off, then on (OPENEYE_WS_COMPRESSION,
 * default threshold and window). Periodic statistics broadcasts are off in both runs (interval 1 h),
 * so that in the throughput scenario events are the only compressed traffic and the generator may
 * count compressed frames as events without inflating them. Memory per idle connection, one
 * statistics broadcast, the fan-out (latency) and the throughput scenario; bytes on the wire per
 * statistics update and per camera event as the clients saw them.
 */
async function compressionScenario(gen: ChildProcess, genPid: number): Promise<Record<string, any>> {
  const n = P.n2;
  const out: Record<string, any> = { clients: n };
  for (const on of [false, true]) {
    const label = on ? 'on' : 'off';
    const log = (msg: string) =>
      console.log(`[${new Date().toISOString().slice(11, 19)}] compression ${label}: ${msg}`);
    const s = await startServer('ours', [], {
      OPENEYE_WS_COMPRESSION: String(on),
    });
    const r: Record<string, any> = {};
    try {
      await ask(gen, 'target', { ...s.target, deflate: on });
      await ask(gen, 'connect', { total: 20, concurrency: 20 });
      await ask(gen, 'fanout', { events: 2, intervalMs: 50, drainMs: 2000 });
      await ask(gen, 'disconnect', { keep: 0 });
      await sleep(500);
      const rss0 = await gcRss(s);
      const { result, cpu } = await measuredCpu([s.pid, genPid], () =>
        ask(gen, 'connect', { total: n, concurrency: CONCURRENCY, timeoutMs: 120_000 }),
      );
      r.connect = { ...result, server_cpu: cpu[0], generator_cpu: cpu[1] };
      await sleep(1000);
      const rss = await gcRss(s);
      const st = await ask(gen, 'status');
      r.memory = { baseline_kb: rss0, rss_kb: rss, open: st.open, kb_per_connection: (rss - rss0) / st.open };
      r.deflate_negotiated = st.deflate_negotiated;
      log(
        `${st.open} connections (${st.deflate_negotiated} with permessage-deflate), ${r.memory.kb_per_connection.toFixed(2)} KB/connection, ${Math.round(result.rate)} connections/s`,
      );
      r.statistics = await statisticsCost('ours', s, gen);
      r.fanout = await ask(gen, 'fanout', { events: P.fanEvents, intervalMs: 1000, drainMs: 10_000 });
      delete r.fanout.per_event;
      const { result: tp, cpu: tcpu } = await measuredCpu([s.pid, genPid], () =>
        ask(gen, 'throughput', { seconds: P.tpSeconds, inflight: 4, window: 32, drainMs: 15_000 }),
      );
      r.throughput = { ...tp, server_cpu: tcpu[0], generator_cpu: tcpu[1] };
      r.wire_bytes = (await ask(gen, 'status')).wire_bytes;
      log(
        `statistics ${r.wire_bytes.stats} B/update, event ${r.wire_bytes.event} B on the wire; fan-out p50 ${r.fanout.p50_ms.toFixed(1)} ms, p99 ${r.fanout.p99_ms.toFixed(1)} ms; throughput ${Math.round(tp.delivered_per_s)} msg/s, server CPU ${(tcpu[0]! * 100).toFixed(0)}%, generator CPU ${(tcpu[1]! * 100).toFixed(0)}%, complete ${tp.complete}`,
      );
    } finally {
      await ask(gen, 'disconnect', { keep: 0 }).catch(() => {});
      await ask(gen, 'target', { ...s.target }).catch(() => {});
      await stopServer(s);
    }
    out[label] = r;
  }
  return out;
}

function machine(): Record<string, unknown> {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  return {
    date: new Date().toISOString(),
    nproc: os.cpus().length,
    cpu_model: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? 'unknown',
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: os.release(),
    open_files_hard_limit: hardFiles,
    load_average_at_start: os.loadavg().map((x) => Math.round(x * 100) / 100),
    nice: NICE,
    pinned: HAS_TASKSET
      ? 'server on CPU 0, load generator on CPU 1 (taskset)'
      : 'not pinned (taskset missing or one CPU)',
    source_addresses: SOURCES,
  };
}

/** The last full cluster run (bench/results/cluster.json), for the targets table, if there is one. */
function lastCluster(): Record<string, any> | undefined {
  const f = path.join(ROOT, 'bench/results/cluster.json');
  return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : undefined;
}

function writeDoc(results: Results | null, cluster: Record<string, any> | undefined): void {
  const docPath = path.join(ROOT, 'docs/benchmarks.md');
  let doc = fs.existsSync(docPath) ? fs.readFileSync(docPath, 'utf8') : '';
  if (results) {
    fs.writeFileSync(path.join(ROOT, 'bench/results/chart.svg'), renderChart(results));
    doc = renderDoc({ ...results, cluster }, doc);
  }
  if (cluster) doc = renderClusterDoc(cluster, doc);
  fs.writeFileSync(docPath, doc);
}

/** `--render`: rewrites the table, chart and doc from bench/results/full.json without running anything. */
function render(): void {
  const results = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/results/full.json'), 'utf8')) as Results;
  const cluster = lastCluster();
  console.log(renderTable(results));
  if (cluster) console.log(`\n${renderClusterTable(cluster)}`);
  writeDoc(results, cluster);
}

/** `--pairs N --ours-src DIR`: ours from this copy and from DIR, N runs each, alternating. */
async function pairs(): Promise<void> {
  const other = option('ours-src');
  if (!other || !Number.isInteger(PAIRS) || PAIRS < 2) {
    console.error('--pairs N needs N >= 2 and --ours-src DIR (the copy to compare with)');
    process.exit(2);
  }
  const started = Date.now();
  const params = { ...P, concurrency: CONCURRENCY, throughput_inflight_posts: 4, throughput_window_events: 32 };
  console.log(`before/after (${QUICK ? 'quick' : 'full'}): ${PAIRS} runs each of ours (A) and ${other} (B)`);
  const gen = spawnNode(1, ['--import', 'tsx', 'bench/generator.ts'], {});
  await waitMessage(gen, (m) => m?.ready, 30_000, 'generator ready');
  const runs: { a: Record<string, any>[]; b: Record<string, any>[] } = { a: [], b: [] };
  const B = { BENCH_OURS_SRC: path.resolve(ROOT, other) };
  for (let i = 0; i < PAIRS; i++) {
    for (const which of i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)) {
      console.log(`pair ${i + 1}/${PAIRS}, ${which === 'a' ? 'A (this copy)' : `B (${other})`}`);
      runs[which].push(await benchServer('ours', gen, gen.pid!, which === 'b' ? B : {}));
    }
  }
  gen.send({ id: 0, cmd: 'exit' });
  const comparison = compare(params, runs.a, runs.b);
  const file = `ab${QUICK ? '-quick' : ''}.json`;
  const result = {
    mode: QUICK ? 'quick' : 'full',
    command: `npm run bench -- ${argv.join(' ')}`,
    machine: { ...machine(), load_average_at_end: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    params,
    a: 'packages/server/src',
    b: other,
    comparison,
    runs,
    duration_s: (Date.now() - started) / 1000,
  };
  fs.writeFileSync(path.join(ROOT, 'bench/results', file), `${JSON.stringify(result, null, 1)}\n`);
  console.log(`\n${renderComparison(comparison, PAIRS, other)}\n`);
  console.log(`done in ${Math.round(result.duration_s)} s; raw results in bench/results/${file}`);
  killAll();
  process.exit(0);
}

async function main(): Promise<void> {
  if (flag('render')) return render();
  if (PAIRS) return pairs();
  const started = Date.now();
  const resultsDir = path.join(ROOT, 'bench/results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const results: Results = {
    mode: QUICK ? 'quick' : 'full',
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    machine: machine(),
    params: { ...P, concurrency: CONCURRENCY, throughput_inflight_posts: 4, throughput_window_events: 32 },
    servers: {},
  };
  const GEN = KINDS.length || MQTT || MEDIA || COMPRESSION;
  if (GEN) {
    console.log(
      `bench (${QUICK ? 'quick' : 'full'}): N = ${P.n1}, ${P.n2}, held ${P.held}; servers ${KINDS.join(', ')}${MQTT ? '; MQTT in → WebSocket out' : ''}; ${HAS_TASKSET ? 'pinned' : 'NOT pinned'}`,
    );
    const gen = spawnNode(1, ['--import', 'tsx', 'bench/generator.ts'], {});
    await waitMessage(gen, (m) => m?.ready, 30_000, 'generator ready');
    for (const kind of KINDS) results.servers[kind] = await benchServer(kind, gen, gen.pid!);
    if (MQTT) results.mqtt = await mqttScenario(gen, gen.pid!);
    if (MEDIA) results.media = await mediaScenario(gen, gen.pid!);
    if (COMPRESSION) results.compression = await compressionScenario(gen, gen.pid!);
    if (P.profileSeconds > 0 && KINDS.includes('ours') && !flag('no-profile')) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-bench-prof-'));
      console.log('profiling ours: connecting 1k -> 10k, then the throughput scenario ...');
      try {
        results.profile = await profileOurs(gen, gen.pid!, dir);
        if (flag('keep-profile')) {
          for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(resultsDir, f));
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    gen.send({ id: 0, cmd: 'exit' });
  }
  let cluster: Record<string, any> | undefined;
  if (CLUSTER) {
    console.log(
      `cluster (${QUICK ? 'quick' : 'full'}): ${CL.nodes} nodes, ${CL.total} connections over ${CL.nodes} generator processes; not pinned`,
    );
    cluster = {
      command: results.command,
      machine: { ...machine(), pinned: 'not pinned: 3 nodes and 3 generators share the CPUs' },
      ...(await clusterScenario()),
    };
    cluster.machine.load_average_at_end = os.loadavg().map((x) => Math.round(x * 100) / 100);
    fs.writeFileSync(
      path.join(resultsDir, `cluster${QUICK ? '-quick' : ''}.json`),
      `${JSON.stringify(cluster, null, 1)}\n`,
    );
  }
  results.duration_s = (Date.now() - started) / 1000;
  results.machine.load_average_at_end = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const written: string[] = [];
  if (GEN) {
    const q = QUICK ? '-quick' : '';
    // Each scenario run on its own has its own file; a run with the four servers keeps all in one.
    if (KINDS.length) written.push(`${results.mode}.json`);
    else if (MQTT) written.push(`mqtt${q}.json`);
    const { media, compression, ...rest } = results as Results & { media?: unknown; compression?: unknown };
    if (KINDS.length || MQTT) {
      const whole = KINDS.length ? results : rest;
      fs.writeFileSync(path.join(resultsDir, written[0]!), `${JSON.stringify(whole, null, 1)}\n`);
    }
    for (const [name, part] of [
      ['media', media],
      ['compression', compression],
    ] as const) {
      if (!part) continue;
      const { servers: _servers, mqtt: _mqtt, ...head } = rest as Record<string, unknown>;
      // A media run at another max_fps than the default keeps its own file.
      const file = `${name}${name === 'media' && M.fps !== 5 ? `-fps${M.fps}` : ''}${q}.json`;
      fs.writeFileSync(path.join(resultsDir, file), `${JSON.stringify({ ...head, [name]: part }, null, 1)}\n`);
      written.push(file);
    }
    if (KINDS.length) console.log(`\n${renderTable(results)}\n`);
    if (results.mqtt) console.log(`${renderMqttTable(results.mqtt)}\n`);
    if (media) console.log(`${renderMediaTable(media as Record<string, any>)}\n`);
    if (compression) console.log(`${renderCompressionTable(compression as Record<string, any>)}\n`);
  }
  if (cluster) console.log(`\n${renderClusterTable(cluster)}\n`);
  if (!QUICK && !flag('no-doc') && (KINDS.length === 4 || (cluster && !KINDS.length))) {
    // A cluster run alone also re-renders the comparison from full.json, for the targets table.
    const full = path.join(resultsDir, 'full.json');
    const base = KINDS.length
      ? results
      : fs.existsSync(full)
        ? (JSON.parse(fs.readFileSync(full, 'utf8')) as Results)
        : null;
    writeDoc(base, cluster ?? lastCluster());
    console.log(`wrote docs/benchmarks.md${base ? ' and bench/results/chart.svg' : ''}`);
  }
  console.log(
    `done in ${Math.round(results.duration_s as number)} s; raw results in bench/results/: ${[...written, ...(cluster ? [`cluster${QUICK ? '-quick' : ''}.json`] : [])].join(', ')}`,
  );
  killAll();
  process.exit(0);
}

await main();
