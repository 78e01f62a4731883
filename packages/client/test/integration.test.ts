/**
 * The client against the REAL server (packages/server/src/testing.ts): in-process servers on
 * loopback ports, and a separate server process that is killed and started again. Node 20 has
 * no global WebSocket, so every client gets `ws` as its WebSocket option.
 */
import type { AlertMessage } from '@openeye/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { expectNothingFor, sleep, waitFor } from '../../../test/support/wait.js';
import {
  ADMIN_PASSWORD,
  freePort,
  spawnServerProcess,
  startTestServer,
  type TestServer,
  tempDir,
} from '../../server/src/testing.js';
import { type ClientOptions, OpenEyeApi, OpenEyeClient } from '../src/index.js';

const FAST = { OPENEYE_BROADCAST_INTERVAL_MS: '200', OPENEYE_HEARTBEAT_INTERVAL_MS: '1000' };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer({ ...options, env: { ...FAST, ...options.env } });
  cleanups.push(() => s.close());
  return s;
}

/** A client with recorders for statuses, alerts and camera events (ids, in delivery order). */
function recordingClient(options: ClientOptions) {
  const client = new OpenEyeClient({ WebSocket, ...options });
  cleanups.push(() => client.disconnect());
  const statuses: string[] = [];
  const eventIds: string[] = [];
  const alerts: AlertMessage[] = [];
  client.on('status_change', (c) => statuses.push(c.status));
  client.on('alert', (a) => {
    alerts.push(a);
    eventIds.push(a.id);
  });
  client.on('camera_event', (e) => eventIds.push(e.id));
  return { client, statuses, eventIds, alerts };
}

function admin(url: string, token: string): OpenEyeApi {
  return new OpenEyeApi({ baseUrl: url, getToken: () => token });
}

function expectExactlyOnce(received: string[], posted: string[]): void {
  expect(new Set(received).size).toBe(received.length);
  expect([...received].sort()).toEqual([...posted].sort());
}

describe('integration: normal flow', () => {
  it('connects, receives statistics, alerts and camera events, subscribes, and disconnects', async () => {
    const s = await server();
    const api = admin(s.url, s.adminToken);
    const { client, statuses, eventIds, alerts } = recordingClient({
      baseUrl: s.url,
      // An admin: presence_update, subscribed to below, is for admins only.
      getToken: () => s.tokenFor('admin-normal', 'admin'),
    });
    const welcomes: unknown[] = [];
    client.on('connection_status', (m) => welcomes.push(m));
    client.connect();
    await waitFor(() => client.isConnected(), 'connected');
    expect(welcomes).toEqual([
      expect.objectContaining({ type: 'connection_status', status: 'connected', protocol_version: 2, resumed: null }),
    ]);
    await waitFor(() => client.getStatistics(), 'statistics');

    const camera = await api.createCamera({ name: 'Front door' });
    const posted = [
      (await api.createAlert({ alert_type: 'warning', message: 'Unknown face detected', camera_id: camera.id })).id,
      (await api.postCameraEvent(camera.id, { event_type: 'motion_detected', data: { zone: 1 } })).id,
      (await api.broadcast({ message: 'Maintenance at noon' })).id,
    ];
    await waitFor(() => eventIds.length === 3, 'three events');
    expect(eventIds).toEqual(posted);
    expect(alerts[0]?.data).toMatchObject({ message: 'Unknown face detected', camera_id: camera.id });
    expect(client.getLastEventId()).toBe(posted[2]);
    await waitFor(() => client.getStatistics()?.cameras.total_cameras === 1, 'statistics counting the camera');

    const confirmed: unknown[] = [];
    client.on('subscription_confirmed', (m) => confirmed.push(m));
    client.subscribe(['presence_update'], { cameraIds: [camera.id] });
    await waitFor(() => confirmed.length === 1, 'subscription_confirmed');
    expect(confirmed[0]).toMatchObject({
      subscriptions: { event_types: expect.arrayContaining(['presence_update', 'alert']), camera_ids: [camera.id] },
    });
    const presence: unknown[] = [];
    client.on('presence_update', (m) => presence.push(m));
    await waitFor(() => presence.length > 0, 'presence_update');

    const pongs: unknown[] = [];
    client.on('pong', (m) => pongs.push(m));
    expect(client.send({ type: 'ping', timestamp: 'x' })).toBe(true);
    await waitFor(() => pongs.length > 0, 'pong');

    client.disconnect();
    expect(client.getStatus()).toBe('disconnected');
    expect(statuses).toEqual(['connecting', 'connected', 'disconnected']);
  });
});

describe('integration: server process killed and started again', () => {
  it('reconnects by itself and delivers every alert posted while it was down, exactly once', async () => {
    const port = await freePort();
    const dataDir = tempDir();
    let proc = await spawnServerProcess({ port, dataDir, env: FAST });
    cleanups.push(() => proc.kill());
    const url = proc.url;
    const login = await new OpenEyeApi({ baseUrl: url }).login('admin', ADMIN_PASSWORD);
    const api = admin(url, login.access_token);

    // Long, predictable backoff: the client stays away while alerts are posted to the restarted server.
    vi.spyOn(Math, 'random').mockReturnValue(0.99);
    const { client, statuses, eventIds } = recordingClient({
      baseUrl: url,
      getToken: () => login.access_token,
      backoff: { baseMs: 8000, capMs: 8000 },
    });
    client.connect();
    await waitFor(() => client.isConnected(), 'connected');
    const posted = [(await api.createAlert({ alert_type: 'info', message: 'before' })).id];
    await waitFor(() => eventIds.length === 1, 'first alert');

    await proc.kill('SIGKILL');
    await waitFor(() => client.getStatus() === 'reconnecting', 'reconnecting');
    proc = await spawnServerProcess({ port, dataDir, env: FAST });
    const statusAtPost: string[] = [];
    for (let i = 0; i < 5; i++) {
      statusAtPost.push(client.getStatus());
      posted.push((await api.createAlert({ alert_type: 'warning', message: `while down ${i}` })).id);
    }
    // The next attempt comes ~8 s after the kill: the client was away when these were posted.
    expect(statusAtPost[0]).toBe('reconnecting');

    await waitFor(() => client.isConnected(), 'reconnected', 20_000);
    posted.push((await api.createAlert({ alert_type: 'critical', message: 'after' })).id);
    await waitFor(() => eventIds.length === posted.length, 'every alert');
    await expectNothingFor(300, 'alert delivered twice', () => eventIds.slice(posted.length));
    expect(eventIds).toEqual(posted);
    expectExactlyOnce(eventIds, posted);
    expect(statuses).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  }, 60_000);
});

describe('integration: WebSocket endpoint switched off', () => {
  it('polls meanwhile, still delivers statistics and events, and returns to connected with no duplicates', async () => {
    const s = await server({ websocket: false });
    const api = admin(s.url, s.adminToken);
    await api.createAlert({ alert_type: 'info', message: 'history before the client' });
    const { client, statuses, eventIds } = recordingClient({
      baseUrl: s.url,
      getToken: () => s.tokenFor('viewer-polling'),
      backoff: { baseMs: 100, capMs: 400 },
      pollingAfterFailures: 3,
      pollIntervalMs: 200,
    });
    const stats: unknown[] = [];
    client.on('statistics_update', (m) => stats.push(m));
    client.connect();
    await waitFor(() => client.getStatus() === 'polling', 'polling');
    await waitFor(() => stats.length >= 2, 'statistics over polling');
    expect(eventIds).toEqual([]);
    await waitFor(() => client.getLastEventId() !== null, 'cursor from the history');

    const posted: string[] = [];
    for (let i = 0; i < 3; i++)
      posted.push((await api.createAlert({ alert_type: 'warning', message: `polled ${i}` })).id);
    await waitFor(() => eventIds.length === 3, 'alerts over polling');
    expect(client.getStatus()).toBe('polling');

    s.setWebSocketEnabled(true);
    // Posted around the switch: whichever path carries them, each arrives once.
    for (let i = 0; i < 3; i++) {
      posted.push((await api.createAlert({ alert_type: 'info', message: `switch ${i}` })).id);
      await sleep(100);
    }
    await waitFor(() => client.isConnected(), 'connected again', 10_000);
    posted.push((await api.createAlert({ alert_type: 'critical', message: 'live' })).id);
    await waitFor(() => eventIds.length === posted.length, 'every alert');
    await expectNothingFor(500, 'alert delivered twice', () => eventIds.slice(posted.length));
    expect(eventIds).toEqual(posted);
    expectExactlyOnce(eventIds, posted);
    expect(statuses.slice(0, 3)).toEqual(['connecting', 'reconnecting', 'polling']);
    expect(statuses.at(-1)).toBe('connected');
  }, 30_000);

  it('a brand-new client delivers an alert posted between connect() and its first poll', async () => {
    const s = await server({ websocket: false });
    const api = admin(s.url, s.adminToken);
    await api.createAlert({ alert_type: 'info', message: 'history before the client' });
    const { client, eventIds } = recordingClient({
      baseUrl: s.url,
      getToken: () => s.tokenFor('viewer-first-poll'),
      backoff: { baseMs: 400, capMs: 800 },
      pollingAfterFailures: 3,
      pollIntervalMs: 200,
    });
    client.connect();
    // The starting point is asked at connect(), not at the first poll.
    await waitFor(() => client.getLastEventId() !== null, 'starting point');
    expect(client.getStatus()).not.toBe('polling');
    const posted = [(await api.createAlert({ alert_type: 'critical', message: 'right after connect' })).id];
    expect(client.getStatus()).not.toBe('polling');
    await waitFor(() => client.getStatus() === 'polling', 'polling', 10_000);
    await waitFor(() => eventIds.length === 1, 'the alert posted before the first poll');
    expect(eventIds).toEqual(posted);
  }, 30_000);

  it('goes polling when the endpoint is switched off under a connected client, and back', async () => {
    const s = await server();
    const api = admin(s.url, s.adminToken);
    const { client, eventIds } = recordingClient({
      baseUrl: s.url,
      getToken: () => s.tokenFor('viewer-toggle'),
      backoff: { baseMs: 100, capMs: 300 },
      pollingAfterFailures: 2,
      pollIntervalMs: 200,
    });
    client.connect();
    await waitFor(() => client.isConnected(), 'connected');
    s.setWebSocketEnabled(false);
    await waitFor(() => client.getStatus() === 'polling', 'polling');
    const posted = [(await api.createAlert({ alert_type: 'info', message: 'during polling' })).id];
    await waitFor(() => eventIds.length === 1, 'alert over polling');
    s.setWebSocketEnabled(true);
    await waitFor(() => client.isConnected(), 'connected again');
    posted.push((await api.createAlert({ alert_type: 'info', message: 'live again' })).id);
    await waitFor(() => eventIds.length === 2, 'live alert');
    expect(eventIds).toEqual(posted);
  }, 30_000);
});

describe('integration: resuming from an empty history', () => {
  it('delivers events that reached an empty history while the socket was away (no id to resume from)', async () => {
    const s = await server();
    const api = admin(s.url, s.adminToken);
    const { client, eventIds, statuses } = recordingClient({
      baseUrl: s.url,
      getToken: () => s.tokenFor('viewer-empty'),
      backoff: { baseMs: 100, capMs: 300 },
      pollingAfterFailures: 1000,
    });
    client.connect();
    await waitFor(() => client.isConnected(), 'connected');
    expect(client.getLastEventId()).toBeNull();
    s.setWebSocketEnabled(false);
    await waitFor(() => client.getStatus() === 'reconnecting', 'reconnecting');
    const posted: string[] = [];
    for (let i = 0; i < 3; i++) posted.push((await api.createAlert({ alert_type: 'info', message: `away ${i}` })).id);
    s.setWebSocketEnabled(true);
    await waitFor(() => eventIds.length === 3, 'the alerts posted while away');
    posted.push((await api.createAlert({ alert_type: 'info', message: 'live' })).id);
    await waitFor(() => eventIds.length === 4, 'live alert');
    expect(eventIds).toEqual(posted);
    expect(statuses).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });
});

describe('integration: dead connection', () => {
  it('drops a connection that goes silent for two heartbeat intervals (server process stopped) and comes back', async () => {
    const port = await freePort();
    const proc = await spawnServerProcess({ port, dataDir: tempDir(), env: FAST });
    cleanups.push(async () => {
      proc.child.kill('SIGCONT');
      await proc.kill();
    });
    const login = await new OpenEyeApi({ baseUrl: proc.url }).login('admin', ADMIN_PASSWORD);
    const { client, statuses } = recordingClient({
      baseUrl: proc.url,
      getToken: () => login.access_token,
      backoff: { baseMs: 100, capMs: 300 },
      connectTimeoutMs: 1000,
      pollingAfterFailures: 1000,
    });
    client.connect();
    await waitFor(() => client.isConnected(), 'connected');
    // From here on (a first connect of a freshly started server may itself need a retry on a
    // loaded machine: its connect timeout is 1 s).
    const seen = statuses.length - 1;
    const stoppedAt = Date.now();
    proc.child.kill('SIGSTOP');
    await waitFor(() => client.getStatus() === 'reconnecting', 'reconnecting', 5000);
    const detectedAfter = Date.now() - stoppedAt;
    expect(detectedAfter).toBeGreaterThanOrEqual(1500);
    expect(detectedAfter).toBeLessThan(3500);
    expect(client.getLastError()).toMatch(/two heartbeat intervals/);
    proc.child.kill('SIGCONT');
    await waitFor(() => client.isConnected(), 'connected again', 10_000);
    expect(statuses.slice(seen, seen + 3)).toEqual(['connected', 'reconnecting', 'connected']);
  }, 30_000);
});

describe('integration: tokens', () => {
  it('refreshes a short-lived token with `auth` before it expires, without a disconnect', async () => {
    const s = await server();
    const api = admin(s.url, s.adminToken);
    const getToken = vi.fn(() => s.tokenFor('viewer-refresh', 'viewer', 3));
    const { client, statuses, eventIds } = recordingClient({ baseUrl: s.url, getToken, refreshBeforeExpiryMs: 1500 });
    const authOks: string[] = [];
    client.on('auth_ok', (m) => authOks.push(m.token_expires_at));
    client.connect();
    await waitFor(() => client.isConnected(), 'connected');
    // Three refreshes of a 3 s token, 1.5 s before each expiry: each carries a later expiry.
    await waitFor(() => authOks.length >= 3, 'three auth_ok', 10_000);
    expect(new Set(authOks).size).toBe(authOks.length);
    expect([...authOks].sort()).toEqual(authOks);
    const id = (await api.createAlert({ alert_type: 'info', message: 'still here' })).id;
    await waitFor(() => eventIds.includes(id), 'alert after the refreshes');
    expect(statuses).toEqual(['connecting', 'connected']);
  }, 20_000);

  it('without a token provider, an expiring token ends in status error and auth_error', async () => {
    const s = await server();
    const { client, statuses } = recordingClient({ baseUrl: s.url });
    const authErrors: unknown[] = [];
    client.on('auth_error', (e) => authErrors.push(e));
    client.connect(await s.tokenFor('viewer-expiring', 'viewer', 2));
    await waitFor(() => client.isConnected(), 'connected');
    await waitFor(() => client.getStatus() === 'error', 'error', 6000);
    expect(authErrors).toEqual([expect.objectContaining({ reason: 'Token expired', code: 1008 })]);
    expect(statuses).toEqual(['connecting', 'connected', 'error']);
  }, 15_000);

  it('asks for a fresh token once after Invalid token, then stops with auth_error', async () => {
    const s = await server();
    const getToken = vi.fn(() => 'not-a-jwt');
    const { client, statuses } = recordingClient({ baseUrl: s.url, getToken });
    const authErrors: unknown[] = [];
    client.on('auth_error', (e) => authErrors.push(e));
    client.connect();
    await waitFor(() => client.getStatus() === 'error', 'error');
    await expectNothingFor(500, 'getToken call after the second one', () => getToken.mock.calls.slice(2));
    expect(getToken).toHaveBeenCalledTimes(2);
    expect(authErrors).toEqual([expect.objectContaining({ reason: 'Invalid token', code: 1008 })]);
    expect(statuses).toEqual(['connecting', 'reconnecting', 'error']);
  });

  it('recovers with a fresh token after the server refused the refresh and closed for Token expired', async () => {
    const s = await server();
    let calls = 0;
    // The first refresh hands out another user's token (the server answers `error forbidden`);
    // after the close `Token expired`, the fresh token is a good one.
    const getToken = () => (++calls === 1 ? s.tokenFor('someone-else') : s.tokenFor('viewer-recover', 'viewer', 3600));
    const { client, statuses } = recordingClient({ baseUrl: s.url, getToken, refreshBeforeExpiryMs: 1000 });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    client.connect(await s.tokenFor('viewer-recover', 'viewer', 2));
    await waitFor(() => client.isConnected(), 'connected');
    await waitFor(() => statuses.length >= 4, 'closed and reconnected', 8000);
    expect(errors).toEqual([expect.objectContaining({ code: 'forbidden', request_type: 'auth' })]);
    expect(statuses).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  }, 15_000);
});

describe('integration: connection limit', () => {
  it('polls after 1008 Rate limit exceeded and connects once a slot is free', async () => {
    const s = await server({ env: { OPENEYE_MAX_CONNECTIONS_PER_USER: '1' } });
    const token = await s.tokenFor('viewer-limited');
    const first = recordingClient({ baseUrl: s.url, getToken: () => token });
    first.client.connect();
    await waitFor(() => first.client.isConnected(), 'first connected');
    const second = recordingClient({
      baseUrl: s.url,
      getToken: () => token,
      pollIntervalMs: 200,
      rateLimitBackoffMs: 500,
    });
    const stats: unknown[] = [];
    second.client.on('statistics_update', (m) => stats.push(m));
    second.client.connect();
    await waitFor(() => second.client.getStatus() === 'polling', 'second polling');
    expect(second.client.getLastError()).toContain('Rate limit exceeded');
    await waitFor(() => stats.length > 0, 'statistics over polling');
    first.client.disconnect();
    await waitFor(() => second.client.isConnected(), 'second connected', 10_000);
  }, 20_000);
});

describe('integration: failover between two base URLs', () => {
  it('skips a dead first node, and moves to the other node when its node goes away, resuming by id', async () => {
    const dataDir = tempDir();
    const a = await startTestServer({ dataDir, env: FAST });
    let aClosed = false;
    cleanups.push(() => (aClosed ? undefined : a.close()));
    const portB = await freePort();
    const deadUrl = `http://127.0.0.1:${await freePort()}`;

    const token = await a.tokenFor('viewer-failover');
    const { client, eventIds } = recordingClient({
      baseUrl: [deadUrl, a.url, `http://127.0.0.1:${portB}`],
      getToken: () => token,
      backoff: { baseMs: 100, capMs: 500 },
      pollingAfterFailures: 100,
    });
    client.connect();
    await waitFor(() => client.isConnected(), 'connected to node A past the dead one');
    const posted = [(await admin(a.url, a.adminToken).createAlert({ alert_type: 'info', message: 'on A' })).id];
    await waitFor(() => eventIds.length === 1, 'alert from A');

    // Node A shuts down (1001); node B starts on the same storage and takes the events.
    await a.close();
    aClosed = true;
    await waitFor(() => client.getStatus() === 'reconnecting', 'reconnecting');
    const b = await startTestServer({ dataDir, port: portB, env: FAST });
    cleanups.push(() => b.close());
    const apiB = admin(b.url, b.adminToken);
    for (let i = 0; i < 3; i++)
      posted.push((await apiB.createAlert({ alert_type: 'warning', message: `on B ${i}` })).id);

    await waitFor(() => client.isConnected(), 'connected to node B', 10_000);
    await waitFor(() => eventIds.length === posted.length, 'every alert');
    expect(eventIds).toEqual(posted);
    const status = await apiB.wsStatus();
    expect(status.statistics.total_connections).toBe(1);
  }, 30_000);
});

describe('integration: live camera views', () => {
  it('watch() gets frames pushed to the server, again after the connection is lost, and stop() ends them', async () => {
    const s = await server();
    const api = admin(s.url, s.adminToken);
    const camera = await api.createCamera({ name: 'Gate' });
    const { client } = recordingClient({
      baseUrl: s.url,
      getToken: () => s.tokenFor('viewer-media'),
      backoff: { baseMs: 50, capMs: 200 },
    });
    client.connect();
    await waitFor(() => client.isConnected(), 'connected');
    const frames: Array<{ seq: number; bytes: number; contentType: string }> = [];
    const stop = client.watch(camera.id, { maxFps: 15 }, (f) =>
      frames.push({ seq: f.seq, bytes: f.bytes.byteLength, contentType: f.contentType }),
    );
    const image = Buffer.alloc(2048, 1);
    image.set([0xff, 0xd8, 0xff]);
    const push = async () => {
      const res = await fetch(`${s.url}/api/cameras/${camera.id}/frame`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'image/jpeg' },
        body: image,
      });
      return ((await res.json()) as { seq: number }).seq;
    };
    // The watch reaches the server shortly after connect; push until a frame arrives.
    await waitFor(async () => frames.length > 0 || ((await push()) && false), 'a first frame');
    expect(frames[0]).toMatchObject({ bytes: 2048, contentType: 'image/jpeg' });
    // The server drops every socket (a deploy); the client reconnects and watches again.
    s.setWebSocketEnabled(false);
    s.setWebSocketEnabled(true);
    await waitFor(() => client.isConnected(), 'reconnected');
    const before = frames.length;
    await waitFor(async () => frames.length > before || ((await push()) && false), 'frames after the reconnect');
    stop();
    await sleep(300);
    const stopped = frames.length;
    await push();
    await expectNothingFor(500, 'a frame after stop()', () => frames.slice(stopped));
  });
});
