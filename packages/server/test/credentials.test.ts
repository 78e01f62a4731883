/**
 * Credentials (issue 16): API keys for machines, the WebSocket token in the first message instead
 * of the URL, and password hashes upgraded to the current scrypt parameters on login.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CURRENT_PARAMS, hashPassword } from '../src/auth/passwords.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { api, connect, wsUrl } from './helpers.js';

let t: TestServer;
let front: number;
let back: number;

beforeAll(async () => {
  t = await startTestServer({ env: { OPENEYE_HANDSHAKE_TIMEOUT_MS: '700' } });
  front = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Key front' })).body.id;
  back = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Key back' })).body.id;
});
afterAll(async () => {
  await t?.close();
});

describe('API keys', () => {
  it('are created once-shown for a producer, scoped to cameras, and work as Bearer on producer routes', async () => {
    await t.tokenFor('cam-pipeline', 'producer');
    const userId = await t.userId('cam-pipeline');
    const created = await api(t.url, 'POST', '/api/keys', t.adminToken, {
      name: 'Front door camera',
      user_id: userId,
      camera_ids: [front],
    });
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    expect(key).toMatch(/^oek_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({
      name: 'Front door camera',
      user_id: userId,
      camera_ids: [front],
      revoked_at: null,
    });
    const list = await api(t.url, 'GET', '/api/keys', t.adminToken);
    expect(list.text).not.toContain(key.split('_')[2]);
    expect(list.body.find((k: { id: number }) => k.id === created.body.id)).toMatchObject({
      prefix: key.split('_').slice(0, 2).join('_'),
      last_used_at: null,
    });

    expect(
      (await api(t.url, 'POST', `/api/cameras/${front}/events`, key, { event_type: 'motion_detected' })).status,
    ).toBe(201);
    expect(
      (await api(t.url, 'POST', `/api/cameras/${back}/events`, key, { event_type: 'motion_detected' })).status,
    ).toBe(404);
    expect(
      (await api(t.url, 'POST', '/api/users', key, { username: 'x', password: 'xxxxxxxx', role: 'admin' })).status,
    ).toBe(403);
    const cameras = await api(t.url, 'GET', '/api/cameras', key);
    expect(cameras.body.map((c: { id: number }) => c.id)).toEqual([front]);
    const used = (await api(t.url, 'GET', '/api/keys', t.adminToken)).body.find(
      (k: { id: number }) => k.id === created.body.id,
    );
    expect(used.last_used_at).not.toBeNull();
    expect(t.logs.some((l) => l.includes(key.split('_')[2]!))).toBe(false);

    const revoked = await api(t.url, 'DELETE', `/api/keys/${created.body.id}`, t.adminToken);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    expect((await api(t.url, 'POST', `/api/cameras/${front}/events`, key, { event_type: 'x' })).status).toBe(401);
  });

  it("an admin account's key is still only a producer", async () => {
    const created = await api(t.url, 'POST', '/api/keys', t.adminToken, {
      name: 'ops',
      user_id: await t.userId('admin'),
    });
    expect((await api(t.url, 'GET', '/api/users', created.body.key)).status).toBe(403);
    expect(
      (await api(t.url, 'POST', `/api/cameras/${back}/events`, created.body.key, { event_type: 'x' })).status,
    ).toBe(201);
  });

  // A viewer's key (a kiosk screen's, read-only) is in kiosk-keys.test.ts.
  it('are refused for unknown users, and when malformed, guessed, or their user is disabled', async () => {
    expect((await api(t.url, 'POST', '/api/keys', t.adminToken, { name: 'v', user_id: 999_999 })).status).toBe(404);
    await t.tokenFor('soon-disabled', 'producer');
    const id = await t.userId('soon-disabled');
    const { key } = (await api(t.url, 'POST', '/api/keys', t.adminToken, { name: 'd', user_id: id })).body;
    const guessed = `${key.slice(0, -4)}AAAA`;
    for (const bad of ['oek_', 'oek_nope', guessed]) {
      expect((await api(t.url, 'GET', '/api/cameras', bad)).status).toBe(401);
    }
    expect((await api(t.url, 'GET', '/api/cameras', key)).status).toBe(200);
    await api(t.url, 'PATCH', `/api/users/${id}`, t.adminToken, { disabled: true });
    expect((await api(t.url, 'GET', '/api/cameras', key)).status).toBe(401);
  });

  it('are managed by admins only', async () => {
    const viewer = await t.tokenFor('nosy', 'viewer');
    expect((await api(t.url, 'GET', '/api/keys', viewer)).status).toBe(403);
    expect((await api(t.url, 'POST', '/api/keys', viewer, { name: 'x', user_id: 1 })).status).toBe(403);
  });
});

describe('WebSocket token in the first message (auth=message)', () => {
  it('welcomes a client that sends its token first, with nothing secret in the URL', async () => {
    const token = await t.tokenFor('first-message', 'viewer');
    const c = connect(t.url, { auth: 'message' });
    c.ws.on('open', () => c.send({ type: 'auth', token }));
    const welcome = await c.next('connection_status');
    expect(welcome).toMatchObject({ user: { username: 'first-message' } });
    await c.next('statistics_update');
    c.close();
  });

  it('closes 1008 Authentication required when the first message is not auth, or none comes in time', async () => {
    const wrong = connect(t.url, { auth: 'message' });
    wrong.ws.on('open', () => wrong.send({ type: 'ping' }));
    expect(await wrong.closed).toEqual({ code: 1008, reason: 'Authentication required' });
    const silent = new WebSocket(wsUrl(t.url, { auth: 'message' }));
    const closed = await new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
    expect(closed).toBe(1008);
  });

  it('refuses a bad token in the first message like a bad token in the URL', async () => {
    const c = connect(t.url, { auth: 'message' });
    c.ws.on('open', () => c.send({ type: 'auth', token: 'not.a.token' }));
    expect(await c.closed).toEqual({ code: 1008, reason: 'Invalid token' });
  });
});

describe('password hashes', () => {
  it('made with older scrypt parameters are replaced on login, without revoking tokens', async () => {
    const old = await hashPassword('an-old-password', { N: 16384, r: 8, p: 1 });
    const user = await t.server.store.users.create(
      { username: 'legacy', role: 'viewer', password_hash: old },
      new Date().toISOString(),
    );
    const before = t.server.jwt.sign(user);
    const login = await api(t.url, 'POST', '/api/auth/login', undefined, {
      username: 'legacy',
      password: 'an-old-password',
    });
    expect(login.status).toBe(200);
    const stored = (await t.server.store.users.byId(user.id))!.password_hash;
    expect(stored).toMatch(new RegExp(`^scrypt\\$${CURRENT_PARAMS.N}\\$${CURRENT_PARAMS.r}\\$${CURRENT_PARAMS.p}\\$`));
    expect((await api(t.url, 'GET', '/api/users/me', before)).status).toBe(200);
    const again = await api(t.url, 'POST', '/api/auth/login', undefined, {
      username: 'legacy',
      password: 'an-old-password',
    });
    expect(again.status).toBe(200);
  });
});

describe('an API key on the WebSocket', () => {
  it('opens a producer connection (token in the first message) that may publish frames', async () => {
    await t.tokenFor('socket-cam', 'producer');
    const { key } = (
      await api(t.url, 'POST', '/api/keys', t.adminToken, {
        name: 'socket camera',
        user_id: await t.userId('socket-cam'),
      })
    ).body;
    const c = connect(t.url, { auth: 'message' });
    c.ws.on('open', () => c.send({ type: 'auth', token: key }));
    expect(await c.next('connection_status')).toMatchObject({ user: { username: 'socket-cam' } });
    c.send({ type: 'publish', camera_id: front });
    expect(await c.next('viewers')).toMatchObject({ camera_id: front, viewers: 0 });
    c.close();
    const revoked = await api(t.url, 'GET', '/api/keys', t.adminToken);
    const id = revoked.body.find((k: { name: string }) => k.name === 'socket camera').id;
    await api(t.url, 'DELETE', `/api/keys/${id}`, t.adminToken);
    const again = connect(t.url, { auth: 'message' });
    again.ws.on('open', () => again.send({ type: 'auth', token: key }));
    expect(await again.closed).toEqual({ code: 1008, reason: 'Invalid token' });
  });
});
