import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNothingFor, expectTrueFor, waitFor } from '../../../test/support/wait.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { api, connect } from './helpers.js';

let t: TestServer;
let viewer: string;
let producer: string;
let cameraA: number;
let cameraB: number;

beforeAll(async () => {
  t = await startTestServer({ env: { OPENEYE_BROADCAST_INTERVAL_MS: '60000' } });
  viewer = await t.tokenFor('wendy', 'viewer');
  producer = await t.tokenFor('pete', 'producer');
  cameraA = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'A' })).body.id;
  cameraB = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'B' })).body.id;
});
afterAll(() => t?.close());

const postAlert = (message: string, camera_id?: number) =>
  api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'info', message, ...(camera_id ? { camera_id } : {}) });

function forge(header: object, payload: object, secret = 'another-secret-another-secret-123'): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc(header)}.${enc(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

describe('handshake', () => {
  it('welcomes with the guide fields and the protocol additions, then a statistics snapshot', async () => {
    const c = connect(t.url, { token: viewer });
    const welcome = await c.next('connection_status');
    expect(welcome).toMatchObject({
      type: 'connection_status',
      status: 'connected',
      user: { id: await t.userId('wendy'), username: 'wendy' },
      message: 'WebSocket connection established successfully',
      protocol_version: 2,
      subscriptions: { event_types: ['statistics_update', 'camera_event', 'alert'], camera_ids: null },
      heartbeat_interval_ms: 30000,
      resumed: null,
    });
    expect(welcome.connection_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(String(welcome.token_expires_at))).toBeGreaterThan(Date.now());
    const stats = await c.next('statistics_update');
    expect(c.messages[0]?.type).toBe('connection_status');
    expect(c.messages[1]?.type).toBe('statistics_update');
    expect(stats.data).toMatchObject({
      face_recognition: { total_people: expect.any(Number) },
      cameras: { total_cameras: 2 },
    });
    c.close();
  });

  it.each([
    ['no token', undefined, 'Authentication required'],
    ['garbage', 'not-a-jwt', 'Invalid token'],
    ['another secret', 'forged', 'Invalid token'],
    ['alg none', 'none', 'Invalid token'],
    ['no exp', 'noexp', 'Invalid token'],
    ['expired', 'expired', 'Token expired'],
  ])('closes 1008 for %s', async (_name, kind, reason) => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: '1', username: 'admin', role: 'admin', iat: now, exp: now + 600 };
    const tokens: Record<string, string | undefined> = {
      'not-a-jwt': 'not-a-jwt',
      forged: forge({ alg: 'HS256', typ: 'JWT' }, claims),
      none: `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`,
      noexp: forge({ alg: 'HS256' }, { sub: '1', username: 'admin', role: 'admin', iat: now }),
      expired: t.server.jwt.sign({ id: 1, username: 'admin', role: 'admin' }, -5),
    };
    const c = connect(t.url, { token: kind === undefined ? undefined : tokens[kind] });
    expect(await c.closed).toEqual({ code: 1008, reason });
    expect(c.messages).toHaveLength(0);
  });

  it('closes 1008 Invalid token for a deleted user', async () => {
    const token = await t.tokenFor('gone', 'viewer');
    const id = await t.userId('gone');
    await api(t.url, 'DELETE', `/api/users/${id}`, t.adminToken);
    expect(await connect(t.url, { token }).closed).toEqual({ code: 1008, reason: 'Invalid token' });
  });

  it('refuses a foreign Origin with HTTP 403 and accepts the own origin and none', async () => {
    const evil = connect(t.url, { token: viewer }, { origin: 'https://evil.example' });
    const status = await new Promise<number>((resolve) =>
      evil.ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(403);
    const sneaky = connect(t.url, { token: viewer }, { origin: `${t.url}.evil.com` });
    const status2 = await new Promise<number>((resolve) =>
      sneaky.ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status2).toBe(403);
    const own = connect(t.url, { token: viewer }, { origin: t.url });
    await own.next('connection_status');
    own.close();
  });

  it('lets five connections of a user in and closes the sixth 1008 Rate limit exceeded', async () => {
    const token = await t.tokenFor('five', 'viewer');
    const first = Array.from({ length: 5 }, () => connect(t.url, { token }));
    await Promise.all(first.map((c) => c.next('connection_status')));
    const sixth = connect(t.url, { token });
    expect(await sixth.closed).toEqual({ code: 1008, reason: 'Rate limit exceeded' });
    await postAlert('still working');
    await Promise.all(first.map((c) => c.next('alert')));
    for (const c of first) c.close();
    await Promise.all(first.map((c) => c.closed));
    const again = connect(t.url, { token });
    await again.next('connection_status');
    again.close();
  });
});

describe('client messages', () => {
  it('answers ping with pong echoing ping_timestamp', async () => {
    const c = connect(t.url, { token: viewer });
    await c.next('connection_status');
    c.send({ type: 'ping', timestamp: '2025-10-10T12:00:00.000Z' });
    const pong = await c.next('pong');
    expect(pong.ping_timestamp).toBe('2025-10-10T12:00:00.000Z');
    expect(Date.parse(String(pong.timestamp))).toBeGreaterThan(0);
    c.close();
  });

  it('answers every bad message with an error and stays open', async () => {
    const c = connect(t.url, { token: viewer });
    await c.next('connection_status');
    const cases: Array<[string | Buffer, string, string | undefined]> = [
      ['{"type":', 'invalid_json', undefined],
      ["__import__('os').system('id')", 'invalid_json', undefined],
      ['[]', 'invalid_message', undefined],
      ['{"type":"dance"}', 'unknown_type', 'dance'],
      ['{"type":"subscribe","event_types":["nope"]}', 'unknown_event_type', 'subscribe'],
      ['{"type":"subscribe","event_types":"alert"}', 'invalid_message', 'subscribe'],
      ['{"type":"subscribe","event_types":["alert"],"camera_ids":["x"]}', 'invalid_message', 'subscribe'],
      [`${'['.repeat(20)}${']'.repeat(20)}`, 'invalid_message', undefined],
    ];
    for (const [frame, code, requestType] of cases) {
      c.send(frame);
      const err = await c.next('error');
      expect(err).toMatchObject({ code });
      expect(err.request_type).toBe(requestType);
    }
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await c.next('error')).code).toBe('invalid_message');
    c.send({ type: 'ping' });
    await c.next('pong');
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    c.close();
  });

  it('closes 1009 for a frame over the size limit', async () => {
    const c = connect(t.url, { token: viewer });
    await c.next('connection_status');
    c.send(JSON.stringify({ type: 'ping', timestamp: 'x'.repeat(70 * 1024) }));
    expect((await c.closed).code).toBe(1009);
  });

  it('sends rate_limited, then closes 1008 Message rate limit exceeded to a flooding client', async () => {
    const flooder = connect(t.url, { token: await t.tokenFor('flood', 'viewer') });
    const calm = connect(t.url, { token: viewer });
    await Promise.all([flooder.next('connection_status'), calm.next('connection_status')]);
    for (let i = 0; i < 200; i++) flooder.send({ type: 'ping' });
    expect((await flooder.next('error')).code).toBe('rate_limited');
    expect(await flooder.closed).toEqual({ code: 1008, reason: 'Message rate limit exceeded' });
    calm.send({ type: 'ping' });
    await calm.next('pong');
    calm.close();
  });

  it("replaces the credential with auth; refuses another user's token with forbidden", async () => {
    const token = await t.tokenFor('refresh', 'viewer', 3);
    const c = connect(t.url, { token });
    await c.next('connection_status');
    c.send({ type: 'auth', token: viewer });
    expect((await c.next('error')).code).toBe('forbidden');
    c.send({ type: 'auth', token: await t.tokenFor('refresh', 'viewer', 600) });
    const ok = await c.next('auth_ok');
    expect(Date.parse(String(ok.token_expires_at))).toBeGreaterThan(Date.now() + 500_000);
    // Past the first token's expiry (3 s): the replaced credential holds the socket open.
    await expectTrueFor(3500, 'the socket stays open', () => c.ws.readyState === c.ws.OPEN);
    c.close();
  });

  it('closes 1008 Token expired when the token runs out without refresh', async () => {
    const c = connect(t.url, { token: await t.tokenFor('expiring', 'viewer', 2) });
    await c.next('connection_status');
    const started = Date.now();
    expect(await c.closed).toEqual({ code: 1008, reason: 'Token expired' });
    expect(Date.now() - started).toBeLessThan(4000);
  });
});

describe('subscriptions and events', () => {
  it('filters camera events by camera_ids but lets camera-less alerts through', async () => {
    const c = connect(t.url, { token: viewer });
    await c.next('connection_status');
    c.send({ type: 'subscribe', event_types: ['camera_event', 'alert'], camera_ids: [cameraA] });
    const confirmed = await c.next('subscription_confirmed');
    expect(confirmed.subscriptions).toEqual({
      event_types: ['statistics_update', 'camera_event', 'alert'],
      camera_ids: [cameraA],
    });
    await api(t.url, 'POST', `/api/cameras/${cameraB}/events`, producer, { event_type: 'motion_detected' });
    await postAlert('on B', cameraB);
    await postAlert('no camera');
    const a = (await api(t.url, 'POST', `/api/cameras/${cameraA}/events`, producer, { event_type: 'motion_detected' }))
      .body;
    expect(await c.next('camera_event')).toEqual(a);
    expect((await c.next('alert')).data).toEqual({ message: 'no camera' });
    expect(c.messages.filter((m) => m.type === 'camera_event' || m.type === 'alert')).toHaveLength(2);
    c.send({ type: 'unsubscribe', event_types: ['alert'] });
    expect((await c.next('unsubscription_confirmed')).subscriptions).toMatchObject({
      event_types: ['statistics_update', 'camera_event'],
    });
    await postAlert('not for me');
    const b = (await api(t.url, 'POST', `/api/cameras/${cameraA}/events`, producer, { event_type: 'camera_offline' }))
      .body;
    expect(await c.next('camera_event')).toEqual(b);
    expect(c.messages.filter((m) => m.type === 'alert')).toHaveLength(1);
    c.close();
  });

  it('delivers the unknown-face alert and the admin broadcast to everyone', async () => {
    const c = connect(t.url, { token: viewer });
    await c.next('connection_status');
    await api(t.url, 'POST', '/api/recognitions', producer, { camera_id: cameraA, person_id: null });
    expect((await c.next('alert')).data).toMatchObject({ message: 'Unknown face detected', camera_id: cameraA });
    expect((await api(t.url, 'POST', '/api/admin/broadcast', viewer, { message: 'x' })).status).toBe(403);
    const sent = await api(t.url, 'POST', '/api/admin/broadcast', t.adminToken, {
      message: 'Fire drill at 3',
      alert_type: 'critical',
    });
    expect(sent.status).toBe(201);
    expect(await c.next('alert')).toEqual(sent.body);
    c.close();
  });

  it('sends a statistics update within 250 ms of a change, and a burst of 1,000 changes as a handful', async () => {
    const c = connect(t.url, { token: viewer });
    await c.next('statistics_update');
    const started = Date.now();
    await api(t.url, 'POST', '/api/people', producer, { name: 'Quick' });
    const update = await c.next('statistics_update');
    expect(Date.now() - started).toBeLessThan(250 + 100);
    expect(update.data).toMatchObject({ face_recognition: { total_people: expect.any(Number) } });
    const before = c.messages.filter((m) => m.type === 'statistics_update').length;
    const burstStarted = Date.now();
    await Promise.all(
      Array.from({ length: 1000 }, () =>
        api(t.url, 'POST', '/api/recognitions', producer, { camera_id: cameraA, person_id: null }),
      ),
    );
    // The burst is over once an update carries the final numbers (periodic updates are off here).
    const final = (await api(t.url, 'GET', '/api/statistics', viewer)).body.face_recognition.unknown_faces_today;
    await waitFor(
      () =>
        c.messages.some(
          (m) =>
            m.type === 'statistics_update' &&
            (m.data as { face_recognition: { unknown_faces_today: number } }).face_recognition.unknown_faces_today ===
              final,
        ),
      'a statistics update with the numbers after the burst',
    );
    const elapsed = Date.now() - burstStarted;
    const during = c.messages.filter((m) => m.type === 'statistics_update').length - before;
    expect(during).toBeGreaterThan(0);
    // Coalesced: at most one update per 150 ms debounce window (plus the one running when the
    // window closed and the last), however long the burst took on this machine; a handful (~20)
    // when it takes 3 s.
    expect(during, `${during} updates in ${elapsed} ms`).toBeLessThanOrEqual(Math.ceil(elapsed / 150) + 2);
    expect(during).toBeLessThan(1000 / 5);
    c.close();
  });

  it('tracks presence: who watches which camera', async () => {
    const watcher = connect(t.url, { token: viewer });
    const admin = connect(t.url, { token: t.adminToken });
    await Promise.all([watcher.next('connection_status'), admin.next('connection_status')]);
    admin.send({ type: 'subscribe', event_types: ['presence_update'] });
    await admin.next('subscription_confirmed');
    watcher.send({ type: 'subscribe', event_types: ['camera_event'], camera_ids: [cameraB] });
    const update = await admin.next('presence_update');
    expect(update.data).toEqual({
      cameras: { [cameraB]: [{ user_id: await t.userId('wendy'), username: 'wendy', connections: 1 }] },
    });
    const rest = await api(t.url, 'GET', '/api/ws/presence', t.adminToken);
    expect(rest.body.cameras[String(cameraB)]).toHaveLength(1);
    expect((await api(t.url, 'GET', '/api/ws/presence', viewer)).status).toBe(403);
    watcher.close();
    const gone = await admin.next('presence_update');
    expect(gone.data).toEqual({ cameras: {} });
    admin.close();
  });

  it('reports connections in /api/ws/status, all users only to admins', async () => {
    const token = await t.tokenFor('stan', 'viewer');
    const c = connect(t.url, { token });
    const other = connect(t.url, { token: t.adminToken });
    await Promise.all([c.next('connection_status'), other.next('connection_status')]);
    const mine = await api(t.url, 'GET', '/api/ws/status', token);
    expect(mine.body.status).toBe('operational');
    expect(mine.body.user_connections).toBe(1);
    expect(Object.keys(mine.body.statistics.connections_by_user)).toEqual([String(await t.userId('stan'))]);
    const all = await api(t.url, 'GET', '/api/ws/status', t.adminToken);
    // At least these two (sockets of earlier tests may still be closing).
    expect(all.body.statistics.total_connections).toBeGreaterThanOrEqual(2);
    expect(all.body.statistics.connections_by_user).toMatchObject({
      [String(await t.userId('stan'))]: 1,
      [String(await t.userId('admin'))]: expect.any(Number),
    });
    expect(t.server.manager.getUserConnectionCount(await t.userId('stan'))).toBe(1);
    c.close();
    other.close();
  });

  it("closes a disabled user's sockets 1008 Invalid token", async () => {
    const token = await t.tokenFor('tobedisabled', 'viewer');
    const c = connect(t.url, { token });
    await c.next('connection_status');
    await api(t.url, 'PATCH', `/api/users/${await t.userId('tobedisabled')}`, t.adminToken, { disabled: true });
    expect(await c.closed).toEqual({ code: 1008, reason: 'Invalid token' });
  });

  it('lets a re-enabled user connect again at once', async () => {
    const token = await t.tokenFor('reenabled', 'viewer');
    const id = await t.userId('reenabled');
    await api(t.url, 'PATCH', `/api/users/${id}`, t.adminToken, { disabled: true });
    // Refused while disabled (and the refusal is what the node has seen of the user last).
    expect(await connect(t.url, { token }).closed).toEqual({ code: 1008, reason: 'Invalid token' });
    await api(t.url, 'PATCH', `/api/users/${id}`, t.adminToken, { disabled: false });
    const c = connect(t.url, { token });
    await c.next('connection_status');
    c.close();
  });
});

describe('resume', () => {
  it('replays exactly the missed events that pass the subscriptions, then goes live', async () => {
    const first = connect(t.url, { token: viewer });
    const welcome = await first.next('connection_status');
    const start = String(welcome.last_event_id);
    first.close();
    const missed = [];
    for (let i = 0; i < 5; i++) missed.push((await postAlert(`missed ${i}`)).body);
    const c = connect(t.url, { token: viewer, last_event_id: start });
    const w = await c.next('connection_status');
    expect(w.resumed).toBe(true);
    expect(w.last_event_id).toBe(missed.at(-1).id);
    const replayed = await c.waitFor('alert', 5);
    expect(replayed).toEqual(missed);
    expect(c.messages.map((m) => m.type).slice(0, 2)).toEqual(['connection_status', 'statistics_update']);
    const live = (await postAlert('live')).body;
    expect((await c.waitFor('alert', 6))[5]).toEqual(live);
    c.close();
  });

  it('loses and duplicates nothing when events are published during the replay', async () => {
    const base = (await postAlert('base')).body.id;
    for (let i = 0; i < 300; i++) await postAlert(`backlog ${i}`);
    let publishing = true;
    const published: string[] = [];
    const producerLoop = (async () => {
      while (publishing) published.push((await postAlert('during')).body.id);
    })();
    const c = connect(t.url, { token: viewer, last_event_id: base });
    await c.next('connection_status');
    // Publishing goes on while the 300-event backlog is replayed, and a while after.
    const atWelcome = published.length;
    await waitFor(
      () => c.messages.some((m) => m.type === 'alert') && published.length >= atWelcome + 20,
      'replayed alerts and 20 more published meanwhile',
    );
    publishing = false;
    await producerLoop;
    const newest = published.at(-1)!;
    await waitFor(() => c.messages.some((m) => m.id === newest), 'the newest published alert');
    const ids = c.messages.filter((m) => m.type === 'alert').map((m) => Number(m.id));
    const expected = [];
    for (let id = Number(base) + 1; id <= Number(newest); id++) expected.push(id);
    expect(ids).toEqual(expected);
    expect(published.length).toBeGreaterThan(0);
    c.close();
  });

  it('says resumed false for an id older than the history, from the future, or malformed, and replays nothing', async () => {
    for (const id of ['99999999', 'abc', '-1', '1e5']) {
      const c = connect(t.url, { token: viewer, last_event_id: id });
      const w = await c.next('connection_status');
      expect(w.resumed).toBe(false);
      await c.next('statistics_update');
      // A replay would follow the statistics snapshot at once.
      await expectNothingFor(200, 'replayed alert', () => c.messages.filter((m) => m.type === 'alert'));
      c.close();
    }
  });
});

describe('capacity', () => {
  it('delivers one broadcast to 1,000 concurrent connections', async () => {
    const users = await Promise.all(Array.from({ length: 200 }, (_, i) => t.tokenFor(`bulk${i}`, 'viewer')));
    const clients = [];
    for (let i = 0; i < 1000; i += 100) {
      const batch = Array.from({ length: 100 }, (_, j) => connect(t.url, { token: users[(i + j) % 200] }));
      await Promise.all(batch.map((c) => c.next('connection_status', 15_000)));
      clients.push(...batch);
    }
    const sent = (await api(t.url, 'POST', '/api/admin/broadcast', t.adminToken, { message: 'to all' })).body;
    const got = await Promise.all(clients.map((c) => c.next('alert', 15_000)));
    expect(got.every((m) => m.id === sent.id)).toBe(true);
    for (const c of clients) c.close();
    await Promise.all(clients.map((c) => c.closed));
  }, 60_000);
});
