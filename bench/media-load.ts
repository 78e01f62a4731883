/**
 * The media scenario's load (issue 12): a child process (pinned like the generator by run.ts) driven
 * over IPC. Raw `net` sockets, as in bench/generator.ts, that do the upgrade themselves and parse
 * WebSocket frame headers only:
 *
 * - producers: one socket per camera (ours: an API key's token; the relay: a JWT), `publish`, then
 *   binary frames (protocol.md section 8: 24-byte header, then a ~40 KB JPEG) at a fixed rate; the
 *   header's capture time is this process's wall clock at sending;
 * - viewers: `watch` of some cameras at a max fps; every binary frame received is counted, and its
 *   latency (receipt − capture time, read from the header) recorded; pings are answered with the same
 *   payload (ours' media flow control waits for that pong);
 * - throttled viewers: the same, but the socket reads at most `bytesPerSecond` (paused in between),
 *   and the age of the newest frame of each watched camera is sampled every 100 ms.
 *
 * Producers and viewers share this process's clock, so latencies need no clock agreement.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import { clientFrame, type FrameHeader, readHeader } from './wire.ts';

interface Setup {
  port: number;
  /** Upgrade path up to `token=` (the token is appended). */
  pathPrefix: string;
  producerToken: string;
  viewerToken: string;
  cameras: number[];
  frameBytes: number;
  producerFps: number;
}

interface Client {
  sock: net.Socket;
  kind: 'producer' | 'viewer' | 'throttled';
  state: 0 | 1 | 2; // handshake, upgraded, welcomed
  head: Buffer | null;
  remain: number;
  frames: number;
  bytes: number;
  errors: number;
  closedBy: number;
  /** Throttled viewers: newest capture time per camera. */
  newest: Map<number, number>;
  onWelcome: (() => void) | null;
}

const wallNow = () => performance.timeOrigin + performance.now();
let setup: Setup;
let image: Buffer;
const clients: Client[] = [];
const WELCOME = Buffer.from('{"type":"connection_status"');
const ERROR = Buffer.from('{"type":"error"');
let firstError = '';

/** Measurement window: latencies of normal viewers, ages at receipt of throttled ones, staleness samples. */
let rec = {
  start: 0,
  lat: [] as number[],
  throttledAge: [] as number[],
  stale: [] as number[],
  frames: 0,
  bytes: 0,
  throttledFrames: 0,
  throttledBytes: 0,
};
let sent = 0;
let skipped = 0;

/** A JPEG of noise (jpeg-js), then padded to exactly `bytes` with a comment segment after the SOI. */
function makeJpeg(bytes: number): Buffer {
  const require = createRequire(new URL('../packages/server/package.json', import.meta.url));
  const jpeg = require('jpeg-js') as {
    encode(img: { data: Uint8Array; width: number; height: number }, q: number): { data: Buffer };
  };
  let w = 96;
  let h = 72;
  let out: Buffer = Buffer.alloc(0);
  for (let k = 0; k < 6; k++) {
    const data = new Uint8Array(w * h * 4);
    let x = 0x2545f491;
    for (let i = 0; i < data.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      data[i] = i % 4 === 3 ? 255 : x & 0xff;
    }
    out = jpeg.encode({ data, width: w, height: h }, 70).data;
    if (out.length <= bytes && out.length > bytes * 0.85) break;
    const f = Math.sqrt((bytes * 0.92) / out.length);
    w = Math.max(16, Math.floor((w * f) / 8) * 8);
    h = Math.max(16, Math.floor((h * f) / 8) * 8);
  }
  if (out.length > bytes) return out; // could not get under: use it as is
  // COM segments hold at most 65,533 bytes each; one is enough here.
  const pad = bytes - out.length;
  if (pad < 4) return out;
  const com = Buffer.alloc(pad);
  com[0] = 0xff;
  com[1] = 0xfe;
  com.writeUInt16BE(pad - 2, 2);
  com.fill(0x20, 4);
  return Buffer.concat([out.subarray(0, 2), com, out.subarray(2)]);
}

function text(c: Client, msg: unknown): void {
  c.sock.write(clientFrame(1, Buffer.from(JSON.stringify(msg))));
}

function onFrame(c: Client, op: number, buf: Buffer, at: number, len: number, now: number): void {
  if (op === 2) {
    if (len < 24 || c.kind === 'producer') return;
    const t = buf.readDoubleBE(at + 12);
    c.frames++;
    c.bytes += len;
    if (rec.start === 0) return;
    if (c.kind === 'viewer') {
      rec.frames++;
      rec.bytes += len;
      rec.lat.push(now - t);
    } else {
      rec.throttledFrames++;
      rec.throttledBytes += len;
      rec.throttledAge.push(now - t);
      const cam = buf.readUInt32BE(at + 4);
      if ((c.newest.get(cam) ?? 0) < t) c.newest.set(cam, t);
    }
    return;
  }
  if (op === 1) {
    const starts = (p: Buffer) => len >= p.length && buf.compare(p, 0, p.length, at, at + p.length) === 0;
    if (c.state === 1 && starts(WELCOME)) {
      c.state = 2;
      c.onWelcome?.();
      c.onWelcome = null;
    } else if (starts(ERROR)) {
      c.errors++;
      if (!firstError) firstError = buf.toString('utf8', at, at + Math.min(len, 300));
    }
    return;
  }
  if (op === 9) c.sock.write(clientFrame(10, buf.subarray(at, at + len)));
  else if (op === 8) {
    c.closedBy = len >= 2 ? buf.readUInt16BE(at) : 1005;
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
      c.sock.destroy();
      return;
    }
    c.state = 1;
    i = end + 4;
  }
  const n = buf.length;
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
    const { op, len, hl } = header;
    // Binary frames: the 24-byte media header is enough; text and control frames: all of it.
    const need = op === 2 ? Math.min(len, 24) : len;
    if (n - i - hl < need) {
      c.head = Buffer.from(buf.subarray(i));
      return;
    }
    onFrame(c, op, buf, i + hl, len, now);
    i += hl;
    c.remain = len;
  }
}

function open(kind: Client['kind'], token: string, bytesPerSecond = 0): Promise<Client> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port: setup.port });
    const c: Client = {
      sock,
      kind,
      state: 0,
      head: null,
      remain: 0,
      frames: 0,
      bytes: 0,
      errors: 0,
      closedBy: 0,
      newest: new Map(),
      onWelcome: () => resolve(c),
    };
    sock.setNoDelay(true);
    sock.on('connect', () =>
      sock.write(
        `GET ${setup.pathPrefix}${token} HTTP/1.1\r\nHost: 127.0.0.1:${setup.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    if (bytesPerSecond > 0) {
      // Reads at most bytesPerSecond on average: after each read, paused until the budget allows it.
      const t0 = performance.now();
      let read = 0;
      sock.on('data', (d: Buffer) => {
        read += d.length;
        onData(c, d);
        const ahead = read / bytesPerSecond - (performance.now() - t0) / 1000;
        if (ahead > 0) {
          sock.pause();
          setTimeout(() => sock.resume(), ahead * 1000);
        }
      });
    } else sock.on('data', (d: Buffer) => onData(c, d));
    sock.on('error', () => {});
    sock.on('close', () => {
      if (c.state < 2) reject(new Error(`${kind} connection closed before its welcome`));
      c.state = 0;
    });
    clients.push(c);
  });
}

let producing: NodeJS.Timeout[] = [];

function frameOf(cameraId: number, seq: number): Buffer {
  const payload = Buffer.allocUnsafe(24 + image.length);
  payload[0] = 1; // header version
  payload[1] = 1; // camera frame
  payload[2] = 1; // image/jpeg
  payload[3] = 0;
  payload.writeUInt32BE(cameraId, 4);
  payload.writeUInt32BE(seq >>> 0, 8);
  payload.writeDoubleBE(wallNow(), 12);
  payload.writeUInt16BE(0, 20);
  payload.writeUInt16BE(0, 22);
  image.copy(payload, 24);
  return clientFrame(2, payload);
}

async function start(a: { viewers: number; watches: number; fps: number }): Promise<Record<string, unknown>> {
  image = makeJpeg(setup.frameBytes);
  const producers: Client[] = [];
  for (const cam of setup.cameras) {
    const p = await open('producer', setup.producerToken);
    text(p, { type: 'publish', camera_id: cam });
    producers.push(p);
  }
  const viewers: Promise<Client>[] = [];
  for (let v = 0; v < a.viewers; v++) viewers.push(open('viewer', setup.viewerToken));
  const vs = await Promise.all(viewers);
  const k = setup.cameras.length;
  vs.forEach((c, v) => {
    for (let j = 0; j < a.watches; j++)
      text(c, { type: 'watch', camera_id: setup.cameras[(v * a.watches + j) % k], max_fps: a.fps });
  });
  // Producers: one timer each, staggered over the interval.
  const interval = 1000 / setup.producerFps;
  producers.forEach((p, idx) => {
    let seq = 0;
    const cam = setup.cameras[idx]!;
    const begin = setTimeout(
      () => {
        producing.push(
          setInterval(() => {
            if (p.state !== 2) return;
            // A camera drops frames rather than queue them behind a server that does not read.
            if (p.sock.writableLength > 1_000_000) {
              skipped++;
              return;
            }
            p.sock.write(frameOf(cam, ++seq));
            sent++;
          }, interval),
        );
      },
      (interval * idx) / producers.length,
    );
    producing.push(begin);
  });
  return { producers: producers.length, viewers: vs.length, image_bytes: image.length };
}

async function throttled(a: { count: number; watches: number; fps: number; bytesPerSecond: number }) {
  const k = setup.cameras.length;
  for (let v = 0; v < a.count; v++) {
    const c = await open('throttled', setup.viewerToken, a.bytesPerSecond);
    for (let j = 0; j < a.watches; j++)
      text(c, { type: 'watch', camera_id: setup.cameras[(v * a.watches + j + 1) % k], max_fps: a.fps });
  }
  return { throttled: a.count };
}

let sampler: NodeJS.Timeout | null = null;
function measureStart(): Record<string, unknown> {
  rec = {
    start: performance.now(),
    lat: [],
    throttledAge: [],
    stale: [],
    frames: 0,
    bytes: 0,
    throttledFrames: 0,
    throttledBytes: 0,
  };
  sent = 0;
  skipped = 0;
  sampler = setInterval(() => {
    const now = wallNow();
    for (const c of clients) if (c.kind === 'throttled') for (const t of c.newest.values()) rec.stale.push(now - t);
  }, 100);
  return { ok: true };
}

function q(sorted: Float64Array, p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : Number.NaN;
}

function measureStop(): Record<string, unknown> {
  if (sampler) clearInterval(sampler);
  sampler = null;
  const secs = (performance.now() - rec.start) / 1000;
  const lat = Float64Array.from(rec.lat).sort();
  const age = Float64Array.from(rec.throttledAge).sort();
  const stale = Float64Array.from(rec.stale).sort();
  const viewers = clients.filter((c) => c.kind === 'viewer');
  const out = {
    seconds: secs,
    frames_sent_by_producers: sent,
    frames_skipped_by_producers: skipped,
    frames_per_s: rec.frames / secs,
    mb_per_s: rec.bytes / secs / 1e6,
    frames: rec.frames,
    bytes: rec.bytes,
    p50_ms: q(lat, 0.5),
    p99_ms: q(lat, 0.99),
    max_ms: lat.length ? lat[lat.length - 1] : Number.NaN,
    per_viewer_camera_fps: rec.frames / secs / Math.max(1, viewers.length) / 4,
    throttled: {
      frames: rec.throttledFrames,
      frames_per_s: rec.throttledFrames / secs,
      kb_per_s: rec.throttledBytes / secs / 1e3,
      age_at_receipt_p50_ms: q(age, 0.5),
      age_at_receipt_max_ms: age.length ? age[age.length - 1] : Number.NaN,
      newest_frame_age_p50_ms: q(stale, 0.5),
      newest_frame_age_max_ms: stale.length ? stale[stale.length - 1] : Number.NaN,
      samples: stale.length,
    },
  };
  rec.start = 0;
  return out;
}

function status(): Record<string, unknown> {
  const by = (k: Client['kind']) => clients.filter((c) => c.kind === k);
  return {
    producers_open: by('producer').filter((c) => c.state === 2).length,
    viewers_open: by('viewer').filter((c) => c.state === 2).length,
    throttled_open: by('throttled').filter((c) => c.state === 2).length,
    errors: clients.reduce((s, c) => s + c.errors, 0),
    first_error: firstError,
    close_codes: [...new Set(clients.map((c) => c.closedBy).filter(Boolean))],
  };
}

function stop(): Record<string, unknown> {
  for (const t of producing) clearTimeout(t);
  producing = [];
  const st = status();
  for (const c of clients.splice(0)) c.sock.destroy();
  return st;
}

process.on('message', async (m: { id: number; cmd: string; args: Record<string, any> }) => {
  let result: unknown;
  try {
    const a = m.args ?? {};
    switch (m.cmd) {
      case 'setup':
        setup = a as Setup;
        result = { ok: true };
        break;
      case 'start':
        result = await start(a as { viewers: number; watches: number; fps: number });
        break;
      case 'throttled':
        result = await throttled(a as { count: number; watches: number; fps: number; bytesPerSecond: number });
        break;
      case 'measure-start':
        result = measureStart();
        break;
      case 'measure-stop':
        result = measureStop();
        break;
      case 'status':
        result = status();
        break;
      case 'stop':
        result = stop();
        break;
      case 'exit':
        stop();
        process.exit(0);
    }
  } catch (err) {
    result = { error: String((err as Error)?.stack ?? err) };
  }
  process.send?.({ id: m.id, result });
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
