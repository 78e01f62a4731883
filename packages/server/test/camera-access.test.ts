/**
 * Cameras a user may see (issue 16): an admin limits a viewer to some cameras and every path
 * honours it; a change reaches open sockets within a second, on every node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dropRedisPrefix, startTestServer, type TestServer } from '../src/testing.js';
import { api, connect, type TestClient } from './helpers.js';

const FRONT = 'Front door camera';
const BACK = 'Back gate camera';

async function limit(t: TestServer, username: string, cameraIds: number[] | null): Promise<void> {
  const r = await api(t.url, 'PATCH', `/api/users/${await t.userId(username)}`, t.adminToken, {
    camera_ids: cameraIds,
  });
  expect(r.status).toBe(200);
  expect(r.body.camera_ids).toEqual(cameraIds);
}

/** Every text frame a client got, for "not a byte about the other camera". */
function rawText(c: TestClient): string {
  return c.messages.map((m) => JSON.stringify(m)).join('\n');
}

/** Posts one of each kind of event about `camera` (or no camera), returning their ids. */
async function postAbout(t: TestServer, producer: string, camera: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  ids.push(
    (
      await api(t.url, 'POST', `/api/cameras/${camera}/events`, producer, {
        event_type: 'motion_detected',
        data: { label },
      })
    ).body.id,
  );
  ids.push(
    (await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'critical', message: label, camera_id: camera }))
      .body.id,
  );
  const unknown = await api(t.url, 'POST', '/api/recognitions', producer, { camera_id: camera, person_id: null });
  ids.push(unknown.body.alert.id);
  return ids;
}

describe('a viewer limited to some cameras', () => {
  let t: TestServer;
  let producer: string;
  let viewer: string;
  let front: number;
  let back: number;

  beforeAll(async () => {
    t = await startTestServer({ env: { OPENEYE_BROADCAST_INTERVAL_MS: '300' } });
    producer = await t.tokenFor('access-producer', 'producer');
    viewer = await t.tokenFor('limited', 'viewer');
    front = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: FRONT })).body.id;
    back = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: BACK })).body.id;
    await limit(t, 'limited', [front]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sees only its cameras in lists and details; another camera is not found', async () => {
    const list = await api(t.url, 'GET', '/api/cameras', viewer);
    expect(list.body.map((c: { id: number }) => c.id)).toEqual([front]);
    expect((await api(t.url, 'GET', `/api/cameras/${front}`, viewer)).status).toBe(200);
    expect((await api(t.url, 'GET', `/api/cameras/${back}`, viewer)).status).toBe(404);
    expect((await api(t.url, 'GET', '/api/users/me', viewer)).body.camera_ids).toEqual([front]);
  });

  it('never receives a byte about another camera: live, in the replay, over REST; statistics stay global', async () => {
    const before = (await api(t.url, 'GET', '/api/events?limit=1', viewer)).body.last_event_id;
    const live = connect(t.url, { token: viewer });
    await live.next('connection_status');
    // Asking for every camera explicitly does not widen what it may see.
    const asking = connect(t.url, { token: viewer });
    await asking.next('connection_status');
    asking.send({ type: 'subscribe', event_types: ['camera_event', 'alert'], camera_ids: [front, back] });
    await asking.next('subscription_confirmed');

    const backIds = await postAbout(t, producer, back, BACK);
    const frontIds = await postAbout(t, producer, front, FRONT);
    const broadcast = (await api(t.url, 'POST', '/api/admin/broadcast', t.adminToken, { message: 'For everyone' })).body
      .id;
    const seen = [...frontIds.slice(0, 2), frontIds[2]!, broadcast];

    for (const c of [live, asking]) {
      await c.waitFor('alert', 3);
      const ids = c.messages.filter((m) => 'id' in m).map((m) => m.id);
      for (const id of backIds) expect(ids).not.toContain(id);
      for (const id of seen) expect(ids).toContain(id);
      expect(rawText(c)).not.toContain(BACK);
    }

    // The replay of everything since `before`.
    const replay = connect(t.url, { token: viewer, last_event_id: before ?? '0' });
    await replay.next('connection_status');
    await replay.waitFor('alert', 3);
    expect(replay.messages.filter((m) => 'id' in m).map((m) => m.id)).not.toEqual(expect.arrayContaining([backIds[0]]));
    expect(rawText(replay)).not.toContain(BACK);

    // GET /api/events (the polling path), newest and after a cursor.
    const newest = await api(t.url, 'GET', '/api/events?limit=100', viewer);
    const after = await api(t.url, 'GET', `/api/events?after=${before ?? 0}&limit=100`, viewer);
    for (const page of [newest, after]) {
      expect(page.status).toBe(200);
      expect(page.text).not.toContain(BACK);
      const ids = page.body.events.map((e: { id: string }) => e.id);
      for (const id of backIds) expect(ids).not.toContain(id);
    }
    expect(after.body.events.map((e: { id: string }) => e.id)).toEqual(expect.arrayContaining(seen));

    // Aggregate statistics are global: both cameras count.
    const stats = await api(t.url, 'GET', '/api/statistics', viewer);
    expect(stats.body.cameras.total_cameras).toBeGreaterThanOrEqual(2);
    expect((await api(t.url, 'GET', '/api/ws/presence', viewer)).status).toBe(403);
    for (const c of [live, asking, replay]) c.close();
  });

  it('a change of cameras reaches an open socket within a second', async () => {
    const c = connect(t.url, { token: viewer });
    await c.next('connection_status');
    await limit(t, 'limited', [back]);
    const changedAt = Date.now();
    let got: string | undefined;
    while (!got && Date.now() - changedAt < 1000) {
      const id = (await api(t.url, 'POST', `/api/cameras/${back}/events`, producer, { event_type: 'motion_detected' }))
        .body.id;
      await new Promise((r) => setTimeout(r, 50));
      got = c.messages.find((m) => m.id === id)?.id as string | undefined;
    }
    expect(got, 'an event about the newly given camera arrived within a second').toBeDefined();
    const frontEvent = (
      await api(t.url, 'POST', `/api/cameras/${front}/events`, producer, { event_type: 'motion_detected' })
    ).body.id;
    const marker = (await api(t.url, 'POST', `/api/cameras/${back}/events`, producer, { event_type: 'marker' })).body
      .id;
    await c.waitFor('camera_event', c.messages.filter((m) => m.type === 'camera_event').length + 1);
    await expect.poll(() => c.messages.some((m) => m.id === marker)).toBe(true);
    expect(c.messages.some((m) => m.id === frontEvent)).toBe(false);
    c.close();
    await limit(t, 'limited', [front]);
  });

  it('a producer limited to some cameras cannot post about another (404, nothing stored)', async () => {
    const limitedProducer = await t.tokenFor('front-only', 'producer');
    await limit(t, 'front-only', [front]);
    const before = (await api(t.url, 'GET', '/api/events?limit=1', t.adminToken)).body.last_event_id;
    expect((await api(t.url, 'POST', `/api/cameras/${back}/events`, limitedProducer, { event_type: 'x' })).status).toBe(
      404,
    );
    expect(
      (await api(t.url, 'POST', '/api/recognitions', limitedProducer, { camera_id: back, person_id: null })).status,
    ).toBe(404);
    expect(
      (await api(t.url, 'POST', '/api/alerts', limitedProducer, { alert_type: 'info', message: 'x', camera_id: back }))
        .status,
    ).toBe(404);
    expect((await api(t.url, 'PATCH', `/api/cameras/${back}`, limitedProducer, { active: false })).status).toBe(404);
    expect((await api(t.url, 'GET', '/api/events?limit=1', t.adminToken)).body.last_event_id).toBe(before);
    expect(
      (await api(t.url, 'POST', `/api/cameras/${front}/events`, limitedProducer, { event_type: 'x' })).status,
    ).toBe(201);
  });

  it('admins always see every camera, whatever their list says', async () => {
    const boss = await t.tokenFor('boss', 'admin');
    expect((await api(t.url, 'GET', '/api/cameras', boss)).body.length).toBeGreaterThanOrEqual(2);
  });
});

describe('a change of cameras in a cluster', () => {
  it('reaches a socket on another node within a second (Redis)', async () => {
    const db = await createTestDatabase();
    const prefix = `access-${process.pid}-${Date.now()}`;
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      OPENEYE_REDIS_PREFIX: prefix,
      OPENEYE_JWT_SECRET: 'a-shared-secret-for-the-two-access-nodes-00',
    };
    const a = await startTestServer({ env });
    const b = await startTestServer({ env });
    try {
      const producer = await a.tokenFor('p', 'producer');
      const viewer = await a.tokenFor('v', 'viewer');
      const cam = (await api(a.url, 'POST', '/api/cameras', a.adminToken, { name: 'C1' })).body.id;
      await limit(a, 'v', []);
      const c = connect(b.url, { token: viewer });
      await c.next('connection_status');
      const hidden = (await api(a.url, 'POST', `/api/cameras/${cam}/events`, producer, { event_type: 'hidden' })).body
        .id;
      await limit(a, 'v', [cam]);
      const changedAt = Date.now();
      let shown: string | undefined;
      while (!shown && Date.now() - changedAt < 1000) {
        const id = (await api(a.url, 'POST', `/api/cameras/${cam}/events`, producer, { event_type: 'shown' })).body.id;
        await new Promise((r) => setTimeout(r, 50));
        shown = c.messages.find((m) => m.id === id)?.id as string | undefined;
      }
      expect(shown).toBeDefined();
      expect(c.messages.some((m) => m.id === hidden)).toBe(false);
      c.close();
    } finally {
      await a.close();
      await b.close();
      await db.drop();
      await dropRedisPrefix(prefix);
    }
  });
});
