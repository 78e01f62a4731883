/**
 * Kiosk keys (issue 15): an API key of a viewer account, for a wall screen. It reads like its
 * viewer (within the key's cameras), acts on nothing, mints no token, and when it is revoked its
 * open sockets close at once, like a disabled user's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing.js';
import { api, connect, type TestClient } from './helpers.js';

let t: TestServer;
let lobby: number;
let back: number;

beforeAll(async () => {
  t = await startTestServer();
  lobby = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Kiosk lobby' })).body.id;
  back = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Kiosk back office' })).body.id;
});
afterAll(async () => {
  await t?.close();
});

async function keyFor(username: string, role: 'viewer' | 'producer', name: string, cameraIds?: number[]) {
  await t.tokenFor(username, role);
  const created = await api(t.url, 'POST', '/api/keys', t.adminToken, {
    name,
    user_id: await t.userId(username),
    ...(cameraIds ? { camera_ids: cameraIds } : {}),
  });
  expect(created.status).toBe(201);
  return created.body as { id: number; key: string };
}

/** How the socket closed, or a failure when it is still open after `ms`. */
function closedWithin(c: TestClient, ms = 3000): Promise<unknown> {
  return Promise.race([
    c.closed,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms)),
  ]);
}

function socketWith(key: string): TestClient {
  const c = connect(t.url, { auth: 'message' });
  c.ws.on('open', () => c.send({ type: 'auth', token: key }));
  return c;
}

describe('a key of a viewer account (a kiosk key)', () => {
  it('reads as its viewer, within its cameras, on REST and the socket', async () => {
    const { key } = await keyFor('lobby-wall', 'viewer', 'Lobby wall', [lobby]);
    const me = await api(t.url, 'GET', '/api/users/me', key);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'lobby-wall', role: 'viewer' });
    expect((await api(t.url, 'GET', '/api/statistics', key)).status).toBe(200);
    expect((await api(t.url, 'GET', '/api/events?limit=5', key)).status).toBe(200);
    const cameras = await api(t.url, 'GET', '/api/cameras', key);
    expect(cameras.body.map((c: { id: number }) => c.id)).toEqual([lobby]);

    const c = socketWith(key);
    expect(await c.next('connection_status')).toMatchObject({
      status: 'connected',
      user: { username: 'lobby-wall' },
    });
    await c.next('statistics_update');
    c.close();
  });

  it('acts on nothing: no writes, no alert actions, no admin routes, no token, no push', async () => {
    const { key } = await keyFor('hall-wall', 'viewer', 'Hall wall');
    const alert = await api(t.url, 'POST', '/api/alerts', t.adminToken, {
      alert_type: 'critical',
      message: 'Door forced',
      camera_id: lobby,
    });
    expect(alert.status).toBe(201);
    const listed = await api(t.url, 'GET', '/api/alerts', key);
    expect(listed.status).toBe(200);
    const id = listed.body.alerts[0].id;
    const ack = await api(t.url, 'POST', `/api/alerts/${id}/acknowledge`, key, { version: 1 });
    expect(ack.status).toBe(403);
    expect(ack.body.error).toBe('forbidden');
    expect((await api(t.url, 'POST', `/api/alerts/${id}/assign`, key, { version: 1, user_id: null })).status).toBe(403);
    expect(
      (await api(t.url, 'POST', `/api/cameras/${lobby}/events`, key, { event_type: 'motion_detected' })).status,
    ).toBe(403);
    expect((await api(t.url, 'GET', '/api/keys', key)).status).toBe(403);
    expect((await api(t.url, 'GET', '/api/users', key)).status).toBe(403);
    const refresh = await api(t.url, 'POST', '/api/auth/refresh', key);
    expect(refresh.status).toBe(403);
    expect(refresh.text).not.toContain('access_token');
    expect((await api(t.url, 'GET', '/api/push/subscriptions', key)).status).toBe(403);
    // The viewer's own session still acts on alerts.
    const viewer = await t.tokenFor('hall-wall', 'viewer');
    expect((await api(t.url, 'POST', `/api/alerts/${id}/acknowledge`, viewer, { version: 1 })).status).toBe(200);
  });

  it("keeps the key's cameras when the account's cameras change", async () => {
    const { key } = await keyFor('scoped-wall', 'viewer', 'Scoped wall', [lobby]);
    const c = socketWith(key);
    await c.next('connection_status');
    c.send({ type: 'watch', camera_id: back });
    expect(await c.next('error')).toMatchObject({ code: 'unknown_camera' });
    // Any change of the account's cameras re-filters its sockets: the key's own limit stays.
    await api(t.url, 'PATCH', `/api/users/${await t.userId('scoped-wall')}`, t.adminToken, {
      camera_ids: [lobby, back],
    });
    await new Promise((r) => setTimeout(r, 300));
    c.send({ type: 'watch', camera_id: back });
    expect(await c.next('error')).toMatchObject({ code: 'unknown_camera' });
    c.close();
  });
});

describe('revoking a key', () => {
  it('closes its open sockets 1008 Invalid token within a second, and only its own', async () => {
    const kept = await keyFor('two-walls', 'viewer', 'Kept wall');
    const revoked = await keyFor('two-walls', 'viewer', 'Revoked wall');
    const session = await t.tokenFor('two-walls', 'viewer');
    const gone = socketWith(revoked.key);
    const stays = socketWith(kept.key);
    const person = connect(t.url, { token: session });
    await Promise.all([
      gone.next('connection_status'),
      stays.next('connection_status'),
      person.next('connection_status'),
    ]);

    const started = Date.now();
    expect((await api(t.url, 'DELETE', `/api/keys/${revoked.id}`, t.adminToken)).status).toBe(200);
    expect(await closedWithin(gone)).toEqual({ code: 1008, reason: 'Invalid token' });
    expect(Date.now() - started).toBeLessThan(1000);
    await stays.barrier();
    await person.barrier();
    const refused = await api(t.url, 'GET', '/api/statistics', revoked.key);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('unauthorized');
    const again = socketWith(revoked.key);
    expect(await again.closed).toEqual({ code: 1008, reason: 'Invalid token' });
    stays.close();
    person.close();
  });

  it("closes a producer key's socket too", async () => {
    const { id, key } = await keyFor('revoked-cam', 'producer', 'Revoked camera');
    const c = socketWith(key);
    await c.next('connection_status');
    await api(t.url, 'DELETE', `/api/keys/${id}`, t.adminToken);
    expect(await closedWithin(c)).toEqual({ code: 1008, reason: 'Invalid token' });
  });
});

describe('a producer key', () => {
  it("of an admin account cannot be exchanged for the admin's token", async () => {
    const created = await api(t.url, 'POST', '/api/keys', t.adminToken, {
      name: 'ops',
      user_id: await t.userId('admin'),
    });
    const refresh = await api(t.url, 'POST', '/api/auth/refresh', created.body.key);
    expect(refresh.status).toBe(403);
    expect(refresh.text).not.toContain('access_token');
  });
});
