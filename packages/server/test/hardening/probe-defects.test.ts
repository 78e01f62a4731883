/**
 * The defects found when the server was probed from outside (issue 16), one test each, written
 * before the fix. Numbers are the issue's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  createTestDatabase,
  dropRedisPrefix,
  startTestServer,
  type TestServer,
  testRedisPrefix,
} from '../../src/testing.js';
import { api, connect, logsSettled } from '../helpers.js';
import { frame, logEvents, observe, rawConnect, rawRequest } from './raw.js';

let t: TestServer;
let producer: string;
let viewer: string;
let cameraId: number;

beforeAll(async () => {
  t = await startTestServer({ env: { LOG_LEVEL: 'trace', OPENEYE_BROADCAST_INTERVAL_MS: '500' } });
  producer = await t.tokenFor('probe-producer', 'producer');
  viewer = await t.tokenFor('probe-viewer', 'viewer');
  cameraId = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Probe door' })).body.id;
});
afterAll(async () => {
  await t?.close();
});

describe('1: a producer cannot break GET /api/events', () => {
  it.each([
    ['a string', 'abc', 400],
    ['an object', {}, 400],
    ['null', null, 400],
    ['a fraction', 1.5, 400],
    ['a camera that does not exist', 999_999, 404],
  ])(
    'POST /api/alerts with data.camera_id %s (%j) is refused with %i naming the field, nothing stored',
    async (_n, value, status) => {
      const before = (await api(t.url, 'GET', '/api/events', viewer)).body.last_event_id;
      const r = await api(t.url, 'POST', '/api/alerts', producer, {
        alert_type: 'info',
        message: 'probe',
        data: { camera_id: value },
      });
      expect(r.status).toBe(status);
      expect(r.body.field).toBe('data.camera_id');
      const after = await api(t.url, 'GET', '/api/events', viewer);
      expect(after.status).toBe(200);
      expect(after.body.last_event_id).toBe(before);
    },
  );

  it('top-level camera_id null is a 400, not 201 with camera_id 0', async () => {
    const r = await api(t.url, 'POST', '/api/alerts', producer, {
      alert_type: 'info',
      message: 'probe',
      camera_id: null,
    });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('camera_id');
  });

  it('data.camera_id that names the same camera as camera_id is accepted; a different one is refused', async () => {
    const ok = await api(t.url, 'POST', '/api/alerts', producer, {
      alert_type: 'info',
      message: 'probe',
      camera_id: cameraId,
      data: { camera_id: cameraId },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.data.camera_id).toBe(cameraId);
    const alone = await api(t.url, 'POST', '/api/alerts', producer, {
      alert_type: 'info',
      message: 'probe',
      data: { camera_id: cameraId },
    });
    expect(alone.status).toBe(201);
    expect(alone.body.data.camera_id).toBe(cameraId);
    const other = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Other door' })).body.id;
    const differ = await api(t.url, 'POST', '/api/alerts', producer, {
      alert_type: 'info',
      message: 'probe',
      camera_id: cameraId,
      data: { camera_id: other },
    });
    expect(differ.status).toBe(400);
    expect(differ.body.field).toBe('data.camera_id');
  });

  it('a stored row that does not fit the schema never takes a history page down', async () => {
    // Rows as an older version (or a hand edit) may have left them.
    const now = new Date().toISOString();
    for (const data of ['{"message":"x","camera_id":"abc"}', '{"message":{"nested":true}}', 'not json', '[]']) {
      await t.server.store.events.insert({
        kind: 'alert',
        camera_id: null,
        event_type: 'info',
        data: {},
        created_at: now,
      });
      await t.server.store.db
        .updateTable('events')
        .set({ data })
        .where('id', '=', Number((await t.server.store.events.newestId())!))
        .execute();
    }
    const page = await api(t.url, 'GET', '/api/events?limit=10', viewer);
    expect(page.status).toBe(200);
    expect(page.body.events.length).toBeGreaterThanOrEqual(4);
    for (const e of page.body.events) {
      if (e.type === 'alert') {
        expect(typeof e.data.message).toBe('string');
        expect(e.data.camera_id === undefined || Number.isInteger(e.data.camera_id)).toBe(true);
      }
    }
    const after = await api(t.url, 'GET', `/api/events?after=${Number(page.body.last_event_id) - 4}`, viewer);
    expect(after.status).toBe(200);
    expect(after.body.events).toHaveLength(4);
  });
});

describe('5: a producer cannot forge an admin broadcast', () => {
  it.each([
    [{ broadcast: true }, 'data.broadcast'],
    [{ from: 'admin' }, 'data.from'],
  ])('data %j is refused', async (data, field) => {
    const r = await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'critical', message: 'Forged', data });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe(field);
  });

  it('the admin broadcast still carries broadcast and from', async () => {
    const r = await api(t.url, 'POST', '/api/admin/broadcast', t.adminToken, { message: 'Real' });
    expect(r.status).toBe(201);
    expect(r.body.data).toMatchObject({ broadcast: true, from: 'admin' });
  });
});

describe('8: deep nesting is a 400, not a 500 or an event', () => {
  it.each([10_000, 4_000, 40])('data nested %i levels is refused with 400', async (depth) => {
    const body = `{"alert_type":"info","message":"deep","data":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    const res = await fetch(`${t.url}/api/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${producer}` },
      body,
    });
    expect(res.status).toBe(400);
  });

  it('data of more than 16 KiB is refused with 400; a modest object is accepted', async () => {
    const big = await api(t.url, 'POST', '/api/alerts', producer, {
      alert_type: 'info',
      message: 'big',
      data: { blob: 'x'.repeat(17 * 1024) },
    });
    expect(big.status).toBe(400);
    expect(big.body.field).toBe('data');
    const ok = await api(t.url, 'POST', '/api/alerts', producer, {
      alert_type: 'info',
      message: 'fine',
      data: { zones: ['porch'], box: { x: 1, y: 2, w: 3, h: 4 }, score: 0.9 },
    });
    expect(ok.status).toBe(201);
  });
});

describe('9: no type coercion of bodies; null is null; no public source map', () => {
  it('location null stays null', async () => {
    const r = await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Null place', location: null });
    expect(r.status).toBe(201);
    expect(r.body.location).toBeNull();
  });

  it('a number where a string belongs, and a one-element array, are 400s naming the field', async () => {
    const num = await api(t.url, 'POST', '/api/people', producer, { name: 12345 });
    expect(num.status).toBe(400);
    expect(num.body.field).toBe('name');
    const arr = await api(t.url, 'POST', '/api/auth/login', undefined, {
      username: ['admin'],
      password: ADMIN_PASSWORD,
    });
    expect(arr.status).toBe(400);
    expect(arr.body.field).toBe('username');
    const str = await api(t.url, 'POST', '/api/recognitions', producer, {
      camera_id: String(cameraId),
      person_id: null,
    });
    expect(str.status).toBe(400);
    expect(str.body.field).toBe('camera_id');
  });

  it('query strings and path ids are still read as numbers', async () => {
    expect((await api(t.url, 'GET', `/api/cameras/${cameraId}`, viewer)).status).toBe(200);
    expect((await api(t.url, 'GET', '/api/events?limit=2', viewer)).body.events.length).toBeLessThanOrEqual(2);
  });
});

describe('9: the dashboard ships no public source map', () => {
  it('the served bundle names no source map and none is served', async () => {
    const html = await (await fetch(`${t.url}/`)).text();
    const src = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1];
    expect(src, 'the dashboard is built').toBeDefined();
    const js = await (await fetch(new URL(src!, t.url))).text();
    expect(js.includes('sourceMappingURL'), 'sourceMappingURL in the bundle').toBe(false);
    expect((await fetch(new URL(`${src}.map`, t.url))).status).toBe(404);
  });
});
describe('4: unsolicited pong frames count toward the message rate', () => {
  it('a stream of masked pongs is closed 1008 and others keep their service', async () => {
    const obs = await observe(t, 'pong-observer');
    const raw = await rawConnect(t, viewer);
    raw.send(Buffer.concat(Array.from({ length: 300 }, () => frame(0xa, 'p'))));
    expect(await raw.closeCode()).toEqual({ code: 1008, reason: 'Message rate limit exceeded' });
    raw.destroy();
    await obs.assertServing();
    obs.close();
  });
});

describe('6: presence follows the same rule on both paths', () => {
  it('a viewer subscribing to presence_update is refused and never receives one', async () => {
    expect((await api(t.url, 'GET', '/api/ws/presence', viewer)).status).toBe(403);
    const v = connect(t.url, { token: viewer });
    await v.next('connection_status');
    v.send({ type: 'subscribe', event_types: ['presence_update'] });
    const err = await v.next('error');
    expect(err).toMatchObject({ code: 'forbidden', request_type: 'subscribe' });
    const watcher = connect(t.url, { token: await t.tokenFor('watcher', 'viewer') });
    await watcher.next('connection_status');
    watcher.send({ type: 'subscribe', event_types: ['camera_event'], camera_ids: [cameraId] });
    await watcher.next('subscription_confirmed');
    const admin = connect(t.url, { token: t.adminToken });
    await admin.next('connection_status');
    admin.send({ type: 'subscribe', event_types: ['presence_update'] });
    await admin.next('subscription_confirmed');
    watcher.send({ type: 'subscribe', event_types: ['camera_event'], camera_ids: [cameraId, cameraId + 1] });
    await admin.next('presence_update');
    expect(v.messages.filter((m) => m.type === 'presence_update')).toEqual([]);
    for (const c of [v, watcher, admin]) c.close();
  });
});
describe('2: a password change revokes every token issued before it', () => {
  it('the old token fails on REST, on the socket and on refresh; the socket is closed; a new login works', async () => {
    const old = await t.tokenFor('pat', 'viewer');
    const id = await t.userId('pat');
    const c = connect(t.url, { token: old });
    await c.next('connection_status');
    const changed = await api(t.url, 'PATCH', `/api/users/${id}`, t.adminToken, { password: 'a-brand-new-password' });
    expect(changed.status).toBe(200);
    expect(await c.closed).toEqual({ code: 1008, reason: 'Invalid token' });
    expect((await api(t.url, 'GET', '/api/users/me', old)).status).toBe(401);
    expect((await api(t.url, 'POST', '/api/auth/refresh', old)).status).toBe(401);
    const again = connect(t.url, { token: old });
    expect(await again.closed).toEqual({ code: 1008, reason: 'Invalid token' });
    const login = await api(t.url, 'POST', '/api/auth/login', undefined, {
      username: 'pat',
      password: 'a-brand-new-password',
    });
    expect(login.status).toBe(200);
    expect((await api(t.url, 'GET', '/api/users/me', login.body.access_token)).status).toBe(200);
  });

  it('a role change alone does not revoke the token (the role is read from the user)', async () => {
    const tok = await t.tokenFor('rolf', 'viewer');
    const id = await t.userId('rolf');
    expect((await api(t.url, 'PATCH', `/api/users/${id}`, t.adminToken, { role: 'producer' })).status).toBe(200);
    expect((await api(t.url, 'GET', '/api/users/me', tok)).body.role).toBe('producer');
  });
});
describe('3: login throttling', () => {
  it('wrong passwords for one username are answered 429 with Retry-After after a few, even the right one', async () => {
    await t.tokenFor('guessme', 'viewer');
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${t.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'guessme', password: `wrong-${i}` }),
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    // 10 failures per username, then refused before any password is checked.
    expect(statuses).toEqual([...Array(10).fill(401), ...Array(20).fill(429)]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const right = await api(t.url, 'POST', '/api/auth/login', undefined, {
      username: 'guessme',
      password: 'guessme-password',
    });
    expect(right.status).toBe(429);
    expect(logEvents(t, 'auth.throttled').length).toBeGreaterThan(0);
    // Another user is not affected by this one's lockout (the address is far from its own limit, 50).
    const admin = await api(t.url, 'POST', '/api/auth/login', undefined, {
      username: 'admin',
      password: ADMIN_PASSWORD,
    });
    expect(admin.status).toBe(200);
  });
});

describe('3: login throttling across a cluster', () => {
  it('failures counted on one node refuse the username on another (Redis)', async () => {
    const db = await createTestDatabase();
    const prefix = testRedisPrefix('probe');
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      OPENEYE_REDIS_PREFIX: prefix,
      OPENEYE_JWT_SECRET: 'a-shared-secret-for-the-two-test-nodes-0000',
    };
    const a = await startTestServer({ env });
    const b = await startTestServer({ env });
    try {
      await a.tokenFor('clustered', 'viewer');
      const login = (url: string, password: string) =>
        api(url, 'POST', '/api/auth/login', undefined, { username: 'clustered', password });
      for (let i = 0; i < 5; i++) expect((await login(a.url, `wrong-${i}`)).status).toBe(401);
      for (let i = 5; i < 10; i++) expect((await login(b.url, `wrong-${i}`)).status).toBe(401);
      expect((await login(a.url, 'clustered-password')).status).toBe(429);
      expect((await login(b.url, 'clustered-password')).status).toBe(429);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
      await dropRedisPrefix(prefix);
    }
  });
});
describe('7: no token in any log line or error body, at any level', () => {
  it('malformed requests at trace level, a tok%65n parameter and a bad URL leak nothing', async () => {
    const secret = await t.tokenFor('leaky', 'viewer');
    const sig = secret.split('.')[2]!;
    // A malformed header line, and a 20 KB header, both carrying the token.
    for (const [lines, status] of [
      [
        [`GET /api/events?token=${secret} HTTP/1.1`, 'Host: x', `Authorization: Bearer ${secret}`, 'Bad Header Line'],
        400,
      ],
      [
        [
          `GET /api/events?token=${secret} HTTP/1.1`,
          'Host: x',
          `Authorization: Bearer ${secret}`,
          `X-Big: ${'a'.repeat(20_000)}`,
        ],
        431,
      ],
    ] as const) {
      const raw = await rawRequest(t.port, [...lines]);
      expect(raw.response.status).toBe(status);
      raw.destroy();
    }
    const spelled = await fetch(`${t.url}/api/nothing-here?tok%65n=${secret}`);
    expect(await spelled.text()).not.toContain(sig);
    const badUrl = await fetch(`${t.url}/api/events?token=${secret}&x=%E0%A4%A`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(await badUrl.text()).not.toContain(sig);
    const badPath = await fetch(`${t.url}/api/%E0%A4%A?token=${secret}`);
    expect(await badPath.text()).not.toContain(sig);
    await logsSettled(t);
    // Raw request bytes would carry the token as a byte array: no line may hold the raw packet.
    const leaked = t.logs.filter((l) => l.includes(sig) || l.includes('rawPacket'));
    expect(leaked).toEqual([]);
  });
});

describe('3: the client address behind a proxy (OPENEYE_TRUST_PROXY)', () => {
  const failedFrom = async (s: TestServer) => {
    await fetch(`${s.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' },
      body: JSON.stringify({ username: 'nobody-here', password: 'wrong-password' }),
    });
    return logEvents(s, 'auth.login_failed').at(-1)?.remote;
  };

  it('is the peer when no proxy is trusted (X-Forwarded-For cannot be spoofed)', async () => {
    expect(await failedFrom(t)).toBe('127.0.0.1');
  });

  it('is the forwarded address when the proxy is trusted', async () => {
    const behind = await startTestServer({ env: { OPENEYE_TRUST_PROXY: '127.0.0.1' } });
    try {
      expect(await failedFrom(behind)).toBe('203.0.113.7');
    } finally {
      await behind.close();
    }
  });
});
