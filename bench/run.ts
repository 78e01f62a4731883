/**
 * `npm run bench [-- --quick] [-- --only ours,ws] [-- --sources 4] [-- --no-profile] [-- --no-doc]
 *   [-- --keep-profile] [-- --ours-src DIR] [-- --nice N]` (DIR: another copy of packages/server/src, for
 *   A/B runs; N: niceness of the server and generator, e.g. -10 on a machine other work shares)
 *   `--render` rewrites the table, chart and doc from bench/results/full.json without running.
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
import { summarizeProfile } from './profile.ts';
import { type Results, renderChart, renderDoc, renderTable } from './report.ts';
import { signToken } from './servers/common.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => {
  const k = argv.indexOf(`--${name}`);
  return k >= 0 ? argv[k + 1] : undefined;
};
const QUICK = flag('quick');
const KINDS = (option('only') ?? 'ours,socketio,ws,floor').split(',') as Kind[];
type Kind = 'ours' | 'socketio' | 'ws' | 'floor';

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

// ------------------------------------------------------------------ children

const children = new Set<ChildProcess>();
function killAll(): void {
  for (const c of children)
    if (c.exitCode === null && c.pid)
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {}
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
process.on('uncaughtException', (err) => {
  console.error(err);
  killAll();
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  console.error(err);
  killAll();
  process.exit(1);
});

/** Spawns `node args` with the open-files limit raised to the hard limit, pinned to `cpu`. */
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

async function startServer(kind: Kind, extraArgs: string[] = []): Promise<Started> {
  const secret = `bench-secret-${process.pid}-${Date.now()}-0123456789abcdef`;
  let child: ChildProcess;
  if (kind === 'ours') {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-bench-'));
    child = spawnNode(
      0,
      ['--conditions=source', '--import', 'tsx', '--expose-gc', ...extraArgs, 'bench/servers/ours.ts'],
      {
        PORT: '0',
        HOST: '127.0.0.1',
        OPENEYE_DATA_DIR: dataDir,
        OPENEYE_ADMIN_PASSWORD: 'bench-admin-password',
        OPENEYE_MAX_CONNECTIONS_PER_USER: '100000',
        LOG_LEVEL: 'warn',
        ...(option('ours-src') ? { BENCH_OURS_SRC: path.resolve(ROOT, option('ours-src')!) } : {}),
      },
    );
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

async function benchServer(kind: Kind, gen: ChildProcess, genPid: number): Promise<Record<string, any>> {
  const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${kind}: ${msg}`);
  const s = await startServer(kind);
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

/** `--render`: rewrites the table, chart and doc from bench/results/full.json without running anything. */
function render(): void {
  const results = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/results/full.json'), 'utf8')) as Results;
  console.log(renderTable(results));
  fs.writeFileSync(path.join(ROOT, 'bench/results/chart.svg'), renderChart(results));
  const docPath = path.join(ROOT, 'docs/benchmarks.md');
  fs.writeFileSync(docPath, renderDoc(results, fs.existsSync(docPath) ? fs.readFileSync(docPath, 'utf8') : ''));
}

async function main(): Promise<void> {
  if (flag('render')) return render();
  const started = Date.now();
  console.log(
    `bench (${QUICK ? 'quick' : 'full'}): N = ${P.n1}, ${P.n2}, held ${P.held}; servers ${KINDS.join(', ')}; ${HAS_TASKSET ? 'pinned' : 'NOT pinned'}`,
  );
  const gen = spawnNode(1, ['--import', 'tsx', 'bench/generator.ts'], {});
  await waitMessage(gen, (m) => m?.ready, 30_000, 'generator ready');
  const results: Results = {
    mode: QUICK ? 'quick' : 'full',
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    machine: machine(),
    params: { ...P, concurrency: CONCURRENCY, throughput_inflight_posts: 4, throughput_window_events: 32 },
    servers: {},
  };
  for (const kind of KINDS) results.servers[kind] = await benchServer(kind, gen, gen.pid!);
  const resultsDir = path.join(ROOT, 'bench/results');
  fs.mkdirSync(resultsDir, { recursive: true });
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
  results.duration_s = (Date.now() - started) / 1000;
  results.machine.load_average_at_end = os.loadavg().map((x) => Math.round(x * 100) / 100);
  fs.writeFileSync(path.join(resultsDir, `${results.mode}.json`), `${JSON.stringify(results, null, 1)}\n`);
  const table = renderTable(results);
  console.log(`\n${table}\n`);
  if (!QUICK && !flag('no-doc') && KINDS.length === 4) {
    fs.writeFileSync(path.join(resultsDir, 'chart.svg'), renderChart(results));
    const docPath = path.join(ROOT, 'docs/benchmarks.md');
    fs.writeFileSync(docPath, renderDoc(results, fs.existsSync(docPath) ? fs.readFileSync(docPath, 'utf8') : ''));
    console.log('wrote docs/benchmarks.md and bench/results/chart.svg');
  }
  console.log(
    `done in ${Math.round(results.duration_s as number)} s; raw results in bench/results/${results.mode}.json`,
  );
  killAll();
  process.exit(0);
}

await main();
