/**
 * Camera media (issue 12): watch / unwatch, binary frames with the documented header, latest frame
 * wins for slow viewers, the fps cap, HTTP push and snapshot, the producer socket, bad input.
 */
import { decodeFrame } from '@openeye/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../src/testing.js';
import { rawRequest } from './hardening/raw.js';
import { api, connect, wsUrl } from './helpers.js';

/** A tiny but real JPEG header followed by filler: enough for the magic-byte check. */
function jpeg(size: number, fill = 1): Buffer {
  const b = Buffer.alloc(size, fill);
  b[0] = 0xff;
  b[1] = 0xd8;
  b[2] = 0xff;
  return b;
}

interface Viewer {
  ws: WebSocket;
  frames: Array<{ cameraId: number; seq: number; timestamp: number; contentType: string; bytes: number; at: number }>;
  json: Array<Record<string, unknown>>;
  next(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function viewer(t: TestServer, token: string): Promise<Viewer> {
  const ws = new WebSocket(wsUrl(t.url, { token }));
  const v: Viewer = { ws, frames: [], json: [], next: async () => ({}) };
  const waiters: Array<() => void> = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      const f = decodeFrame(new Uint8Array(data));
      if (f) v.frames.push({ ...f.header, bytes: f.image.byteLength, at: Date.now() });
    } else v.json.push(JSON.parse(String(data)));
    for (const w of waiters.splice(0)) w();
  });
  const taken = new Map<string, number>();
  v.next = (type, timeoutMs = 5000) =>
    new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no ${type}; got ${v.json.map((m) => m.type)}`)), timeoutMs);
      const check = () => {
        const skip = taken.get(type) ?? 0;
        const found = v.json.filter((m) => m.type === type)[skip];
        if (found) {
          taken.set(type, skip + 1);
          clearTimeout(deadline);
          resolve(found);
        } else waiters.push(check);
      };
      check();
    });
  return v.next('connection_status').then(() => v);
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function push(t: TestServer, token: string, camera: number, image: Buffer, type = 'image/jpeg') {
  const res = await fetch(`${t.url}/api/cameras/${camera}/frame`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    body: image,
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read the answer's JSON as it comes
  const body: any = await res.json().catch(() => null);
  return { status: res.status, body };
}

let t: TestServer;
let producer: string;
let viewerToken: string;
let cam: number;
let other: number;

beforeAll(async () => {
  t = await startTestServer({
    env: { OPENEYE_MAX_FRAME_BYTES: String(256 * 1024), OPENEYE_MEDIA_MAX_WATCHES: '3', OPENEYE_MEDIA_MAX_FPS: '15' },
  });
  producer = await t.tokenFor('media-producer', 'producer');
  viewerToken = await t.tokenFor('media-viewer', 'viewer');
  cam = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Lobby' })).body.id;
  other = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Dock' })).body.id;
});
afterAll(async () => {
  await t?.close();
});

describe('watching a camera', () => {
  it('is confirmed with the watched set; frames arrive as binary messages with the documented header', async () => {
    const v = await viewer(t, viewerToken);
    v.ws.send(JSON.stringify({ type: 'watch', camera_id: cam, max_fps: 10 }));
    expect(await v.next('watching')).toMatchObject({ cameras: [{ camera_id: cam, max_fps: 10 }] });
    const before = Date.now();
    const r = await push(t, producer, cam, jpeg(4000));
    expect(r).toMatchObject({
      status: 200,
      body: { camera_id: cam, content_type: 'image/jpeg', bytes: 4000, viewers: 1 },
    });
    await until(() => v.frames.length === 1, 2000, 'a frame');
    expect(v.frames[0]).toMatchObject({ cameraId: cam, seq: r.body.seq, contentType: 'image/jpeg', bytes: 4000 });
    expect(v.frames[0]!.timestamp).toBeGreaterThanOrEqual(before - 5);
    v.ws.send(JSON.stringify({ type: 'unwatch', camera_id: cam }));
    expect(await v.next('watching')).toMatchObject({ cameras: [] });
    await push(t, producer, cam, jpeg(4000));
    await new Promise((r) => setTimeout(r, 200));
    expect(v.frames).toHaveLength(1);
    v.ws.close();
  });

  it('a client that never watches never receives a binary message', async () => {
    const guideClient = connect(t.url, { token: viewerToken });
    let binary = 0;
    guideClient.ws.on('message', (_d, isBinary) => {
      if (isBinary) binary++;
    });
    await guideClient.next('connection_status');
    const watcher = await viewer(t, viewerToken);
    watcher.ws.send(JSON.stringify({ type: 'watch', camera_id: cam }));
    await watcher.next('watching');
    for (let i = 0; i < 5; i++) await push(t, producer, cam, jpeg(1000));
    await until(() => watcher.frames.length > 0, 2000, 'the watcher got frames');
    expect(binary).toBe(0);
    guideClient.close();
    watcher.ws.close();
  });

  it('a new watch gets the newest frame at once; GET snapshot answers it as an image', async () => {
    const pushed = await push(t, producer, other, jpeg(2000, 9));
    const v = await viewer(t, viewerToken);
    v.ws.send(JSON.stringify({ type: 'watch', camera_id: other }));
    await until(() => v.frames.length === 1, 2000, 'the newest frame');
    expect(v.frames[0]!.seq).toBe(pushed.body.seq);
    const snap = await fetch(`${t.url}/api/cameras/${other}/snapshot`, {
      headers: { authorization: `Bearer ${viewerToken}` },
    });
    expect(snap.status).toBe(200);
    expect(snap.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await snap.arrayBuffer()).equals(jpeg(2000, 9))).toBe(true);
    const none = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Never seen' })).body.id;
    expect((await api(t.url, 'GET', `/api/cameras/${none}/snapshot`, viewerToken)).status).toBe(404);
    v.ws.close();
  });

  it('honours the viewer fps cap and the server cap', async () => {
    const v = await viewer(t, viewerToken);
    v.ws.send(JSON.stringify({ type: 'watch', camera_id: cam, max_fps: 500 }));
    expect(await v.next('watching')).toMatchObject({ cameras: [{ camera_id: cam, max_fps: 15 }] });
    v.ws.send(JSON.stringify({ type: 'watch', camera_id: cam, max_fps: 4 }));
    await v.next('watching');
    const start = Date.now();
    let lastSeq = 0;
    while (Date.now() - start < 1500) {
      lastSeq = (await push(t, producer, cam, jpeg(500))).body.seq;
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => v.frames.at(-1)?.seq === lastSeq, 2000, 'the newest frame after the burst');
    // ~1.5 s at 4 fps (+ the first at once, + the last): never the whole burst.
    expect(v.frames.length).toBeLessThanOrEqual(9);
    for (let i = 1; i < v.frames.length; i++) expect(v.frames[i]!.at - v.frames[i - 1]!.at).toBeGreaterThanOrEqual(200);
    v.ws.close();
  });

  it('presence shows who watches which camera', async () => {
    const v = await viewer(t, viewerToken);
    v.ws.send(JSON.stringify({ type: 'watch', camera_id: other }));
    await v.next('watching');
    await until(() => true, 0, '');
    const presence = await api(t.url, 'GET', '/api/ws/presence', t.adminToken);
    expect(presence.body.cameras[String(other)]).toEqual(
      expect.arrayContaining([expect.objectContaining({ username: 'media-viewer' })]),
    );
    v.ws.close();
  });
});

describe('a slow viewer', () => {
  it('gets the newest frame instead of a backlog, is never closed 1013, and the server holds no backlog', async () => {
    const fast = await viewer(t, viewerToken);
    fast.ws.send(JSON.stringify({ type: 'watch', camera_id: cam, max_fps: 15 }));
    await fast.next('watching');
    const slow = await viewer(t, viewerToken);
    slow.ws.send(JSON.stringify({ type: 'watch', camera_id: cam, max_fps: 15 }));
    await slow.next('watching');
    // The slow viewer stops reading: its socket fills, then the server must stop queueing for it.
    (slow.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
    const delivered = async () =>
      Number(
        /openeye_media_frames_delivered_total (\d+)/.exec(await (await fetch(`${t.url}/metrics`)).text())?.[1] ?? 0,
      );
    const deliveredBefore = await delivered();
    const fastBefore = fast.frames.length;
    let lastSeq = 0;
    for (let i = 0; i < 150; i++) {
      lastSeq = (await push(t, producer, cam, jpeg(100 * 1024, i))).body.seq;
    }
    await until(() => fast.frames.at(-1)?.seq === lastSeq, 5000, 'the fast viewer is current');
    // 150 frames of 100 KB would be 15 MB queued for the slow viewer; the server wrote it only the
    // frames its unread socket took before the media ping went unanswered, and holds no backlog.
    const toSlow = (await delivered()) - deliveredBefore - (fast.frames.length - fastBefore);
    expect(toSlow).toBeLessThan(15);
    const seenWhilePaused = slow.frames.length;
    (slow.ws as unknown as { _socket: import('node:net').Socket })._socket.resume();
    await until(() => slow.frames.at(-1)?.seq === lastSeq, 5000, 'the slow viewer catches up to the newest');
    // It skipped most of the burst instead of replaying it.
    expect(slow.frames.length - seenWhilePaused).toBeLessThan(40);
    expect(slow.ws.readyState).toBe(WebSocket.OPEN);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(
      Number(/openeye_media_frames_dropped_total\{reason="superseded"\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThan(50);
    fast.ws.close();
    slow.ws.close();
  });
});

describe('bad input', () => {
  it('HTTP push: not an image 415, too large 413 (from Content-Length), unknown camera 404, a viewer 403', async () => {
    expect((await push(t, producer, cam, Buffer.from('this is not an image'))).status).toBe(415);
    expect((await push(t, producer, cam, Buffer.from('GIF89a....'), 'image/png')).status).toBe(415);
    expect((await push(t, producer, cam, jpeg(10), 'text/plain')).status).toBe(415);
    expect((await push(t, producer, cam, jpeg(300 * 1024))).status).toBe(413);
    expect((await push(t, producer, 999_999, jpeg(100))).status).toBe(404);
    expect((await push(t, viewerToken, cam, jpeg(100))).status).toBe(403);
    // A declared 50 MB body is refused from its header, before the body is sent.
    const raw = await rawRequest(t.port, [
      `PUT /api/cameras/${cam}/frame HTTP/1.1`,
      'Host: x',
      `Authorization: Bearer ${producer}`,
      'Content-Type: image/jpeg',
      `Content-Length: ${50 * 1024 * 1024}`,
    ]);
    expect(raw.response.status).toBe(413);
    raw.destroy();
  });

  it('watch: unknown camera, too many cameras, bad max_fps: errors, the socket stays open', async () => {
    const v = await viewer(t, viewerToken);
    v.ws.send(JSON.stringify({ type: 'watch', camera_id: 999_999 }));
    expect(await v.next('error')).toMatchObject({ code: 'unknown_camera', request_type: 'watch' });
    for (const fps of [0, -1, 1e9, 'fast']) {
      v.ws.send(JSON.stringify({ type: 'watch', camera_id: cam, max_fps: fps }));
      expect(await v.next('error')).toMatchObject({ code: 'invalid_message', request_type: 'watch' });
    }
    const extra: number[] = [];
    for (let i = 0; i < 3; i++)
      extra.push((await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: `W${i}` })).body.id);
    for (const id of extra) {
      v.ws.send(JSON.stringify({ type: 'watch', camera_id: id }));
      await v.next('watching');
    }
    v.ws.send(JSON.stringify({ type: 'watch', camera_id: cam }));
    expect(await v.next('error')).toMatchObject({ code: 'too_many_watches' });
    v.ws.send(JSON.stringify({ type: 'ping' }));
    await v.next('pong');
    expect(v.ws.readyState).toBe(WebSocket.OPEN);
    v.ws.close();
  });

  it('a viewer limited to other cameras cannot watch this one', async () => {
    const limited = await t.tokenFor('media-limited', 'viewer');
    await api(t.url, 'PATCH', `/api/users/${await t.userId('media-limited')}`, t.adminToken, { camera_ids: [other] });
    const v = await viewer(t, limited);
    v.ws.send(JSON.stringify({ type: 'watch', camera_id: cam }));
    expect(await v.next('error')).toMatchObject({ code: 'unknown_camera' });
    expect((await api(t.url, 'GET', `/api/cameras/${cam}/snapshot`, limited)).status).toBe(404);
    v.ws.close();
  });
});

describe('a producer socket', () => {
  it('publishes a camera, is told how many watch it, and its binary frames reach the viewers', async () => {
    const p = await viewer(t, producer);
    p.ws.send(JSON.stringify({ type: 'publish', camera_id: other }));
    expect(await p.next('viewers')).toMatchObject({ camera_id: other, viewers: 0 });
    const v = await viewer(t, viewerToken);
    v.ws.send(JSON.stringify({ type: 'watch', camera_id: other }));
    await v.next('watching');
    expect(await p.next('viewers')).toMatchObject({ camera_id: other, viewers: 1 });
    const { encodeFrame } = await import('@openeye/protocol');
    const image = jpeg(3000, 5);
    const ts = Date.now() - 40;
    const before = v.frames.length;
    p.ws.send(
      encodeFrame({ cameraId: other, seq: 1, timestamp: ts, contentType: 'image/jpeg', width: 0, height: 0 }, image),
    );
    await until(() => v.frames.length > before, 2000, 'the producer frame');
    expect(v.frames.at(-1)).toMatchObject({ cameraId: other, timestamp: ts, bytes: 3000 });
    v.ws.close();
    expect(await p.next('viewers')).toMatchObject({ camera_id: other, viewers: 0 });
    // A frame of a camera it did not publish, and garbage, are refused; the socket stays.
    p.ws.send(
      encodeFrame({ cameraId: cam, seq: 1, timestamp: ts, contentType: 'image/jpeg', width: 0, height: 0 }, image),
    );
    expect(await p.next('error')).toMatchObject({ code: 'forbidden' });
    p.ws.send(Buffer.from([1, 2, 3]));
    expect(await p.next('error')).toMatchObject({ code: 'invalid_message' });
    p.ws.close();
  });

  it('a viewer sending a binary message gets an error, as before', async () => {
    const v = await viewer(t, viewerToken);
    v.ws.send(Buffer.from([1, 2, 3]));
    expect(await v.next('error')).toMatchObject({ code: 'invalid_message' });
    v.ws.send(JSON.stringify({ type: 'publish', camera_id: cam }));
    expect(await v.next('error')).toMatchObject({ code: 'forbidden', request_type: 'publish' });
    v.ws.close();
  });
});

describe('snapshots with events', () => {
  const form = (event: object, image?: Buffer, type = 'image/jpeg') => {
    const f = new FormData();
    f.set('event', JSON.stringify(event));
    if (image) f.set('snapshot', new Blob([image], { type }), 'face.jpg');
    return f;
  };
  const post = (path: string, body: FormData, token = producer) =>
    fetch(`${t.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });

  it('a recognition with an image: its events carry one snapshot, live and in the history, served to who may see it', async () => {
    const c = connect(t.url, { token: viewerToken });
    await c.next('connection_status');
    const image = jpeg(5000, 3);
    const res = await post('/api/recognitions', form({ camera_id: cam, person_id: null, confidence: 0.4 }, image));
    expect(res.status).toBe(201);
    const created = (await res.json()) as { alert: { id: string; snapshot: { url: string; bytes: number } } };
    const snapshot = created.alert.snapshot;
    expect(snapshot).toMatchObject({
      url: expect.stringMatching(/^\/api\/media\/\d+$/),
      bytes: 5000,
      content_type: 'image/jpeg',
    });
    const live = await c.next('alert');
    expect(live.snapshot).toEqual(snapshot);
    const face = (await c.next('camera_event')) as { snapshot?: unknown };
    expect(face.snapshot).toEqual(snapshot);
    const history = await api(t.url, 'GET', '/api/events?limit=5', viewerToken);
    expect(history.body.events.find((e: { id: string }) => e.id === created.alert.id).snapshot).toEqual(snapshot);

    const withToken = await fetch(`${t.url}${snapshot.url}`, { headers: { authorization: `Bearer ${viewerToken}` } });
    expect(withToken.status).toBe(200);
    expect(withToken.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await withToken.arrayBuffer()).equals(image)).toBe(true);
    expect((await fetch(`${t.url}${snapshot.url}`)).status).toBe(401);
    // A browser: the login answer sets an HttpOnly cookie for /api/media only.
    const login = await fetch(`${t.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin-password-for-tests' }),
    });
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^openeye_media=[^;]+; Path=\/api\/media; HttpOnly; SameSite=Strict/);
    const withCookie = await fetch(`${t.url}${snapshot.url}`, { headers: { cookie: setCookie.split(';')[0]! } });
    expect(withCookie.status).toBe(200);
    // A viewer limited to another camera cannot fetch it.
    const limited = await t.tokenFor('snap-limited', 'viewer');
    await api(t.url, 'PATCH', `/api/users/${await t.userId('snap-limited')}`, t.adminToken, { camera_ids: [other] });
    expect((await fetch(`${t.url}${snapshot.url}`, { headers: { authorization: `Bearer ${limited}` } })).status).toBe(
      404,
    );
    c.close();
  });

  it('alerts and camera events take a snapshot too; JSON without one works as before', async () => {
    const alert = await post(
      '/api/alerts',
      form({ alert_type: 'critical', message: 'Door forced', camera_id: cam }, jpeg(800)),
    );
    expect(alert.status).toBe(201);
    expect(((await alert.json()) as { snapshot: unknown }).snapshot).toMatchObject({ bytes: 800 });
    const ev = await post(
      `/api/cameras/${cam}/events`,
      form({ event_type: 'person_detected', data: { zones: ['door'] } }, jpeg(900)),
    );
    expect(ev.status).toBe(201);
    expect(((await ev.json()) as { snapshot: unknown }).snapshot).toMatchObject({ bytes: 900 });
    const plain = await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'info', message: 'no image' });
    expect(plain.status).toBe(201);
    expect(plain.body.snapshot).toBeUndefined();
  });

  it('refuses a snapshot that is not an image (415), too large (413), or a bad form (400); nothing stored', async () => {
    const before = (await api(t.url, 'GET', '/api/events?limit=1', t.adminToken)).body.last_event_id;
    const event = { alert_type: 'info', message: 'x' };
    expect((await post('/api/alerts', form(event, Buffer.from('not an image at all')))).status).toBe(415);
    expect((await post('/api/alerts', form(event, jpeg(300 * 1024)))).status).toBe(413);
    const noEvent = new FormData();
    noEvent.set('snapshot', new Blob([jpeg(100)]), 'x.jpg');
    expect((await post('/api/alerts', noEvent)).status).toBe(400);
    const badJson = new FormData();
    badJson.set('event', '{not json');
    expect((await post('/api/alerts', badJson)).status).toBe(400);
    const wrongShape = await post('/api/alerts', form({ alert_type: 'nope', message: 'x' }, jpeg(100)));
    expect(wrongShape.status).toBe(400);
    expect((await api(t.url, 'GET', '/api/events?limit=1', t.adminToken)).body.last_event_id).toBe(before);
  });

  it('snapshots past the retention are gone (404)', async () => {
    const res = await post('/api/alerts', form({ alert_type: 'info', message: 'old' }, jpeg(700)));
    const { snapshot } = (await res.json()) as { snapshot: { url: string } };
    await t.server.store.media.prune(new Date(Date.now() + 1000).toISOString(), 1024 * 1024 * 1024);
    expect(
      (await fetch(`${t.url}${snapshot.url}`, { headers: { authorization: `Bearer ${viewerToken}` } })).status,
    ).toBe(404);
  });
});
