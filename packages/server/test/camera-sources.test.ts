/**
 * A camera's live sources (`snapshot_url`, `mjpeg_url`): admins set them, only http(s), and the
 * password inside never leaves the server: answers mask it (to admins too), a PATCH that sends the
 * masked URL back keeps it, logs never hold it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestServer, type TestServer } from '../src/testing.js';
import { api } from './helpers.js';

const SECRET = 'pa55-w0rd-never-shown';

let t: TestServer;
let producer: string;
let viewer: string;

beforeAll(async () => {
  t = await startTestServer();
  producer = await t.tokenFor('sources-producer', 'producer');
  viewer = await t.tokenFor('sources-viewer', 'viewer');
});
afterAll(async () => {
  await t?.close();
});

const stored = async (id: number) => (await t.server.store.cameras.sources(id))!;

describe('camera source URLs', () => {
  it('are set by an admin and answered with the password as ***, to admins and viewers alike', async () => {
    const created = await api(t.url, 'POST', '/api/cameras', t.adminToken, {
      name: 'Gate',
      snapshot_url: `http://admin:${SECRET}@192.0.2.10/cgi-bin/snapshot.jpg?channel=1`,
      mjpeg_url: null,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      snapshot_url: 'http://admin:***@192.0.2.10/cgi-bin/snapshot.jpg?channel=1',
      mjpeg_url: null,
    });
    const id = created.body.id as number;
    expect((await stored(id)).snapshot_url).toBe(`http://admin:${SECRET}@192.0.2.10/cgi-bin/snapshot.jpg?channel=1`);
    for (const token of [t.adminToken, viewer, producer]) {
      const one = await api(t.url, 'GET', `/api/cameras/${id}`, token);
      const all = await api(t.url, 'GET', '/api/cameras', token);
      expect(JSON.stringify([one.body, all.body])).not.toContain(SECRET);
      expect(one.body.snapshot_url).toBe('http://admin:***@192.0.2.10/cgi-bin/snapshot.jpg?channel=1');
    }
    // A camera without sources answers null for both.
    const plain = await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Plain' });
    expect(plain.body).toMatchObject({ snapshot_url: null, mjpeg_url: null });
  });

  it('a PATCH that sends the masked URL back keeps the password; pointed elsewhere it must send one', async () => {
    const id = (
      await api(t.url, 'POST', '/api/cameras', t.adminToken, {
        name: 'Yard',
        mjpeg_url: `https://viewer:${SECRET}@cam.example:8443/mjpg/video.mjpg`,
      })
    ).body.id as number;
    const shown = (await api(t.url, 'GET', `/api/cameras/${id}`, t.adminToken)).body.mjpeg_url as string;
    expect(shown).toBe('https://viewer:***@cam.example:8443/mjpg/video.mjpg');

    // The admin UI's round trip: the whole camera back, a name changed.
    const back = await api(t.url, 'PATCH', `/api/cameras/${id}`, t.adminToken, { name: 'Yard 2', mjpeg_url: shown });
    expect(back.status).toBe(200);
    expect(back.body.mjpeg_url).toBe(shown);
    expect((await stored(id)).mjpeg_url).toBe(`https://viewer:${SECRET}@cam.example:8443/mjpg/video.mjpg`);

    // Same host and user, another path: the password is kept.
    const moved = await api(t.url, 'PATCH', `/api/cameras/${id}`, t.adminToken, {
      mjpeg_url: 'https://viewer:***@cam.example:8443/axis-cgi/mjpg/video.cgi?fps=5',
    });
    expect(moved.status).toBe(200);
    expect((await stored(id)).mjpeg_url).toBe(
      `https://viewer:${SECRET}@cam.example:8443/axis-cgi/mjpg/video.cgi?fps=5`,
    );

    // Another host, port, scheme or user with ***: refused (the password cannot be sent elsewhere).
    for (const elsewhere of [
      'https://viewer:***@attacker.example:8443/x',
      'https://viewer:***@cam.example:9999/x',
      'http://viewer:***@cam.example:8443/x',
      'https://other:***@cam.example:8443/x',
    ]) {
      const r = await api(t.url, 'PATCH', `/api/cameras/${id}`, t.adminToken, { mjpeg_url: elsewhere });
      expect(r.status, elsewhere).toBe(400);
      expect(r.body).toMatchObject({ error: 'validation_error', field: 'mjpeg_url' });
    }
    // *** where nothing is stored: refused too.
    const r = await api(t.url, 'PATCH', `/api/cameras/${id}`, t.adminToken, {
      snapshot_url: 'http://admin:***@cam.example/snap.jpg',
    });
    expect(r.body).toMatchObject({ error: 'validation_error', field: 'snapshot_url' });
    expect((await stored(id)).mjpeg_url).toContain(SECRET);

    // A new password replaces it; null clears the URL.
    await api(t.url, 'PATCH', `/api/cameras/${id}`, t.adminToken, {
      mjpeg_url: 'https://viewer:new-one@cam.example:8443/mjpg/video.mjpg',
    });
    expect((await stored(id)).mjpeg_url).toBe('https://viewer:new-one@cam.example:8443/mjpg/video.mjpg');
    const cleared = await api(t.url, 'PATCH', `/api/cameras/${id}`, t.adminToken, { mjpeg_url: null });
    expect(cleared.body.mjpeg_url).toBeNull();
    expect((await stored(id)).mjpeg_url).toBeNull();
  });

  it('only http(s) URLs; the answer names the field, never the value', async () => {
    for (const bad of [
      `ftp://u:${SECRET}@host/x.jpg`,
      `file:///etc/passwd`,
      'javascript:alert(1)',
      'http://',
      'not a url',
      `rtsp://u:${SECRET}@cam/stream`,
      '',
      `http://u:${SECRET}@${'a'.repeat(2100)}.example/`,
    ]) {
      const r = await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Bad', snapshot_url: bad });
      expect(r.status, bad).toBe(400);
      expect(r.body.field, bad).toBe('snapshot_url');
      expect(JSON.stringify(r.body)).not.toContain(SECRET);
    }
    const ok = await api(t.url, 'POST', '/api/cameras', t.adminToken, {
      name: 'Upper',
      snapshot_url: 'HTTP://Cam.Example/Snap.jpg',
    });
    expect(ok.body.snapshot_url).toBe('http://cam.example/Snap.jpg');
  });

  it('a producer may PATCH status but not the sources (403); a viewer neither', async () => {
    const id = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Dock' })).body.id as number;
    expect((await api(t.url, 'PATCH', `/api/cameras/${id}`, producer, { recording: true })).status).toBe(200);
    const r = await api(t.url, 'PATCH', `/api/cameras/${id}`, producer, {
      recording: false,
      snapshot_url: 'http://cam.example/snap.jpg',
    });
    expect(r).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect((await stored(id)).snapshot_url).toBeNull();
    expect((await api(t.url, 'PATCH', `/api/cameras/${id}`, viewer, { mjpeg_url: null })).status).toBe(403);
  });

  it('no log line ever holds the password', () => {
    expect(t.logs.join('\n')).not.toContain(SECRET);
  });
});

describe('on PostgreSQL', () => {
  it('the 004_media migration adds the columns; the same masking', async () => {
    const db = await createTestDatabase();
    const pg = await startTestServer({ env: { DATABASE_URL: db.url } });
    try {
      const r = await api(pg.url, 'POST', '/api/cameras', pg.adminToken, {
        name: 'PG',
        snapshot_url: `http://u:${SECRET}@cam.example/s.jpg`,
      });
      expect(r.body.snapshot_url).toBe('http://u:***@cam.example/s.jpg');
      expect((await pg.server.store.cameras.sources(r.body.id))!.snapshot_url).toContain(SECRET);
    } finally {
      await pg.close();
      await db.drop();
    }
  });
});
