/**
 * Pulling frames from cameras' own URLs (issue 12, "sources of frames"): against fake cameras on
 * 127.0.0.1, a watcher gets frames from a snapshot URL and from an MJPEG stream, at the fps it asked
 * for; nothing is fetched while nobody watches, and fetching stops within a second after the last
 * viewer leaves. Then the bad cameras: hanging, stalling, 500, a 50 MB "JPEG", garbage, an endless
 * part, a stream cut mid-part, a redirect: each an error of its kind, logged once, the camera
 * offline after three failures and online again when frames flow, the server unharmed.
 */
import { decodeFrame } from '@openeye/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../src/logger.js';
import type { MediaFrame } from '../src/media/frames.js';
import { PullManager } from '../src/media/pull.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { basicAuth, digestAuth, type FakeCamera, fakeCamera, jpegBytes, mjpegRoute } from './fake-camera.js';
import { api, wsUrl } from './helpers.js';

const PASSWORD = 'cam-secret-9f3a';
const MAX_FRAME = 256 * 1024;

interface Viewer {
  ws: WebSocket;
  frames: Array<{ cameraId: number; seq: number; at: number }>;
  events: Array<Record<string, unknown>>;
  watch(cameraId: number, fps?: number): void;
  unwatch(cameraId: number): void;
}

async function viewer(t: TestServer, token: string): Promise<Viewer> {
  const ws = new WebSocket(wsUrl(t.url, { token }));
  const v: Viewer = {
    ws,
    frames: [],
    events: [],
    watch: (camera_id, max_fps) => ws.send(JSON.stringify({ type: 'watch', camera_id, max_fps })),
    unwatch: (camera_id) => ws.send(JSON.stringify({ type: 'unwatch', camera_id })),
  };
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        const f = decodeFrame(new Uint8Array(data));
        if (f) v.frames.push({ cameraId: f.header.cameraId, seq: f.header.seq, at: Date.now() });
        return;
      }
      const m = JSON.parse(String(data));
      if (m.type === 'connection_status') resolve();
      if (m.type === 'camera_event') v.events.push(m);
    });
    ws.once('error', reject);
  });
  return v;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestServer;
let cam: FakeCamera;
let viewerToken: string;

async function camera(name: string, source: { snapshot_url?: string; mjpeg_url?: string }): Promise<number> {
  const r = await api(t.url, 'POST', '/api/cameras', t.adminToken, { name, ...source });
  expect(r.status).toBe(201);
  return r.body.id as number;
}

/** The URL of a path of the fake camera, with credentials. */
const at = (path: string) => cam.base.replace('http://', `http://operator:${PASSWORD}@`) + path;

function pullLogs(cameraId: number): Array<Record<string, unknown>> {
  return t.logs
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.event === 'media.pull_failed' && l.camera === cameraId);
}

beforeAll(async () => {
  t = await startTestServer({
    env: {
      OPENEYE_MEDIA_PULL_TIMEOUT_MS: '1000',
      OPENEYE_MAX_FRAME_BYTES: String(MAX_FRAME),
      OPENEYE_MEDIA_MAX_FPS: '15',
    },
  });
  cam = await fakeCamera();
  viewerToken = await t.tokenFor('pull-viewer', 'viewer');
});
afterAll(async () => {
  await t?.close();
  await cam?.close();
});

describe('a snapshot URL', () => {
  it('is fetched only while watched, at the fps asked, never two at once, and stops within a second', async () => {
    cam.route(
      '/snap.jpg',
      basicAuth('operator', PASSWORD, (_req, res) => {
        // A little latency, as a real camera has.
        setTimeout(() => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpegBytes(3000, 3)), 20);
      }),
    );
    const id = await camera('Snapshot cam', { snapshot_url: at('/snap.jpg') });
    await sleep(700);
    expect(cam.hits('/snap.jpg')).toHaveLength(0);

    const v = await viewer(t, viewerToken);
    v.watch(id, 4);
    await until(() => v.frames.filter((f) => f.cameraId === id).length >= 3, 5000, 'frames from the snapshot URL');
    // Nothing is sent before the camera asks; then every request carries Basic.
    const basic = `Basic ${Buffer.from(`operator:${PASSWORD}`).toString('base64')}`;
    expect(
      cam
        .hits('/snap.jpg')
        .map((r) => r.authorization)
        .slice(0, 3),
    ).toEqual([undefined, basic, basic]);
    // At 4 fps: over 2 s about 8 requests (generous margins for a loaded machine).
    const before = cam.hits('/snap.jpg').length;
    await sleep(2000);
    const in2s = cam.hits('/snap.jpg').length - before;
    expect(in2s).toBeGreaterThanOrEqual(3);
    expect(in2s).toBeLessThanOrEqual(10);
    expect(cam.maxInFlight.get('/snap.jpg')).toBe(1);

    // A second viewer asking for more raises the rate to the highest fps asked.
    const fast = await viewer(t, viewerToken);
    fast.watch(id, 12);
    await sleep(300);
    const before2 = cam.hits('/snap.jpg').length;
    await sleep(2000);
    expect(cam.hits('/snap.jpg').length - before2).toBeGreaterThan(in2s + 3);
    expect(cam.maxInFlight.get('/snap.jpg')).toBe(1);

    fast.ws.close();
    v.unwatch(id);
    const left = Date.now();
    await sleep(1600);
    const late = cam.hits('/snap.jpg').filter((r) => r.at > left + 1000);
    expect(late).toEqual([]);
    v.ws.close();
  });
});

describe('an MJPEG URL', () => {
  it('is one stream; frames no faster than asked; the stream is closed within a second after unwatch', async () => {
    cam.route('/video.mjpg', mjpegRoute({ everyMs: 40 }));
    const id = await camera('MJPEG cam', { mjpeg_url: at('/video.mjpg') });
    const v = await viewer(t, viewerToken);
    v.watch(id, 5);
    await until(() => v.frames.filter((f) => f.cameraId === id).length >= 2, 5000, 'frames from the MJPEG stream');
    const start = v.frames.length;
    await sleep(2000);
    // The camera sends 25 fps; the viewer asked for 5: about 10 in 2 s, never the 50 sent.
    const got = v.frames.length - start;
    expect(got).toBeGreaterThanOrEqual(3);
    expect(got).toBeLessThanOrEqual(14);
    expect(cam.hits('/video.mjpg')).toHaveLength(1);

    v.unwatch(id);
    const left = Date.now();
    await until(() => (cam.inFlight.get('/video.mjpg') ?? 0) === 0, 3000, 'the stream closed');
    expect(Date.now() - left).toBeLessThan(1000 + 300);
    await sleep(800);
    expect(cam.hits('/video.mjpg')).toHaveLength(1);
    v.ws.close();
  });

  it('parts without Content-Length work too', async () => {
    cam.route('/nolength.mjpg', mjpegRoute({ everyMs: 100, length: false }));
    const id = await camera('MJPEG no length', { mjpeg_url: at('/nolength.mjpg') });
    const v = await viewer(t, viewerToken);
    v.watch(id, 10);
    await until(() => v.frames.filter((f) => f.cameraId === id).length >= 3, 5000, 'frames without Content-Length');
    v.ws.close();
  });
});

describe('credentials', () => {
  it('Digest, as many IP cameras want: answered, the nonce reused and renewed when stale; a wrong password is `unauthorized`', async () => {
    const stats = { accepted: 0, challenges: 0 };
    cam.route(
      '/digest.jpg',
      digestAuth(
        'operator',
        PASSWORD,
        (_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpegBytes(800)),
        stats,
        4,
      ),
    );
    cam.route(
      '/digest.mjpg',
      digestAuth('operator', PASSWORD, mjpegRoute({ everyMs: 50 }), { accepted: 0, challenges: 0 }),
    );
    const snap = await camera('Digest snapshot', { snapshot_url: `${at('/digest.jpg')}?channel=1` });
    const stream = await camera('Digest MJPEG', { mjpeg_url: at('/digest.mjpg') });
    const wrong = await camera('Digest, wrong password', {
      snapshot_url: `${cam.base.replace('http://', 'http://operator:not-it@')}/digest.jpg`,
    });
    const v = await viewer(t, viewerToken);
    try {
      for (const id of [snap, stream, wrong]) v.watch(id, 10);
      await until(() => v.frames.filter((f) => f.cameraId === snap).length >= 10, 8000, 'digest snapshots');
      await until(() => v.frames.some((f) => f.cameraId === stream), 5000, 'a digest MJPEG stream');
      // A nonce serves 4 requests: after 10 frames, several stale renewals, each one extra request.
      expect(stats.challenges).toBeGreaterThanOrEqual(3);
      expect(stats.accepted).toBeGreaterThanOrEqual(10);
      await until(() => pullLogs(wrong).length > 0, 5000, 'the wrong password logged');
      expect(pullLogs(wrong).map((l) => l.kind)).toEqual(['unauthorized']);
      expect(v.frames.some((f) => f.cameraId === wrong)).toBe(false);
    } finally {
      v.ws.close();
    }
  });
});

describe('bad cameras', () => {
  it('each failure has its kind, is logged once, bounds memory, and never harms the server', async () => {
    const held: Array<import('node:http').ServerResponse> = [];
    const written = new Map<string, number>();
    const count = (path: string, n: number) => written.set(path, (written.get(path) ?? 0) + n);
    /** Writes `chunk` every 5 ms (~6 MB/s: the server keeps up, so little waits in socket buffers) until closed. */
    const paced = (path: string, res: import('node:http').ServerResponse, chunk: Buffer) => {
      const timer = setInterval(() => {
        if (res.destroyed || (written.get(path) ?? 0) > 50 * 1024 * 1024) return clearInterval(timer);
        count(path, chunk.length);
        res.write(chunk);
      }, 5);
      res.once('close', () => clearInterval(timer));
    };
    cam.route('/hang.jpg', (_req, res) => {
      held.push(res); // never answers
    });
    cam.route('/stall.jpg', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '5000' });
      res.write(jpegBytes(100)); // then nothing
      held.push(res);
    });
    cam.route('/error.jpg', (_req, res) => res.writeHead(500).end('internal'));
    cam.route('/huge.jpg', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(50 * 1024 * 1024) });
      paced('/huge.jpg', res, jpegBytes(32 * 1024));
    });
    cam.route('/chunked-huge.jpg', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg' }); // chunked: no length to judge from
      paced('/chunked-huge.jpg', res, jpegBytes(32 * 1024));
    });
    cam.route('/garbage.jpg', (_req, res) =>
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.from('<html>login</html>')),
    );
    cam.route('/garbage.mjpg', (_req, res) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
      paced('/garbage.mjpg', res, Buffer.alloc(32 * 1024, 0x41));
    });
    cam.route('/endless.mjpg', (_req, res) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
      res.write('--frame\r\nContent-Type: image/jpeg\r\n\r\n');
      paced('/endless.mjpg', res, jpegBytes(32 * 1024));
    });
    cam.route('/cut.mjpg', (req, res) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
      res.write('--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 5000\r\n\r\n');
      res.write(jpegBytes(1000), () => setTimeout(() => req.socket.destroy(), 20));
    });
    cam.route('/redirect.jpg', (_req, res) => res.writeHead(302, { location: '/elsewhere.jpg' }).end());
    cam.route('/elsewhere.jpg', (_req, res) =>
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpegBytes(1000)),
    );

    const cases = [
      { path: '/hang.jpg', field: 'snapshot_url', kind: 'timeout' },
      { path: '/stall.jpg', field: 'snapshot_url', kind: 'stalled' },
      { path: '/error.jpg', field: 'snapshot_url', kind: 'http_status' },
      { path: '/huge.jpg', field: 'snapshot_url', kind: 'too_large' },
      { path: '/chunked-huge.jpg', field: 'snapshot_url', kind: 'too_large' },
      { path: '/garbage.jpg', field: 'snapshot_url', kind: 'not_image' },
      { path: '/garbage.mjpg', field: 'mjpeg_url', kind: 'bad_stream' },
      { path: '/endless.mjpg', field: 'mjpeg_url', kind: 'too_large' },
      { path: '/cut.mjpg', field: 'mjpeg_url', kind: 'closed' },
      { path: '/redirect.jpg', field: 'snapshot_url', kind: 'redirect' },
    ] as const;
    const ids = new Map<string, number>();
    for (const c of cases) ids.set(c.path, await camera(`Bad ${c.path}`, { [c.field]: at(c.path) }));

    const v = await viewer(t, viewerToken);
    v.ws.send(JSON.stringify({ type: 'subscribe', event_types: ['camera_event'] }));
    for (const id of ids.values()) v.watch(id, 5);

    // Three failures each (retried with backoff), then camera_offline to the watcher.
    await until(
      () =>
        cases.every((c) => v.events.some((e) => e.camera_id === ids.get(c.path) && e.event_type === 'camera_offline')),
      20_000,
      `every bad camera offline; got ${JSON.stringify(v.events.map((e) => [e.camera_id, e.event_type]))}`,
    );
    for (const c of cases) {
      const id = ids.get(c.path)!;
      expect(cam.hits(c.path).length, c.path).toBeGreaterThanOrEqual(3);
      const logs = pullLogs(id);
      expect(
        logs.map((l) => l.kind),
        c.path,
      ).toEqual([c.kind]);
      expect(String(logs[0]!.source)).toBe(`${cam.base}${c.path}`);
      expect((await api(t.url, 'GET', `/api/cameras/${id}`, viewerToken)).body.active, c.path).toBe(false);
    }
    // Bounded: a body passing the frame limit (256 KiB) was given up as soon as it did (the 50 MB
    // with Content-Length before reading it); the fake wrote little more than the limit each time.
    for (const [path, bytes] of written) {
      expect(bytes / cam.hits(path).length, path).toBeLessThan(MAX_FRAME + 1024 * 1024);
    }
    expect(cam.hits('/elsewhere.jpg')).toHaveLength(0);
    // Only once each camera's offline event.
    for (const id of ids.values()) {
      expect(v.events.filter((e) => e.camera_id === id && e.event_type === 'camera_offline')).toHaveLength(1);
    }

    // The camera that answered 500 is fixed: frames flow, it is online again.
    cam.route('/error.jpg', (_req, res) =>
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpegBytes(2000, 8)),
    );
    const fixed = ids.get('/error.jpg')!;
    await until(
      () => v.events.some((e) => e.camera_id === fixed && e.event_type === 'camera_online'),
      15_000,
      'camera_online after the fix',
    );
    await until(() => v.frames.some((f) => f.cameraId === fixed), 5000, 'frames of the fixed camera');
    expect((await api(t.url, 'GET', `/api/cameras/${fixed}`, viewerToken)).body.active).toBe(true);

    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    for (const kind of new Set(cases.map((c) => c.kind))) {
      expect(metrics, kind).toMatch(new RegExp(`openeye_media_pull_errors_total\\{kind="${kind}"\\} [1-9]`));
    }
    expect(metrics).toMatch(/openeye_media_frames_ingested_total\{source="pull"\} [1-9]/);

    // Everyone leaves: every pull stops; the held requests were given up.
    v.ws.close();
    await sleep(1200);
    const bad = (): number => cases.reduce((n, c) => n + cam.hits(c.path).length, 0);
    const quiet = bad();
    await sleep(1500);
    expect(bad()).toBe(quiet);
    for (const res of held) res.destroy();

    // The server is unharmed, and no log line ever held the password.
    expect((await api(t.url, 'GET', '/api/cameras', viewerToken)).status).toBe(200);
    expect(t.logs.join('\n')).not.toContain(PASSWORD);
  });
});

describe('one node pulls a camera', () => {
  it('the lease media-pull:<id> decides which; when its holder stops, another takes over', async () => {
    cam.route('/lease.jpg', (_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpegBytes(500)));
    // Leases as the cluster engines keep them: one holder per name until released or expired.
    const held = new Map<string, { node: string; until: number }>();
    const engine = (node: string) => ({
      lease: async (name: string, ttlMs: number) => {
        const h = held.get(name);
        if (h && h.node !== node && h.until > Date.now()) return false;
        held.set(name, { node, until: Date.now() + ttlMs });
        return true;
      },
      releaseLease: async (name: string) => {
        if (held.get(name)?.node === node) held.delete(name);
      },
    });
    const node = (name: string) => {
      const ingested = { n: 0 };
      const manager = new PullManager({
        media: {
          ingest: () => {
            ingested.n++;
            return { ok: true, frame: {} as MediaFrame };
          },
          viewers: () => 1,
          wantedFps: () => 5,
        },
        sources: async (id) => ({
          id,
          name: 'Leased',
          active: true,
          snapshot_url: `${cam.base}/lease.jpg`,
          mjpeg_url: null,
        }),
        setActive: async () => undefined,
        engine: engine(name),
        log: createLogger('silent'),
        metrics: { framePulled: () => undefined, pullError: () => undefined, sessions: () => undefined },
        maxFps: 15,
        maxFrameBytes: MAX_FRAME,
        timeoutMs: 1000,
        recheckMs: 200,
      });
      manager.start();
      manager.update(77);
      return { manager, ingested };
    };
    const a = node('a');
    const b = node('b');
    await until(() => a.ingested.n + b.ingested.n >= 3, 5000, 'frames on one node');
    await sleep(500);
    const [holder, other] = a.ingested.n > 0 ? [a, b] : [b, a];
    expect(other.ingested.n).toBe(0);
    expect(held.get('media-pull:77')).toBeDefined();

    await holder.manager.stop();
    await until(() => other.ingested.n >= 2, 5000, 'the other node takes over');
    await other.manager.stop();
    expect(held.has('media-pull:77')).toBe(false);
  });
});
