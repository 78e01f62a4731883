/**
 * Alerts people act on (issue 13): the lifecycle over REST, `alert_update` events live, in the
 * history and on resume, optimistic concurrency, roles and bad input; on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestServer, type TestServer } from '../src/testing.js';
import { api, connect, type TestClient } from './helpers.js';

async function live(t: TestServer, token: string, params: Record<string, string> = {}): Promise<TestClient> {
  const c = connect(t.url, { token, ...params });
  await c.next('connection_status');
  c.send({ type: 'subscribe', event_types: ['alert_update'] });
  await c.next('subscription_confirmed');
  return c;
}

const engines = [
  ['SQLite', async () => ({ env: {}, drop: async () => {} })],
  [
    'PostgreSQL',
    async () => {
      const db = await createTestDatabase();
      return { env: { DATABASE_URL: db.url }, drop: db.drop };
    },
  ],
] as const;

describe.each(engines)('alert lifecycle on %s', (_name, database) => {
  let t: TestServer;
  let drop: () => Promise<void>;
  let producer: string;
  let ann: string;
  let bob: string;
  let camera: number;
  let other: number;

  beforeAll(async () => {
    const db = await database();
    drop = db.drop;
    t = await startTestServer({ env: { ...db.env, OPENEYE_BROADCAST_INTERVAL_MS: '60000' } });
    producer = await t.tokenFor('alert-producer', 'producer');
    ann = await t.tokenFor('ann', 'viewer');
    bob = await t.tokenFor('bob', 'viewer');
    camera = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Lobby' })).body.id;
    other = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Yard' })).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  const raise = async (message = 'Door forced', cameraId: number | undefined = camera) =>
    (await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'critical', message, camera_id: cameraId })).body;

  it('acknowledge, assign, resolve, reopen: each stored, sent live within 250 ms and in the history', async () => {
    const watcher = await live(t, bob);
    const alert = await raise();
    const fresh = await api(t.url, 'GET', `/api/alerts/${alert.id}`, ann);
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ id: alert.id, state: 'open', version: 1, camera_id: camera, history: [] });

    const acked = await api(t.url, 'POST', `/api/alerts/${alert.id}/acknowledge`, ann, { version: 1 });
    const answered = Date.now();
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ state: 'acknowledged', version: 2, acknowledged_by: { username: 'ann' } });
    const update = await watcher.next('alert_update', 1000);
    // Stored, then published before the answer: on every dashboard within 250 ms of the change.
    expect(Date.now() - answered).toBeLessThan(250);
    expect(update).toMatchObject({
      type: 'alert_update',
      alert_id: alert.id,
      action: 'acknowledge',
      state: 'acknowledged',
      assigned_to: null,
      by: { id: await t.userId('ann'), username: 'ann' },
      note: null,
      version: 2,
      camera_id: camera,
    });
    expect(BigInt(update.id as string)).toBeGreaterThan(BigInt(alert.id));

    const annId = await t.userId('ann');
    const assigned = await api(t.url, 'POST', `/api/alerts/${alert.id}/assign`, ann, { version: 2, user_id: annId });
    expect(assigned.body).toMatchObject({ assigned_to: annId, state: 'acknowledged', version: 3 });
    const resolved = await api(t.url, 'POST', `/api/alerts/${alert.id}/resolve`, ann, {
      version: 3,
      note: 'False alarm: wind',
    });
    expect(resolved.body).toMatchObject({
      state: 'resolved',
      resolved_by: { username: 'ann' },
      note: 'False alarm: wind',
    });
    const reopened = await api(t.url, 'POST', `/api/alerts/${alert.id}/reopen`, bob, { version: 4 });
    expect(reopened.body).toMatchObject({ state: 'open', acknowledged_by: null, resolved_by: null, version: 5 });

    const updates = await watcher.waitFor('alert_update', 4);
    expect(updates.map((u) => [u.action, u.state, u.version])).toEqual([
      ['acknowledge', 'acknowledged', 2],
      ['assign', 'acknowledged', 3],
      ['resolve', 'resolved', 4],
      ['reopen', 'open', 5],
    ]);
    const full = await api(t.url, 'GET', `/api/alerts/${alert.id}`, ann);
    expect(
      full.body.history.map((h: { action: string; by: { username: string } }) => [h.action, h.by.username]),
    ).toEqual([
      ['acknowledge', 'ann'],
      ['assign', 'ann'],
      ['resolve', 'ann'],
      ['reopen', 'bob'],
    ]);
    expect(full.body.history.map((h: { event_id: string }) => h.event_id)).toEqual(updates.map((u) => u.id));

    // In the history of events, oldest first, exactly as sent; by type too.
    const events = await api(t.url, 'GET', `/api/events?after=${alert.id}&types=alert_update`, ann);
    expect(events.body.events).toEqual(updates);
    watcher.close();
  });

  it('statistics carry alert counts beside the guide fields and update within 250 ms of a change', async () => {
    const before = (await api(t.url, 'GET', '/api/statistics', ann)).body;
    expect(before.alerts).toEqual({
      open: expect.any(Number),
      acknowledged: expect.any(Number),
      resolved_today: expect.any(Number),
    });
    expect(Object.keys(before)).toEqual(['face_recognition', 'cameras', 'timestamp', 'alerts']);
    const c = connect(t.url, { token: bob });
    await c.next('statistics_update');
    const alert = await raise('Counting');
    const raised = await c.next('statistics_update', 1000);
    expect(raised.data).toMatchObject({ alerts: { open: before.alerts.open + 1 } });
    await api(t.url, 'POST', `/api/alerts/${alert.id}/resolve`, bob, { version: 1 });
    const answered = Date.now();
    const after = await c.next('statistics_update', 1000);
    expect(Date.now() - answered).toBeLessThan(250);
    expect(after.data).toMatchObject({
      alerts: { open: before.alerts.open, resolved_today: before.alerts.resolved_today + 1 },
    });
    c.close();
  });

  it('two operators acknowledging at once: exactly one wins, the other gets 409 with who was first, one event', async () => {
    const annSocket = await live(t, ann);
    const bobSocket = await live(t, bob);
    const alert = await raise('Both at once');
    const [a, b] = await Promise.all([
      api(t.url, 'POST', `/api/alerts/${alert.id}/acknowledge`, ann, { version: 1 }),
      api(t.url, 'POST', `/api/alerts/${alert.id}/acknowledge`, bob, { version: 1 }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const [winner, loser] = a.status === 200 ? [a, b] : [b, a];
    expect(loser.body).toMatchObject({ error: 'conflict', alert: { state: 'acknowledged', version: 2 } });
    expect(loser.body.alert.acknowledged_by).toEqual(winner.body.acknowledged_by);
    expect(loser.body.message).toContain(`acknowledged by ${winner.body.acknowledged_by.username}`);
    // Both dashboards see the one change within a second; no second event exists.
    for (const s of [annSocket, bobSocket]) {
      expect(await s.next('alert_update', 1000)).toMatchObject({ alert_id: alert.id, version: 2 });
    }
    const events = await api(t.url, 'GET', `/api/events?after=${alert.id}&types=alert_update`, ann);
    expect(events.body.events.filter((e: { alert_id: string }) => e.alert_id === alert.id)).toHaveLength(1);
    annSocket.close();
    bobSocket.close();
  });

  it('repeating a transition that already happened is a no-op: 200, no event', async () => {
    const alert = await raise('Retry');
    const first = await api(t.url, 'POST', `/api/alerts/${alert.id}/acknowledge`, ann, { version: 1 });
    // The same request again (a retry after a lost answer), and again with the current version.
    const again = await api(t.url, 'POST', `/api/alerts/${alert.id}/acknowledge`, ann, { version: 1 });
    const current = await api(t.url, 'POST', `/api/alerts/${alert.id}/acknowledge`, ann, { version: 2 });
    expect([first.status, again.status, current.status]).toEqual([200, 200, 200]);
    expect(again.body).toEqual(first.body);
    expect(current.body.version).toBe(2);
    const events = await api(t.url, 'GET', `/api/events?after=${alert.id}&types=alert_update`, ann);
    expect(events.body.events.filter((e: { alert_id: string }) => e.alert_id === alert.id)).toHaveLength(1);
  });

  it('bad input: an unknown alert id is 404', async () => {
    expect((await api(t.url, 'POST', '/api/alerts/999999999/acknowledge', ann, { version: 1 })).status).toBe(404);
    expect((await api(t.url, 'POST', '/api/alerts/nope/acknowledge', ann, { version: 1 })).status).toBe(404);
    expect((await api(t.url, 'GET', '/api/alerts/999999999', ann)).status).toBe(404);
  });

  it('bad input: acknowledging as a producer is 403', async () => {
    const alert = await raise('Producer');
    const asProducer = await api(t.url, 'POST', `/api/alerts/${alert.id}/acknowledge`, producer, { version: 1 });
    expect(asProducer.status).toBe(403);
  });

  it('bad input: a wrong version is 409 with the current alert', async () => {
    const alert = await raise('Wrong version');
    const wrong = await api(t.url, 'POST', `/api/alerts/${alert.id}/acknowledge`, ann, { version: 7 });
    expect(wrong.status).toBe(409);
    expect(wrong.body).toMatchObject({ error: 'conflict', alert: { id: alert.id, state: 'open', version: 1 } });
  });

  it('bad input: a note over 2 KB, a missing or mistyped version, bad assignments', async () => {
    const alert = await raise('Bad input');
    const long = await api(t.url, 'POST', `/api/alerts/${alert.id}/resolve`, ann, {
      version: 1,
      note: 'é'.repeat(1025),
    });
    expect(long.status).toBe(400);
    expect(long.body.field).toBe('note');
    expect((await api(t.url, 'POST', `/api/alerts/${alert.id}/resolve`, ann, {})).status).toBe(400);
    expect((await api(t.url, 'POST', `/api/alerts/${alert.id}/resolve`, ann, { version: '1' })).status).toBe(400);
    // Assigning someone else needs admin; assigning to oneself does not.
    const bobId = await t.userId('bob');
    const viewerAssigns = await api(t.url, 'POST', `/api/alerts/${alert.id}/assign`, ann, {
      version: 1,
      user_id: bobId,
    });
    expect(viewerAssigns.status).toBe(403);
    const adminAssigns = await api(t.url, 'POST', `/api/alerts/${alert.id}/assign`, t.adminToken, {
      version: 1,
      user_id: bobId,
    });
    expect(adminAssigns.body).toMatchObject({ assigned_to: bobId, version: 2 });
    const toProducer = await api(t.url, 'POST', `/api/alerts/${alert.id}/assign`, t.adminToken, {
      version: 2,
      user_id: await t.userId('alert-producer'),
    });
    expect(toProducer.status).toBe(400);
    const nobody = await api(t.url, 'POST', `/api/alerts/${alert.id}/assign`, t.adminToken, {
      version: 2,
      user_id: 987654,
    });
    expect(nobody.status).toBe(404);
    // Acknowledging a resolved alert is a conflict (reopen first).
    await api(t.url, 'POST', `/api/alerts/${alert.id}/resolve`, ann, { version: 2 });
    const late = await api(t.url, 'POST', `/api/alerts/${alert.id}/acknowledge`, ann, { version: 3 });
    expect(late.status).toBe(409);
    expect(late.body.alert.state).toBe('resolved');
  });

  it('lists alerts newest first, by state and camera, in pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await raise(`page ${i}`, other)).id);
    const page1 = await api(t.url, 'GET', `/api/alerts?state=open&camera_id=${other}&limit=3`, ann);
    expect(page1.body.alerts.map((a: { id: string }) => a.id)).toEqual(ids.slice(2).reverse());
    expect(page1.body.next_before).toBe(ids[2]);
    const page2 = await api(t.url, 'GET', `/api/alerts?state=open&camera_id=${other}&limit=3&before=${ids[2]}`, ann);
    expect(page2.body.alerts.map((a: { id: string }) => a.id)).toEqual(ids.slice(0, 2).reverse());
    expect(page2.body.next_before).toBeNull();
    await api(t.url, 'POST', `/api/alerts/${ids[4]}/acknowledge`, ann, { version: 1 });
    const acked = await api(t.url, 'GET', `/api/alerts?state=acknowledged&camera_id=${other}`, ann);
    expect(acked.body.alerts.map((a: { id: string }) => a.id)).toEqual([ids[4]]);
    expect((await api(t.url, 'GET', '/api/alerts?state=closed', ann)).status).toBe(400);
  });

  it('alert updates follow the alert: camera filters and the cameras a user may see', async () => {
    const limited = await t.tokenFor('limited-alerts', 'viewer');
    await api(t.url, 'PATCH', `/api/users/${await t.userId('limited-alerts')}`, t.adminToken, { camera_ids: [camera] });
    const limitedSocket = await live(t, limited);
    const filtered = await live(t, ann);
    filtered.send({ type: 'subscribe', event_types: ['alert_update'], camera_ids: [other] });
    await filtered.next('subscription_confirmed');
    const mine = await raise('Mine', camera);
    const theirs = await raise('Theirs', other);
    expect((await api(t.url, 'GET', `/api/alerts/${theirs.id}`, limited)).status).toBe(404);
    expect((await api(t.url, 'POST', `/api/alerts/${theirs.id}/acknowledge`, limited, { version: 1 })).status).toBe(
      404,
    );
    await api(t.url, 'POST', `/api/alerts/${theirs.id}/acknowledge`, ann, { version: 1 });
    await api(t.url, 'POST', `/api/alerts/${mine.id}/acknowledge`, ann, { version: 1 });
    expect((await limitedSocket.next('alert_update', 1000)).alert_id).toBe(mine.id);
    expect((await filtered.next('alert_update', 1000)).alert_id).toBe(theirs.id);
    const polled = await api(t.url, 'GET', `/api/events?after=${mine.id}&types=alert_update`, limited);
    expect(polled.body.events.map((e: { alert_id: string }) => e.alert_id)).toEqual([mine.id]);
    const listed = await api(t.url, 'GET', '/api/alerts?limit=500', limited);
    expect(listed.body.alerts.every((a: { camera_id: number | null }) => a.camera_id !== other)).toBe(true);
    limitedSocket.close();
    filtered.close();
  });

  it('replays alert updates on resume to a client that asks for them in the URL', async () => {
    const alert = await raise('While away');
    expect((await api(t.url, 'POST', `/api/alerts/${alert.id}/acknowledge`, ann, { version: 1 })).status).toBe(200);
    const c = connect(t.url, { token: bob, last_event_id: alert.id, subscribe: 'alert_update' });
    const welcome = await c.next('connection_status');
    expect(welcome.resumed).toBe(true);
    expect(await c.next('alert_update', 2000), JSON.stringify(c.messages)).toMatchObject({
      alert_id: alert.id,
      state: 'acknowledged',
    });
    c.close();
  });
});
