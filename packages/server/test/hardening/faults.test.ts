/**
 * Hardening catalogue, "Server, Redis, database faults" (items 40-47) on one node. Items 41-43
 * (a second node, Redis killed or stalled) land with the multi-node mode.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { expectNothingFor, waitFor } from '../../../../test/support/wait.js';
import { startTestServer, tempDir } from '../../src/testing.js';
import { api, connect } from '../helpers.js';
import { logEvents, observe, rawRequest, upgradeLines } from './raw.js';

describe('server faults', () => {
  it('40: shutdown closes 100 clients 1001 within 2 s, answers new upgrades 503 meanwhile, and clients resume after restart', async () => {
    const dataDir = tempDir();
    const env = { OPENEYE_BROADCAST_INTERVAL_MS: '500', OPENEYE_JWT_SECRET: 'restart-secret-restart-secret-restart-1' };
    let t = await startTestServer({ dataDir, env });
    const port = t.port;
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => t.tokenFor(`sd${i}`, 'viewer')));
    const clients = Array.from({ length: 100 }, (_, i) => connect(t.url, { token: tokens[i % 20] }));
    const welcomes = await Promise.all(clients.map((c) => c.next('connection_status')));
    const last = String(welcomes.at(-1)!.last_event_id ?? '0');
    const producer = await t.tokenFor('sd-producer', 'producer');
    const before = (await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'info', message: 'before' })).body;
    await Promise.all(clients.map((c) => c.next('alert')));
    // A peer that never answers the close handshake keeps the server in its grace period. (Its own
    // user: the sd users are at their limit of 5.)
    const stubbornToken = await t.tokenFor('sd-stubborn', 'viewer');
    const stubbornId = await t.userId('sd-stubborn');
    const stubborn = await rawRequest(port, upgradeLines(`/api/ws/statistics?token=${stubbornToken}`));
    expect(stubborn.response.status).toBe(101);
    stubborn.socket.pause();
    await waitFor(() => t.server.hub.getUserConnectionCount(stubbornId) === 1, 'the stubborn peer welcomed');
    const started = Date.now();
    const closing = t.close();
    // Shutting down from the first instant; the port stays open through the grace period (the
    // stubborn peer holds it 2 s), so a new upgrade is answered, with 503.
    const late = rawRequest(port, upgradeLines(`/api/ws/statistics?token=${tokens[1]}`));
    const closes = await Promise.all(clients.map((c) => c.closed));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(new Set(closes.map((c) => `${c.code} ${c.reason}`))).toEqual(new Set(['1001 Server shutting down']));
    expect((await late).response.status).toBe(503);
    (await late).destroy();
    await closing;
    stubborn.destroy();
    const begin = logEvents(t, 'shutdown.begin');
    const done = logEvents(t, 'shutdown.done');
    expect(begin).toHaveLength(1);
    // The 100 clients closed; the stubborn peer terminated after the grace period.
    expect(done).toEqual([expect.objectContaining({ closed: 100, terminated: 1 })]);
    // Restart on the same data and port: a client resumes after the last event it saw.
    t = await startTestServer({ dataDir, port, env });
    try {
      // fetch may still hold a kept-alive socket to the old server on this port: the first request
      // on it fails ("other side closed") and drops it. A GET that may fail does that, not the POST.
      for (let i = 0; i < 5; i++) {
        const ok = await fetch(`${t.url}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
      }
      const during = (await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'info', message: 'after' })).body;
      const back = connect(t.url, { token: tokens[0], last_event_id: before.id });
      expect((await back.next('connection_status')).resumed).toBe(true);
      expect((await back.next('alert')).id).toBe(during.id);
      back.close();
      expect(Number(last)).toBeLessThan(Number(before.id));
    } finally {
      await t.close();
    }
  }, 30_000);
});

describe('database faults', () => {
  it('44: a database that cannot grow (SQLITE_FULL) answers producers 503, broadcasts nothing unstored, keeps sockets up', async () => {
    const t = await startTestServer({ env: { OPENEYE_BROADCAST_INTERVAL_MS: '500' } });
    try {
      const obs = await observe(t);
      const producer = await t.tokenFor('full-producer', 'producer');
      const db = t.server.store.db;
      const pages = await sql<{ page_count: number }>`PRAGMA page_count`.execute(db);
      await sql.raw(`PRAGMA max_page_count = ${pages.rows[0]!.page_count}`).execute(db);
      const statuses: number[] = [];
      const stored: string[] = [];
      for (let i = 0; i < 300 && !statuses.includes(503); i++) {
        const r = await api(t.url, 'POST', '/api/alerts', producer, {
          alert_type: 'info',
          message: 'y'.repeat(1000),
        });
        statuses.push(r.status);
        if (r.status === 201) stored.push(r.body.id);
        else expect(r.body).toMatchObject({ error: 'unavailable' });
      }
      expect(statuses).toContain(503);
      expect(new Set(statuses)).toEqual(new Set(statuses.includes(201) ? [201, 503] : [503]));
      const delivered = () => obs.client.messages.filter((m) => m.type === 'alert').map((m) => String(m.id));
      await waitFor(() => delivered().length >= stored.length, 'every stored alert delivered');
      await expectNothingFor(300, 'alert that was not stored', () => delivered().slice(stored.length));
      expect(delivered()).toEqual(stored);
      await obs.assertServing();
      await sql.raw('PRAGMA max_page_count = 1073741823').execute(db);
      expect((await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'info', message: 'ok' })).status).toBe(
        201,
      );
      expect(logEvents(t, 'storage.error').length).toBeGreaterThan(0);
      obs.close();
    } finally {
      await t.close();
    }
  });

  it('46: a resume gap older than the history gives resumed:false on the socket and 410 on REST', async () => {
    const dataDir = tempDir();
    const env = { OPENEYE_HISTORY_MAX_EVENTS: '10', OPENEYE_JWT_SECRET: 'history-secret-history-secret-history-1' };
    let t = await startTestServer({ dataDir, env });
    const producer = await t.tokenFor('h-producer', 'producer');
    const viewer = await t.tokenFor('h-viewer', 'viewer');
    const first = (await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'info', message: 'first' })).body.id;
    for (let i = 0; i < 30; i++)
      await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'info', message: `m${i}` });
    await t.close();
    t = await startTestServer({ dataDir, env }); // prunes the history to the newest 10 at start
    try {
      const c = connect(t.url, { token: viewer, last_event_id: first });
      expect((await c.next('connection_status')).resumed).toBe(false);
      await c.next('statistics_update');
      await expectNothingFor(200, 'replayed alert', () => c.messages.filter((m) => m.type === 'alert'));
      c.close();
      expect((await api(t.url, 'GET', `/api/events?after=${first}`, viewer)).status).toBe(410);
    } finally {
      await t.close();
    }
  });
});
