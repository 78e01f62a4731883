/**
 * The event history as the dashboard's History page reads it: `GET /api/events` with a `before`
 * cursor and filters (time range, camera, camera event type, alert severity, person), and one event
 * by id (`GET /api/events/:id`), on SQLite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../test/support/wait.js';
import { createTestDatabase, startTestServer, type TestServer } from '../src/testing.js';
import { api } from './helpers.js';

const engines = [
  { name: 'SQLite', setup: async () => ({ env: {}, drop: async () => {} }) },
  {
    name: 'PostgreSQL',
    setup: async () => {
      const db = await createTestDatabase();
      return { env: { DATABASE_URL: db.url }, drop: db.drop };
    },
  },
];

interface Ev {
  id: string;
  type: string;
  timestamp: string;
  camera_id?: number;
  event_type?: string;
  alert_type?: string;
  data: Record<string, unknown>;
}

describe.each(engines)('event history on $name', ({ setup }) => {
  let t: TestServer;
  let drop: () => Promise<void>;
  let viewer: string;
  let limited: string;
  const cam: number[] = [];
  let person: number;
  const made: Ev[] = [];

  const list = async (query: string, token = viewer) => {
    const r = await api(t.url, 'GET', `/api/events?${query}`, token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { events: Ev[]; has_more: boolean; last_event_id: string | null };
  };
  const ids = (events: Ev[]) => events.map((e) => e.id);

  beforeAll(async () => {
    const s = await setup();
    drop = s.drop;
    t = await startTestServer({ env: s.env });
    viewer = await t.tokenFor('hilda', 'viewer');
    for (const name of ['North gate', 'Loading bay']) {
      cam.push((await api(t.url, 'POST', '/api/cameras', t.adminToken, { name })).body.id);
    }
    person = (await api(t.url, 'POST', '/api/people', t.adminToken, { name: 'Rosa Parks' })).body.id;
    limited = await t.tokenFor('lim', 'viewer');
    await api(t.url, 'PATCH', `/api/users/${await t.userId('lim')}`, t.adminToken, { camera_ids: [cam[0]] });
    // 0: motion on cam 0, 1: critical alert on cam 1, 2: person seen on cam 0, 3: info alert (no camera),
    // 4: door_open on cam 1, 5: warning alert on cam 0. A few ms apart, so their times differ.
    const post = async (route: string, body: unknown) => {
      const r = await api(t.url, 'POST', route, t.adminToken, body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      await sleep(5);
      return r.body;
    };
    made.push(await post(`/api/cameras/${cam[0]}/events`, { event_type: 'motion', data: { zone: 'a' } }));
    made.push(await post('/api/alerts', { alert_type: 'critical', message: 'Fire', camera_id: cam[1] }));
    const rec = await post('/api/recognitions', { camera_id: cam[0], person_id: person, confidence: 0.9 });
    const seen = await list(`types=camera_event&event_type=face_recognized&camera_id=${cam[0]}&limit=1`);
    expect(seen.events[0]?.data).toMatchObject({ recognition_id: rec.id, person_id: person });
    made.push(seen.events[0]!);
    made.push(await post('/api/alerts', { alert_type: 'info', message: 'Shift change' }));
    made.push(await post(`/api/cameras/${cam[1]}/events`, { event_type: 'door_open', data: {} }));
    made.push(await post('/api/alerts', { alert_type: 'warning', message: 'Loitering', camera_id: cam[0] }));
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('pages backwards with `before`: the newest events below the cursor, oldest first, has_more while older ones exist', async () => {
    const first = await list(`limit=2&camera_id=${cam[0]},${cam[1]}`);
    expect(ids(first.events)).toEqual([made[4]!.id, made[5]!.id]);
    expect(first.has_more).toBe(true);
    const second = await list(`limit=2&before=${first.events[0]!.id}&camera_id=${cam[0]}&camera_id=${cam[1]}`);
    expect(ids(second.events)).toEqual([made[1]!.id, made[2]!.id]);
    expect(second.has_more).toBe(true);
    const third = await list(`limit=2&before=${second.events[0]!.id}&camera_id=${cam[0]},${cam[1]}`);
    expect(ids(third.events)).toEqual([made[0]!.id]);
    expect(third.has_more).toBe(false);
  });

  it('filters by camera, camera event type (repeated or comma list) and alert severity', async () => {
    expect(ids((await list(`camera_id=${cam[1]}`)).events)).toEqual([made[1]!.id, made[4]!.id]);
    expect(ids((await list('event_type=motion,door_open')).events)).toEqual([made[0]!.id, made[4]!.id]);
    expect(ids((await list('event_type=motion&event_type=door_open')).events)).toEqual([made[0]!.id, made[4]!.id]);
    expect(ids((await list('alert_type=critical,warning')).events)).toEqual([made[1]!.id, made[5]!.id]);
    expect(ids((await list('severity=info')).events)).toEqual([made[3]!.id]);
    // Both: camera events of those types and alerts of those severities.
    expect(ids((await list('event_type=motion&severity=critical')).events)).toEqual([made[0]!.id, made[1]!.id]);
    expect(ids((await list(`types=alert&camera_id=${cam[0]}`)).events)).toEqual([made[5]!.id]);
  });

  it('filters by time: since inclusive, until exclusive', async () => {
    const at = made[2]!.timestamp;
    const from = await list(`since=${encodeURIComponent(at)}&types=camera_event,alert`);
    expect(ids(from.events)).toEqual(ids(made.slice(2)));
    const to = await list(`until=${encodeURIComponent(at)}&types=camera_event,alert`);
    expect(ids(to.events)).toEqual(ids(made.slice(0, 2)));
    const window = await list(
      `since=${encodeURIComponent(made[1]!.timestamp)}&until=${encodeURIComponent(made[4]!.timestamp)}&types=camera_event,alert`,
    );
    expect(ids(window.events)).toEqual(ids(made.slice(1, 4)));
    // Any ISO 8601 form with an offset is read as that instant.
    const offset = new Date(Date.parse(at) + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    expect(ids((await list(`since=${encodeURIComponent(offset)}&types=camera_event,alert`)).events)).toEqual(
      ids(made.slice(2)),
    );
  });

  it('filters by person: the events that name them', async () => {
    expect(ids((await list(`person_id=${person}`)).events)).toEqual([made[2]!.id]);
    expect((await list('person_id=999999')).events).toEqual([]);
  });

  it('keeps a viewer limited to some cameras to them, whatever the filters ask', async () => {
    expect(ids((await list(`camera_id=${cam[1]}`, limited)).events)).toEqual([]);
    const all = ids((await list('types=camera_event,alert', limited)).events);
    expect(all).toEqual([made[0]!.id, made[2]!.id, made[3]!.id, made[5]!.id]);
  });

  it('answers one event by id (404 when unknown or about a camera the user may not see)', async () => {
    const one = await api(t.url, 'GET', `/api/events/${made[1]!.id}`, viewer);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(made[1]);
    expect((await api(t.url, 'GET', `/api/events/${made[0]!.id}`, limited)).body).toEqual(made[0]);
    const hidden = await api(t.url, 'GET', `/api/events/${made[1]!.id}`, limited);
    expect(hidden.status).toBe(404);
    expect(hidden.body.error).toBe('not_found');
    expect((await api(t.url, 'GET', '/api/events/99999999', viewer)).status).toBe(404);
    const bad = await api(t.url, 'GET', '/api/events/abc', viewer);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'validation_error', field: 'id' });
    expect((await api(t.url, 'GET', `/api/events/${made[1]!.id}`)).status).toBe(401);
  });

  it('refuses bad values with 400 naming the field', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['before=abc', 'before', /before must be an event id/],
      ['before=1&after=1', 'before', /not both/],
      ['limit=0', 'limit', /limit/],
      ['limit=1000000000', 'limit', /limit/],
      ['limit=ten', 'limit', /limit/],
      ['since=yesterday', 'since', /since must be an ISO 8601 time/],
      ['until=2024-13-45T00:00:00Z', 'until', /until must be an ISO 8601 time/],
      ['since=2024-05-02T00:00:00Z&until=2024-05-01T00:00:00Z', 'until', /until must not be before since/],
      ['camera_id=front', 'camera_id', /camera_id must be camera ids/],
      ['camera_id=0', 'camera_id', /camera_id must be camera ids/],
      ['alert_type=urgent', 'alert_type', /info, warning or critical/],
      ['severity=urgent', 'severity', /info, warning or critical/],
      ['event_type=Not%20A%20Type', 'event_type', /event_type/],
      ['person_id=-1', 'person_id', /person_id/],
    ];
    for (const [query, field, message] of cases) {
      const r = await api(t.url, 'GET', `/api/events?${query}`, viewer);
      expect(r.status, query).toBe(400);
      expect(r.body.error, query).toBe('validation_error');
      expect(r.body.field, query).toBe(field);
      expect(r.body.message, query).toMatch(message);
    }
  });
});
