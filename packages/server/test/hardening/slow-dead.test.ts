/**
 * Hardening catalogue, "Slow and dead peers" (items 37-39).
 */
import { spawn } from 'node:child_process';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTrueFor, waitFor } from '../../../../test/support/wait.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { api, connect } from '../helpers.js';
import { logEvents, type Observer, observe } from './raw.js';

describe('a slow peer', () => {
  it('37: a client that never reads is closed 1013 during a REST burst; others get every event within 1 s', async () => {
    // Its own server, with the default heartbeat (30 s): with a short one the paused client would be
    // dropped as dead first, and the burst's event-loop stalls (server and clients share this
    // process) could get the observer dropped too.
    const s = await startTestServer({
      env: { OPENEYE_MAX_BUFFERED_BYTES: String(256 * 1024), OPENEYE_BROADCAST_INTERVAL_MS: '500' },
    });
    const obs = await observe(s);
    try {
      const producer = await s.tokenFor('burst-producer', 'producer');
      const slow = connect(s.url, { token: await s.tokenFor('never-reads', 'viewer') });
      const fast = connect(s.url, { token: await s.tokenFor('reads', 'viewer') });
      await Promise.all([slow.next('connection_status'), fast.next('connection_status')]);
      const slowSocket = (slow.ws as unknown as { _socket: net.Socket })._socket;
      slowSocket.pause();
      const sentAt = new Map<string, number>();
      const latency: number[] = [];
      fast.ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.type === 'alert') latency.push(Date.now() - (sentAt.get(m.id) ?? Date.now()));
      });
      const data = { blob: 'x'.repeat(8 * 1024) };
      const N = 1500;
      const rssBefore = process.memoryUsage().rss;
      const burst = (async () => {
        for (let i = 0; i < N; i += 25) {
          await Promise.all(
            Array.from({ length: 25 }, async () => {
              const r = await api(s.url, 'POST', '/api/alerts', producer, { alert_type: 'info', message: 'big', data });
              sentAt.set(r.body.id, Date.now());
            }),
          );
        }
      })();
      // The server gives up on the non-reader early in the burst (ws.slow) and sends 1013 behind
      // what it had queued. It waits 5 s for the close handshake before cutting the socket (1006
      // then), so the client reads again now, while the burst goes on, and finds the close frame.
      await waitFor(() => s.logs.some((l) => l.includes('"event":"ws.slow"')), 'the slow consumer closed', 15_000);
      slowSocket.resume();
      expect((await slow.closed).code).toBe(1013);
      await burst;
      await fast.waitFor('alert', N, 15_000);
      expect(Math.max(...latency.slice(100))).toBeLessThan(1000);
      // 1,500 x 8 KB went to the fast reader (12 MB); the slow one was cut at 256 KiB buffered, not kept.
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
      fast.close();
      await obs.assertServing();
    } finally {
      obs.close();
      await s.close();
    }
  }, 60_000);
});

const HEARTBEAT_MS = 1000;

describe('dead and idle peers', () => {
  let t: TestServer;
  let obs: Observer;
  beforeAll(async () => {
    t = await startTestServer({
      env: { OPENEYE_BROADCAST_INTERVAL_MS: '500', OPENEYE_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) },
    });
    obs = await observe(t);
  });
  afterAll(async () => {
    obs?.close();
    await t?.close();
  });

  it('38: a half-open peer (client process SIGSTOPped) is terminated after a missed pong; its slot is released', async () => {
    const token = await t.tokenFor('frozen', 'viewer');
    const userId = await t.userId('frozen');
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const WebSocket = require('ws'); const ws = new WebSocket(process.argv[1]); ws.on('message', () => process.stdout.write('m'));`,
        `${t.url.replace('http', 'ws')}/api/ws/statistics?token=${token}`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      expect(t.server.hub.getUserConnectionCount(userId)).toBe(1);
      const before = (await api(t.url, 'GET', '/api/ws/status', t.adminToken)).body.statistics.total_connections;
      child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      await waitFor(() => t.server.hub.getUserConnectionCount(userId) === 0, 'the frozen peer terminated', 10_000);
      // One interval to send the ping, one to notice the missing pong.
      expect(Date.now() - stoppedAt).toBeLessThan(3 * HEARTBEAT_MS + 500);
      const after = (await api(t.url, 'GET', '/api/ws/status', t.adminToken)).body.statistics.total_connections;
      expect(after).toBe(before - 1);
      expect(logEvents(t, 'ws.dead').some((l) => l.user === userId)).toBe(true);
    } finally {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    await obs.assertServing();
  });

  it('39: an idle client that sends nothing (protocol pongs only) stays connected', async () => {
    const idle = connect(t.url, { token: await t.tokenFor('idle', 'viewer') });
    await idle.next('connection_status');
    await expectTrueFor(
      4 * HEARTBEAT_MS,
      'the idle client stays open (4 heartbeat intervals)',
      () => idle.ws.readyState === idle.ws.OPEN,
    );
    idle.close();
  });
});
