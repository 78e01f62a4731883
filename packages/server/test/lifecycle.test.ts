import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTrueFor, sleep, waitFor } from '../../../test/support/wait.js';
import { freePort, spawnServerProcess, startTestServer, type TestServer, tempDir } from '../src/testing.js';
import { api, connect, logsSettled } from './helpers.js';

describe('keeping the server healthy', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      env: { OPENEYE_HEARTBEAT_INTERVAL_MS: '300', OPENEYE_MAX_BUFFERED_BYTES: String(256 * 1024) },
    });
  });
  afterAll(() => t?.close());

  it('terminates a peer that stops answering protocol pings, and keeps one that answers', async () => {
    const deadToken = await t.tokenFor('dead', 'viewer');
    const dead = connect(t.url, { token: deadToken }, { autoPong: false });
    const alive = connect(t.url, { token: await t.tokenFor('alive', 'viewer') });
    await Promise.all([dead.next('connection_status'), alive.next('connection_status')]);
    const closed = await dead.closed;
    expect(closed.code).toBe(1006);
    const deadId = await t.userId('dead');
    await waitFor(() => t.server.hub.getUserConnectionCount(deadId) === 0, 'the slot of the dead peer released');
    expect(t.logs.some((l) => l.includes('"event":"ws.dead"'))).toBe(true);
    // More than two heartbeat intervals (300 ms): the peer that answers is never dropped.
    await expectTrueFor(700, 'the answering peer stays open', () => alive.ws.readyState === alive.ws.OPEN);
    alive.close();
  });
});

describe('slow consumers', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { OPENEYE_MAX_BUFFERED_BYTES: String(256 * 1024) } });
  });
  afterAll(() => t?.close());

  it('closes a client that stops reading with 1013 and frees its memory', async () => {
    const token = await t.tokenFor('slow', 'viewer');
    const slow = connect(t.url, { token });
    await slow.next('connection_status');
    const userId = await t.userId('slow');
    const socket = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    const rssBefore = process.memoryUsage().rss;
    const big = { type: 'notification', data: 'x'.repeat(60 * 1024) };
    for (let i = 0; i < 400 && t.server.hub.getUserConnectionCount(userId) > 0; i++) {
      t.server.hub.broadcastToUser(big, userId);
      if (i % 20 === 0) await sleep(5);
    }
    // Closed 1013 behind what was queued; the server waits 5 s for the close handshake before it
    // cuts the socket (1006 then), so the client reads again at once and finds the close frame.
    socket.resume();
    expect((await slow.closed).code).toBe(1013);
    const metrics = await api(t.url, 'GET', '/metrics');
    expect(metrics.text).toMatch(/openeye_ws_slow_consumer_closes_total 1/);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('visibility', () => {
  it('counts handshakes by outcome and open connections in /metrics', async () => {
    const t = await startTestServer();
    try {
      const c = connect(t.url, { token: await t.tokenFor('m', 'viewer') });
      await c.next('connection_status');
      await connect(t.url, {}).closed;
      await connect(t.url, { token: 'bad' }).closed;
      const m = (await api(t.url, 'GET', '/metrics')).text;
      expect(m).toContain('openeye_ws_handshakes_total{outcome="accepted"} 1');
      expect(m).toContain('openeye_ws_handshakes_total{outcome="auth_missing"} 1');
      expect(m).toContain('openeye_ws_handshakes_total{outcome="auth_invalid"} 1');
      expect(m).toContain('openeye_ws_connections 1');
      expect(m).toMatch(/openeye_ws_messages_sent_total\{type="statistics_update"\} \d+/);
      expect(m).toContain('openeye_ws_broadcast_fanout_seconds_bucket');
      c.close();
    } finally {
      await t.close();
    }
  });

  it('never writes a token to a log line, a metric, an error body or a close reason', async () => {
    const t = await startTestServer();
    try {
      const valid = await t.tokenFor('sentinel-user', 'viewer');
      const sentinel = 'eyJhbGciOiJIUzI1NiJ9.SENTINELxyz.SENTINELsig';
      const outputs: string[] = [];
      for (const token of [sentinel, `${valid}SENTINELxyz`]) {
        outputs.push(JSON.stringify(await connect(t.url, { token }).closed));
      }
      const c = connect(t.url, { token: valid });
      await c.next('connection_status');
      c.send({ type: 'auth', token: sentinel });
      outputs.push(JSON.stringify(await c.next('error')));
      c.close();
      outputs.push(JSON.stringify(await c.closed));
      for (const path of [`/api/statistics?token=${sentinel}`, `/api/nothing?token=${sentinel}`]) {
        outputs.push((await api(t.url, 'GET', path, sentinel)).text);
      }
      outputs.push(
        (await api(t.url, 'POST', '/api/auth/login', undefined, { username: 'x', password: sentinel })).text,
      );
      outputs.push((await api(t.url, 'GET', '/metrics')).text);
      await waitFor(() => t.logs.some((l) => l.includes('"event":"ws.close"')), 'the socket close in the log');
      await logsSettled(t);
      const all = [...outputs, ...t.logs].join('\n');
      expect(t.logs.length).toBeGreaterThan(5);
      expect(all).not.toContain('SENTINEL');
      expect(all).not.toContain(valid);
      expect(t.logs.join('\n')).toContain('token=[redacted]');
    } finally {
      await t.close();
    }
  });
});

describe('shutdown', () => {
  it('closes every socket 1001 on SIGTERM and exits 0 within 5 s', async () => {
    const port = await freePort();
    const dataDir = tempDir();
    const proc = await spawnServerProcess({ port, dataDir });
    const login = await api(proc.url, 'POST', '/api/auth/login', undefined, {
      username: 'admin',
      password: 'admin-password-for-tests',
    });
    const clients = Array.from({ length: 3 }, () => connect(proc.url, { token: login.body.access_token }));
    await Promise.all(clients.map((c) => c.next('connection_status')));
    const started = Date.now();
    const exit = proc.kill('SIGTERM');
    const closes = await Promise.all(clients.map((c) => c.closed));
    expect(closes).toEqual(Array(3).fill({ code: 1001, reason: 'Server shutting down' }));
    expect(await exit).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  }, 30_000);
});
