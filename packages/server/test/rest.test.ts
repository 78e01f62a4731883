import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createTestDatabase, startTestServer, type TestServer } from '../src/testing.js';
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

describe.each(engines)('REST API on $name', ({ setup }) => {
  let t: TestServer;
  let drop: () => Promise<void>;
  let viewer: string;
  let producer: string;

  beforeAll(async () => {
    const s = await setup();
    drop = s.drop;
    t = await startTestServer({ env: s.env });
    viewer = await t.tokenFor('vera', 'viewer');
    producer = await t.tokenFor('pablo', 'producer');
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  describe('auth', () => {
    it('logs in with a JSON body and with a form body', async () => {
      const json = await api(t.url, 'POST', '/api/auth/login', undefined, {
        username: 'admin',
        password: ADMIN_PASSWORD,
      });
      expect(json.status).toBe(200);
      expect(json.body).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
      expect(json.body.access_token.split('.')).toHaveLength(3);
      const form = await fetch(`${t.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `username=admin&password=${encodeURIComponent(ADMIN_PASSWORD)}`,
      });
      expect(form.status).toBe(200);
      const me = await api(
        t.url,
        'GET',
        '/api/users/me',
        ((await form.json()) as { access_token: string }).access_token,
      );
      expect(me.body).toMatchObject({ username: 'admin', role: 'admin', disabled: false });
    });

    it('refuses a wrong password, an unknown user and a missing field', async () => {
      const wrong = await api(t.url, 'POST', '/api/auth/login', undefined, {
        username: 'admin',
        password: 'nope-nope',
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ error: 'invalid_credentials', message: 'Wrong username or password' });
      const unknown = await api(t.url, 'POST', '/api/auth/login', undefined, {
        username: 'ghost',
        password: 'whatever1',
      });
      expect(unknown.status).toBe(401);
      const missing = await api(t.url, 'POST', '/api/auth/login', undefined, { username: 'admin' });
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({ error: 'validation_error', field: 'password' });
    });

    it('refreshes a valid token and rejects missing, invalid and expired ones with 401', async () => {
      const r = await api(t.url, 'POST', '/api/auth/refresh', viewer);
      expect(r.status).toBe(200);
      expect((await api(t.url, 'GET', '/api/users/me', r.body.access_token)).body.username).toBe('vera');
      expect((await api(t.url, 'GET', '/api/statistics')).status).toBe(401);
      const bad = await api(t.url, 'GET', '/api/statistics', `${viewer}x`);
      expect(bad.status).toBe(401);
      expect(bad.body).toEqual({ error: 'unauthorized', message: 'Invalid token' });
      const expired = t.server.jwt.sign({ id: 1, username: 'admin', role: 'admin' }, -10);
      expect((await api(t.url, 'GET', '/api/statistics', expired)).body).toEqual({
        error: 'unauthorized',
        message: 'Token expired',
      });
    });
  });

  describe('users (admin only)', () => {
    it('creates, lists, updates and deletes users', async () => {
      const created = await api(t.url, 'POST', '/api/users', t.adminToken, {
        username: 'olga',
        password: 'operator-pass',
        role: 'viewer',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ username: 'olga', role: 'viewer', disabled: false });
      expect(created.body.password_hash).toBeUndefined();
      const row = await t.server.store.users.byUsername('olga');
      expect(row?.password_hash).toMatch(/^scrypt\$/);
      const dup = await api(t.url, 'POST', '/api/users', t.adminToken, {
        username: 'olga',
        password: 'operator-pass',
        role: 'viewer',
      });
      expect(dup.status).toBe(409);
      const list = await api(t.url, 'GET', '/api/users', t.adminToken);
      expect(list.body.map((u: { username: string }) => u.username)).toContain('olga');
      const patched = await api(t.url, 'PATCH', `/api/users/${created.body.id}`, t.adminToken, { role: 'producer' });
      expect(patched.body.role).toBe('producer');
      const login = await api(t.url, 'POST', '/api/auth/login', undefined, {
        username: 'olga',
        password: 'operator-pass',
      });
      expect(login.status).toBe(200);
      await api(t.url, 'PATCH', `/api/users/${created.body.id}`, t.adminToken, { disabled: true });
      expect((await api(t.url, 'GET', '/api/users/me', login.body.access_token)).status).toBe(401);
      expect((await api(t.url, 'DELETE', `/api/users/${created.body.id}`, t.adminToken)).status).toBe(204);
      expect((await api(t.url, 'GET', `/api/users/${created.body.id}`, t.adminToken)).status).toBe(404);
    });

    it('answers 403 to a viewer and a producer, 400 to a bad role', async () => {
      expect((await api(t.url, 'GET', '/api/users', viewer)).status).toBe(403);
      const p = await api(t.url, 'POST', '/api/users', producer, {
        username: 'x1',
        password: 'password1',
        role: 'admin',
      });
      expect(p.status).toBe(403);
      expect(p.body.error).toBe('forbidden');
      const bad = await api(t.url, 'POST', '/api/users', t.adminToken, {
        username: 'x2',
        password: 'password1',
        role: 'root',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe('role');
    });
  });

  describe('cameras and people', () => {
    it('does camera CRUD; a status change becomes a stored camera event', async () => {
      const c = await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Gate', location: 'North' });
      expect(c.status).toBe(201);
      expect(c.body).toMatchObject({
        name: 'Gate',
        location: 'North',
        active: true,
        recording: false,
        last_seen_at: null,
      });
      expect((await api(t.url, 'POST', '/api/cameras', viewer, { name: 'X' })).status).toBe(403);
      const p = await api(t.url, 'PATCH', `/api/cameras/${c.body.id}`, producer, { recording: true });
      expect(p.status).toBe(200);
      expect(p.body.recording).toBe(true);
      const events = await api(t.url, 'GET', '/api/events?limit=5&types=camera_event', viewer);
      expect(events.body.events.at(-1)).toMatchObject({
        type: 'camera_event',
        camera_id: c.body.id,
        event_type: 'recording_started',
      });
      expect((await api(t.url, 'GET', `/api/cameras/${c.body.id}`, viewer)).body.recording).toBe(true);
      expect((await api(t.url, 'PATCH', '/api/cameras/99999', t.adminToken, { active: false })).status).toBe(404);
      expect((await api(t.url, 'PATCH', `/api/cameras/${c.body.id}`, t.adminToken, { active: 'yes' })).body.field).toBe(
        'active',
      );
      expect((await api(t.url, 'DELETE', `/api/cameras/${c.body.id}`, t.adminToken)).status).toBe(204);
      expect((await api(t.url, 'GET', `/api/cameras/${c.body.id}`, viewer)).status).toBe(404);
      expect((await api(t.url, 'GET', '/api/cameras/abc', viewer)).status).toBe(400);
    });

    it('stores a posted camera event and answers with the message as the socket carries it', async () => {
      const c = await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Dock' });
      const e = await api(t.url, 'POST', `/api/cameras/${c.body.id}/events`, producer, {
        event_type: 'motion_detected',
        data: { details: 'Motion detected in zone 1' },
      });
      expect(e.status).toBe(201);
      expect(e.body).toMatchObject({
        type: 'camera_event',
        camera_id: c.body.id,
        event_type: 'motion_detected',
        data: { details: 'Motion detected in zone 1' },
      });
      expect(e.body.id).toMatch(/^\d+$/);
      expect(e.body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const stored = await api(t.url, 'GET', `/api/events?after=${Number(e.body.id) - 1}`, viewer);
      expect(stored.body.events[0]).toEqual(e.body);
      expect((await api(t.url, 'GET', `/api/cameras/${c.body.id}`, viewer)).body.last_seen_at).not.toBeNull();
      expect(
        (await api(t.url, 'POST', '/api/cameras/99999/events', producer, { event_type: 'motion_detected' })).status,
      ).toBe(404);
      expect(
        (await api(t.url, 'POST', `/api/cameras/${c.body.id}/events`, viewer, { event_type: 'motion_detected' }))
          .status,
      ).toBe(403);
      expect((await api(t.url, 'POST', `/api/cameras/${c.body.id}/events`, producer, {})).body.field).toBe(
        'event_type',
      );
    });

    it('does people CRUD', async () => {
      const p = await api(t.url, 'POST', '/api/people', producer, { name: 'Grace' });
      expect(p.status).toBe(201);
      expect((await api(t.url, 'GET', '/api/people', viewer)).body.map((x: { name: string }) => x.name)).toContain(
        'Grace',
      );
      expect((await api(t.url, 'PATCH', `/api/people/${p.body.id}`, producer, { name: 'Grace H.' })).body.name).toBe(
        'Grace H.',
      );
      expect((await api(t.url, 'POST', '/api/people', viewer, { name: 'No' })).status).toBe(403);
      expect((await api(t.url, 'POST', '/api/people', producer, { name: '' })).body.field).toBe('name');
      expect((await api(t.url, 'DELETE', `/api/people/${p.body.id}`, producer)).status).toBe(204);
      expect((await api(t.url, 'DELETE', `/api/people/${p.body.id}`, producer)).status).toBe(404);
    });
  });

  describe('recognitions, alerts and statistics', () => {
    it('counts recognitions and unknown faces; an unknown face raises a warning alert', async () => {
      const before = (await api(t.url, 'GET', '/api/statistics', viewer)).body;
      const cam = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Hall', recording: true })).body;
      const person = (await api(t.url, 'POST', '/api/people', producer, { name: 'Alan' })).body;
      const known = await api(t.url, 'POST', '/api/recognitions', producer, {
        camera_id: cam.id,
        person_id: person.id,
        confidence: 0.93,
      });
      expect(known.status).toBe(201);
      expect(known.body).toMatchObject({ camera_id: cam.id, person_id: person.id, confidence: 0.93 });
      expect(known.body.alert).toBeUndefined();
      const unknown = await api(t.url, 'POST', '/api/recognitions', producer, { camera_id: cam.id, person_id: null });
      expect(unknown.status).toBe(201);
      expect(unknown.body.alert).toMatchObject({
        type: 'alert',
        alert_type: 'warning',
        data: { message: 'Unknown face detected', camera_id: cam.id },
      });
      const rows = await t.server.store.db
        .selectFrom('recognitions')
        .selectAll()
        .where('camera_id', '=', cam.id)
        .execute();
      expect(rows.map((r) => Number(r.unknown))).toEqual([0, 1]);
      const after = (await api(t.url, 'GET', '/api/statistics', viewer)).body;
      // The guide's fields, and (protocol version 2) the alert counts beside them.
      expect(Object.keys(after).sort()).toEqual(['alerts', 'cameras', 'face_recognition', 'timestamp']);
      expect(after.alerts.open).toBe(before.alerts.open + 1);
      // As the original counts them: every recognition of the day, known and unknown faces.
      expect(after.face_recognition.recognitions_today).toBe(before.face_recognition.recognitions_today + 2);
      expect(after.face_recognition.unknown_faces_today).toBe(before.face_recognition.unknown_faces_today + 1);
      expect(after.face_recognition.total_people).toBe(before.face_recognition.total_people + 1);
      expect(after.face_recognition.last_recognition).toBe(known.body.occurred_at);
      expect(after.cameras.total_cameras).toBe(before.cameras.total_cameras + 1);
      expect(after.cameras.recording_cameras).toBe(before.cameras.recording_cameras + 1);
    });

    it('does not count yesterday as today', async () => {
      const cam = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Old' })).body;
      const before = (await api(t.url, 'GET', '/api/statistics', viewer)).body.face_recognition;
      const yesterday = new Date(Date.now() - 86400_000 * 1.5).toISOString();
      await api(t.url, 'POST', '/api/recognitions', producer, {
        camera_id: cam.id,
        person_id: null,
        occurred_at: yesterday,
      });
      const after = (await api(t.url, 'GET', '/api/statistics', viewer)).body.face_recognition;
      expect(after.unknown_faces_today).toBe(before.unknown_faces_today);
    });

    it('rejects bad recognitions with the field named, unknown ids with 404', async () => {
      const cam = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'R' })).body;
      expect(
        (await api(t.url, 'POST', '/api/recognitions', producer, { camera_id: cam.id, person_id: null, confidence: 2 }))
          .body.field,
      ).toBe('confidence');
      expect((await api(t.url, 'POST', '/api/recognitions', producer, { person_id: null })).body.field).toBe(
        'camera_id',
      );
      expect(
        (await api(t.url, 'POST', '/api/recognitions', producer, { camera_id: 99999, person_id: null })).status,
      ).toBe(404);
      expect(
        (await api(t.url, 'POST', '/api/recognitions', producer, { camera_id: cam.id, person_id: 99999 })).status,
      ).toBe(404);
    });

    it('stores alerts and serves the history with after, limit, types, 400 and 410', async () => {
      const a = await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'critical', message: 'Door forced' });
      expect(a.status).toBe(201);
      expect(a.body).toMatchObject({ type: 'alert', alert_type: 'critical', data: { message: 'Door forced' } });
      expect(
        (await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'panic', message: 'x' })).body.field,
      ).toBe('alert_type');
      const b = await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'info', message: 'Second' });
      const after = await api(t.url, 'GET', `/api/events?after=${a.body.id}`, viewer);
      expect(after.body).toEqual({ events: [b.body], last_event_id: b.body.id, has_more: false });
      const limited = await api(t.url, 'GET', `/api/events?after=0&limit=1`, viewer);
      expect(limited.body.events).toHaveLength(1);
      expect(limited.body.has_more).toBe(true);
      const alerts = await api(t.url, 'GET', '/api/events?types=alert&limit=1000', viewer);
      expect(alerts.body.events.map((e: { id: string }) => e.id)).toEqual(
        expect.arrayContaining([a.body.id, b.body.id]),
      );
      expect(alerts.body.events.every((e: { type: string }) => e.type === 'alert')).toBe(true);
      expect((await api(t.url, 'GET', '/api/events?after=abc', viewer)).status).toBe(400);
      expect((await api(t.url, 'GET', '/api/events?limit=1000000000', viewer)).status).toBe(400);
      expect((await api(t.url, 'GET', '/api/events?types=bogus', viewer)).body.field).toBe('types');
      expect((await api(t.url, 'GET', '/api/events?after=99999999', viewer)).status).toBe(410);
    });
  });

  describe('operations', () => {
    it('serves health, readiness, metrics, OpenAPI and the docs page', async () => {
      expect((await api(t.url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
      expect((await api(t.url, 'GET', '/readyz')).body.status).toBe('ready');
      const metrics = await api(t.url, 'GET', '/metrics');
      expect(metrics.text).toContain('openeye_http_requests_total{method="POST",route="/api/auth/login",status="200"}');
      expect(metrics.text).toContain('openeye_ws_connections');
      const spec = await api(t.url, 'GET', '/api/openapi.json');
      expect(spec.body.openapi).toMatch(/^3\./);
      expect(Object.keys(spec.body.paths)).toEqual(
        expect.arrayContaining(['/api/recognitions', '/api/events', '/api/cameras/{id}/events']),
      );
      const docs = await fetch(`${t.url}/docs/`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('<html');
    });

    it('answers unknown API routes with JSON 404 and never a stack trace', async () => {
      const r = await api(t.url, 'GET', '/api/nothing-here', viewer);
      expect(r.status).toBe(404);
      expect(r.body.error).toBe('not_found');
      const broken = await fetch(`${t.url}/api/alerts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${producer}`, 'content-type': 'application/json' },
        body: '{"alert_type":',
      });
      expect(broken.status).toBe(400);
      expect(await broken.text()).not.toMatch(/at .*\.(js|ts):\d+/);
    });
  });
});
