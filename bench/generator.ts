/**
 * The load generator: a child process (pinned to its own CPU by run.ts) driven over IPC. Clients are
 * raw `net` sockets that do the HTTP upgrade themselves and parse WebSocket frame headers only: a
 * frame is classified by the first bytes of its payload (welcome, event, statistics), counted, and
 * skipped. Latency runs read one number (`"t":`) from each event frame. Pings are answered (protocol
 * pings with a pong; engine.io's "2" with "3"), so servers keep every connection.
 */
import http from 'node:http';
import net from 'node:net';
import { constants, inflateRawSync } from 'node:zlib';
import { type MqttClient, connect as mqttConnect } from 'mqtt';
import { clientFrame, type FrameHeader, readHeader } from './wire.ts';

type Kind = 'ours' | 'socketio' | 'ws' | 'floor';
interface Target {
  kind: Kind;
  port: number;
  /** Upgrade path with query (token included, except for Socket.IO, whose token goes in the CONNECT packet). */
  path: string;
  token: string;
  postToken: string;
  cameraId: number;
  /** Path that makes the server broadcast statistics (ours: a people change; others: a bench endpoint). */
  statisticsPath: string;
  sources: string[];
  /** The MQTT scenario: camera events are published here (QoS 1) instead of POSTed. */
  mqtt?: { url: string; topic: string };
  /**
   * The compression scenario: offer permessage-deflate (no context takeover). Compressed frames
   * (RSV1) are inflated when their content matters (handshake, latency runs, statistics checks);
   * in the throughput scenario every compressed text frame counts as an event without inflating
   * (run.ts makes events the only compressed traffic then: periodic statistics off).
   */
  deflate?: boolean;
}

let mqttClient: MqttClient | null = null;

/** Publishes one message at QoS 1; resolves like a POST once the broker acknowledged it. */
function publish(body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    mqttClient!.publish(target.mqtt!.topic, body, { qos: 1 }, (err) =>
      err ? reject(err) : resolve({ status: 201, body }),
    );
  });
}

interface Client {
  sock: net.Socket;
  state: 0 | 1 | 2; // 0 handshake, 1 upgraded, 2 welcomed
  head: Buffer | null; // unparsed bytes (handshake, or a frame header cut by a chunk boundary)
  remain: number; // payload bytes of the current frame still to skip
  events: number;
  stats: number;
  lastStatsAt: number;
  closedBy: number; // close code from the server, 0 if none
  deflate: boolean; // permessage-deflate negotiated
}

const enc = (s: string) => Buffer.from(s, 'utf8');
let target: Target;
let P_WELCOME: Buffer;
let P_EVENT: Buffer;
let P_STATS: Buffer;
const P_SIO_OPEN = enc('0{');
const P_SIO_REJECT = enc('44');
const T_KEY = enc('"t":');
const clients: Client[] = [];
let onWelcome: ((c: Client) => void) | null = null;
let onFail: (() => void) | null = null;
/** When set, event frames are parsed for their `t` and the latency recorded. */
let latency: { lat: number[]; perEvent: Map<number, { n: number; last: number }> } | null = null;
let statsWatch: ((c: Client, at: number) => void) | null = null;
/** When set, a statistics frame only counts for `statsWatch` if its payload contains these bytes. */
let statsNeedle: Buffer | null = null;
let failures = 0;
let serverCloses = 0;
/** Bytes on the wire (frame header and payload) of the last event and statistics frames classified. */
const wire = { event: 0, stats: 0 };
const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

const wallNow = () => performance.timeOrigin + performance.now();

function startsWith(buf: Buffer, at: number, len: number, prefix: Buffer): boolean {
  if (len < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (buf[at + k] !== prefix[k]) return false;
  return true;
}

const SIO_PONG = clientFrame(1, enc('3'));

function onFrame(c: Client, op: number, buf: Buffer, at: number, len: number, now: number, wireLen = len): void {
  if (op === 1) {
    if (startsWith(buf, at, len, P_EVENT)) {
      c.events++;
      wire.event = wireLen;
      if (latency) {
        const k = buf.indexOf(T_KEY, at);
        if (k >= 0 && k < at + len) {
          const t = Number.parseFloat(buf.toString('latin1', k + 4, Math.min(k + 30, at + len)));
          latency.lat.push(now - t);
          let e = latency.perEvent.get(t);
          if (!e) {
            e = { n: 0, last: 0 };
            latency.perEvent.set(t, e);
          }
          e.n++;
          if (now > e.last) e.last = now;
        }
      }
      return;
    }
    if (startsWith(buf, at, len, P_STATS)) {
      c.stats++;
      wire.stats = wireLen;
      c.lastStatsAt = now;
      if (statsWatch && statsNeedle) {
        const k = buf.indexOf(statsNeedle, at);
        if (k >= 0 && k + statsNeedle.length <= at + len) statsWatch(c, now);
      } else statsWatch?.(c, now);
      return;
    }
    if (c.state === 1) {
      if (target.kind === 'socketio' && startsWith(buf, at, len, P_SIO_OPEN)) {
        c.sock.write(clientFrame(1, enc(`40${JSON.stringify({ token: target.token })}`)));
        return;
      }
      if (startsWith(buf, at, len, P_WELCOME)) {
        c.state = 2;
        onWelcome?.(c);
        return;
      }
      if (target.kind === 'socketio' && startsWith(buf, at, len, P_SIO_REJECT)) {
        c.sock.destroy();
        return;
      }
    }
    if (target.kind === 'socketio' && len === 1 && buf[at] === 0x32) c.sock.write(SIO_PONG);
  } else if (op === 9) c.sock.write(clientFrame(10, buf.subarray(at, at + len)));
  else if (op === 8) {
    c.closedBy = len >= 2 ? buf.readUInt16BE(at) : 1005;
    serverCloses++;
    c.sock.destroy();
  }
}

/** The frame header being read (reused: the reader runs once at a time). */
const header: FrameHeader = { op: 0, rsv1: false, len: 0, hl: 0 };

function onData(c: Client, chunk: Buffer): void {
  const now = wallNow();
  let buf = chunk;
  if (c.head) {
    buf = Buffer.concat([c.head, chunk]);
    c.head = null;
  }
  let i = 0;
  if (c.state === 0) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) {
      c.head = buf;
      return;
    }
    if (buf[9] !== 0x31 || buf[10] !== 0x30 || buf[11] !== 0x31) {
      c.sock.destroy(); // not 101
      return;
    }
    c.state = 1;
    const ext = buf.indexOf('permessage-deflate');
    c.deflate = ext >= 0 && ext < end;
    i = end + 4;
  }
  const n = buf.length;
  const peekAll = latency !== null || statsNeedle !== null || statsWatch !== null;
  while (i < n) {
    if (c.remain > 0) {
      const take = Math.min(c.remain, n - i);
      i += take;
      c.remain -= take;
      continue;
    }
    if (!readHeader(buf, i, header)) {
      c.head = Buffer.from(buf.subarray(i));
      return;
    }
    const { op, rsv1, len, hl } = header;
    // Bytes of the payload needed to classify the frame (all of it for control frames and latency runs).
    // A compressed frame (RSV1) is inflated only when its content matters; otherwise it is an event.
    const inflate = rsv1 && (peekAll || c.state < 2);
    const need = op >= 8 || peekAll || c.state < 2 ? len : rsv1 ? 0 : Math.min(len, 24);
    if (n - i - hl < need) {
      c.head = Buffer.from(buf.subarray(i));
      return;
    }
    if (inflate) {
      let plain: Buffer | null = null;
      try {
        plain = inflateRawSync(Buffer.concat([buf.subarray(i + hl, i + hl + len), DEFLATE_TAIL]), {
          finishFlush: constants.Z_SYNC_FLUSH,
        });
      } catch {
        c.sock.destroy(); // not valid deflate data: the connection is counted as failed
        return;
      }
      onFrame(c, op, plain, 0, plain.length, now, hl + len);
    } else if (rsv1) {
      c.events++;
      wire.event = hl + len;
    } else onFrame(c, op, buf, i + hl, len, now, hl + len);
    i += hl;
    c.remain = len;
  }
}

let keyCounter = 0;
function openOne(): Client {
  // An explicit source address means bind() before connect(), which makes the kernel search for a
  // free port (milliseconds per connection at thousands of connections): only with several sources.
  const many = target.sources.length > 1;
  const source = many ? target.sources[keyCounter++ % target.sources.length]! : undefined;
  const sock = net.connect({ host: '127.0.0.1', port: target.port, ...(source ? { localAddress: source } : {}) });
  const c: Client = {
    sock,
    state: 0,
    head: null,
    remain: 0,
    events: 0,
    stats: 0,
    lastStatsAt: 0,
    closedBy: 0,
    deflate: false,
  };
  sock.setNoDelay(true);
  sock.on('connect', () => {
    sock.write(
      `GET ${target.path} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${target.deflate ? 'Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover; client_max_window_bits\r\n' : ''}\r\n`,
    );
  });
  sock.on('data', (d: Buffer) => onData(c, d));
  sock.on('error', () => {});
  sock.on('close', () => {
    if (c.state < 2) onFail?.();
    c.state = 0;
    const k = clients.indexOf(c);
    if (k >= 0) {
      clients[k] = clients[clients.length - 1]!;
      clients.pop();
    }
  });
  return c;
}

/** Opens connections until `total` are welcomed, at most `concurrency` handshakes in flight. */
function connect(total: number, concurrency: number, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const start = performance.now();
    const want = total - clients.length;
    let started = 0;
    let welcomed = 0;
    let failed = 0;
    let inflight = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      onWelcome = null;
      onFail = null;
      const ms = performance.now() - start;
      resolve({ requested: want, welcomed, failed, ms, rate: (welcomed / ms) * 1000, open: clients.length });
    };
    const pump = () => {
      while (inflight < concurrency && started - failed < want) {
        started++;
        inflight++;
        clients.push(openOne());
      }
      if (welcomed >= want || failed > want) finish();
    };
    onWelcome = () => {
      inflight--;
      welcomed++;
      pump();
    };
    onFail = () => {
      inflight--;
      failed++;
      failures++;
      pump();
    };
    const timer = setTimeout(finish, timeoutMs);
    if (want <= 0) finish();
    else pump();
  });
}

function disconnect(keep: number): Promise<Record<string, unknown>> {
  const drop = clients.slice(keep);
  for (const c of drop) c.sock.destroy();
  return new Promise((r) => setTimeout(() => r({ open: clients.length }), 200));
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16, noDelay: true } as http.AgentOptions);
const PAD = 'x'.repeat(160);

function post(path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: target.port,
        path,
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${target.postToken}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One ~300-byte camera event on the wire (ours adds id, timestamp, camera_id around `data`). */
function postEvent(seq: number): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({
    event_type: 'bench',
    data: { t: wallNow(), seq, label: 'person', confidence: 0.93, pad: PAD },
  });
  // The MQTT scenario: the same body on <p>/in/cameras/<id>/events (MQTT in, WebSocket out).
  if (target.mqtt) return publish(body);
  return post(`/api/cameras/${target.cameraId}/events`, body);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const totalEvents = () => clients.reduce((s, c) => s + c.events, 0);

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function fanout(events: number, intervalMs: number, drainMs: number): Promise<Record<string, unknown>> {
  for (const c of clients) c.events = 0;
  latency = { lat: [], perEvent: new Map() };
  const posts: { t: number; status: number }[] = [];
  let frameBytes = 0;
  for (let k = 0; k < events; k++) {
    const t0 = performance.now();
    const res = await postEvent(k);
    if (k === 0) frameBytes = Buffer.byteLength(res.body);
    posts.push({ t: t0, status: res.status });
    await sleep(Math.max(0, intervalMs - (performance.now() - t0)));
  }
  const n = clients.length;
  const deadline = performance.now() + drainMs;
  while (totalEvents() < events * n && performance.now() < deadline) await sleep(20);
  const lat = Float64Array.from(latency.lat).sort();
  const perEvent = [...latency.perEvent.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, e]) => ({ received: e.n, post_to_last_ms: e.last - t }));
  latency = null;
  const lastMs = perEvent.map((e) => e.post_to_last_ms).sort((a, b) => a - b);
  return {
    clients: n,
    events,
    post_status: [...new Set(posts.map((p) => p.status))],
    frame_bytes: frameBytes,
    deliveries: lat.length,
    expected: events * n,
    complete: clients.every((c) => c.events === events) && lat.length === events * n,
    p50_ms: quantile(lat, 0.5),
    p99_ms: quantile(lat, 0.99),
    max_ms: lat.length ? lat[lat.length - 1] : Number.NaN,
    post_to_last_median_ms: lastMs[Math.floor(lastMs.length / 2)] ?? Number.NaN,
    post_to_last_max_ms: lastMs[lastMs.length - 1] ?? Number.NaN,
    per_event: perEvent,
  };
}

/**
 * Closed loop: `inflight` POSTs outstanding at a time, and never more than `window` events ahead of
 * the slowest-on-average client (so a server is measured, not its buffers), for `seconds`.
 */
async function throughput(
  seconds: number,
  inflight: number,
  window: number,
  drainMs: number,
): Promise<Record<string, unknown>> {
  for (const c of clients) c.events = 0;
  const n = clients.length;
  let posted = 0;
  let ok = 0;
  let failedPosts = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let delivered = 0;
  let deliveredAtEnd = 0;
  const loop = async () => {
    while (performance.now() < end) {
      if (posted - totalEvents() / n >= window) {
        await sleep(1);
        continue;
      }
      posted++;
      try {
        const res = await postEvent(posted);
        if (res.status === 201 || res.status === 200) ok++;
        else failedPosts++;
      } catch {
        failedPosts++;
      }
    }
  };
  await Promise.all(Array.from({ length: inflight }, loop));
  const elapsed = performance.now() - start;
  deliveredAtEnd = totalEvents();
  const deadline = performance.now() + drainMs;
  while (totalEvents() < ok * n && performance.now() < deadline) await sleep(20);
  delivered = totalEvents();
  const missing = clients.filter((c) => c.events !== ok).length;
  return {
    clients: n,
    seconds: elapsed / 1000,
    posted: ok,
    failed_posts: failedPosts,
    events_per_s: (ok / elapsed) * 1000,
    delivered_in_window: deliveredAtEnd,
    delivered_per_s: (deliveredAtEnd / elapsed) * 1000,
    delivered_total: delivered,
    expected: ok * n,
    complete: missing === 0 && clients.length === n,
    clients_missing_events: missing,
    server_closes: serverCloses,
  };
}

/** Makes the server broadcast statistics once; waits until every client got one. */
async function statistics(timeoutMs: number): Promise<Record<string, unknown>> {
  const n = clients.length;
  const got = new Set<Client>();
  let last = 0;
  const before = new Map(clients.map((c) => [c, c.stats]));
  const t0 = wallNow();
  statsWatch = (c, at) => {
    if (at >= t0 && (before.get(c) ?? 0) < c.stats) {
      got.add(c);
      if (at > last) last = at;
    }
  };
  const body = target.kind === 'ours' ? JSON.stringify({ name: `bench ${t0}` }) : '{}';
  const res = await post(target.statisticsPath, body);
  const deadline = performance.now() + timeoutMs;
  while (got.size < n && performance.now() < deadline) await sleep(10);
  statsWatch = null;
  return {
    clients: n,
    received: got.size,
    complete: got.size === n,
    post_to_last_ms: last - t0,
    status: res.status,
    response: res.body.slice(0, 200),
  };
}

// Cluster runs (run.ts --cluster): several generators, each holding the clients of one node; one of
// them POSTs. Each arms its clients before the POST and collects after it, and run.ts merges.

/** Resets the event counters and starts recording latencies. */
function eventsArm(): Record<string, unknown> {
  for (const c of clients) c.events = 0;
  latency = { lat: [], perEvent: new Map() };
  return { clients: clients.length };
}

/** Posts `events` camera events to this generator's node, `intervalMs` apart. */
async function eventsPost(events: number, intervalMs: number): Promise<Record<string, unknown>> {
  const status: number[] = [];
  let frameBytes = 0;
  for (let k = 0; k < events; k++) {
    const t0 = performance.now();
    const res = await postEvent(k);
    if (k === 0) frameBytes = Buffer.byteLength(res.body);
    status.push(res.status);
    if (k < events - 1) await sleep(Math.max(0, intervalMs - (performance.now() - t0)));
  }
  return { post_status: [...new Set(status)], frame_bytes: frameBytes };
}

/** Waits until every client got `events` events (or `drainMs`); returns the raw latencies. */
async function eventsCollect(events: number, drainMs: number): Promise<Record<string, unknown>> {
  const n = clients.length;
  const deadline = performance.now() + drainMs;
  while (totalEvents() < events * n && performance.now() < deadline) await sleep(20);
  const rec = latency ?? { lat: [], perEvent: new Map() };
  latency = null;
  return {
    clients: n,
    expected: events * n,
    deliveries: rec.lat.length,
    clients_missing_events: clients.filter((c) => c.events !== events).length,
    lat: rec.lat,
    per_event: [...rec.perEvent.entries()].map(([t, e]) => [t, e.n, e.last]),
  };
}

let statsGot: { got: Set<Client>; last: number; t0: number } | null = null;
/** Watches for a statistics frame whose payload contains `needle`, from now on. */
function statsArm(needle: string | undefined): Record<string, unknown> {
  const rec = { got: new Set<Client>(), last: 0, t0: wallNow() };
  statsGot = rec;
  statsNeedle = needle ? enc(needle) : null;
  statsWatch = (c, at) => {
    rec.got.add(c);
    if (at > rec.last) rec.last = at;
  };
  return { clients: clients.length };
}

async function statsCollect(timeoutMs: number): Promise<Record<string, unknown>> {
  const n = clients.length;
  const rec = statsGot!;
  const deadline = performance.now() + timeoutMs;
  while (rec.got.size < n && performance.now() < deadline) await sleep(10);
  statsWatch = null;
  statsNeedle = null;
  statsGot = null;
  return { clients: n, received: rec.got.size, complete: rec.got.size === n, last: rec.last };
}

process.on('message', async (m: { id: number; cmd: string; args: Record<string, any> }) => {
  let result: unknown;
  try {
    const a = m.args ?? {};
    switch (m.cmd) {
      case 'target':
        for (const c of clients.splice(0)) c.sock.destroy();
        target = a as Target;
        mqttClient?.end(true);
        mqttClient = null;
        if (target.mqtt) {
          const client = mqttConnect(target.mqtt.url, {
            protocolVersion: 5,
            clientId: `bench-gen-${process.pid}`,
            reconnectPeriod: 0,
          });
          await new Promise<void>((resolve, reject) => {
            client.once('connect', () => resolve());
            client.once('error', reject);
          });
          (client.stream as net.Socket).setNoDelay?.(true);
          mqttClient = client;
        }
        serverCloses = 0;
        failures = 0;
        P_WELCOME = enc(a.kind === 'socketio' ? '40' : '{"type":"connection_status"');
        P_EVENT = enc(a.kind === 'socketio' ? '42["camera_event"' : '{"type":"camera_event"');
        P_STATS = enc(a.kind === 'socketio' ? '42["statistics_update"' : '{"type":"statistics_update"');
        result = { ok: true };
        break;
      case 'connect':
        result = await connect(a.total, a.concurrency ?? 200, a.timeoutMs ?? 60_000);
        break;
      case 'disconnect':
        result = await disconnect(a.keep);
        break;
      case 'fanout':
        result = await fanout(a.events, a.intervalMs ?? 1000, a.drainMs ?? 10_000);
        break;
      case 'throughput':
        result = await throughput(a.seconds, a.inflight ?? 4, a.window ?? 32, a.drainMs ?? 15_000);
        break;
      case 'statistics':
        result = await statistics(a.timeoutMs ?? 10_000);
        break;
      case 'events-arm':
        result = eventsArm();
        break;
      case 'events-post':
        result = await eventsPost(a.events, a.intervalMs ?? 1000);
        break;
      case 'events-collect':
        result = await eventsCollect(a.events, a.drainMs ?? 10_000);
        break;
      case 'stats-arm':
        result = statsArm(a.needle);
        break;
      case 'stats-post': {
        const t = wallNow();
        const res = await post(target.statisticsPath, a.body ?? '{}');
        result = { t, status: res.status };
        break;
      }
      case 'stats-collect':
        result = await statsCollect(a.timeoutMs ?? 10_000);
        break;
      case 'status':
        result = {
          open: clients.length,
          welcomed: clients.filter((c) => c.state === 2).length,
          failures,
          server_closes: serverCloses,
          close_codes: [...new Set(clients.map((c) => c.closedBy))],
          wire_bytes: { ...wire },
          deflate_negotiated: clients.filter((c) => c.deflate).length,
        };
        break;
      case 'exit':
        mqttClient?.end(true);
        for (const c of clients) c.sock.destroy();
        process.exit(0);
    }
  } catch (err) {
    result = { error: String((err as Error)?.stack ?? err) };
  }
  process.send?.({ id: m.id, result });
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
