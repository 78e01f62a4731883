/**
 * OpenEyeClient against a scripted in-process WebSocket (see helpers/fake-socket.ts) and fake
 * timers: the timing edge cases. The same behaviours against the real server are in
 * integration.test.ts.
 */
import type { ServerMessage } from '@openeye/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { alert, cameraEvent, FakeSocket, statistics } from '../test/helpers/fake-socket.js';
import { type ClientOptions, OpenEyeClient } from './index.js';

const BASE = 'http://server.test';

function makeClient(options: ClientOptions = {}) {
  const client = new OpenEyeClient({
    baseUrl: BASE,
    WebSocket: FakeSocket,
    backoff: { baseMs: 100, capMs: 1000 },
    ...options,
  });
  const statuses: string[] = [];
  client.on('status_change', (change) => statuses.push(change.status));
  const delivered: string[] = [];
  client.on('alert', (m) => delivered.push(m.id));
  client.on('camera_event', (m) => delivered.push(m.id));
  return { client, statuses, delivered };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

type Route = (url: URL) => { status: number; body?: unknown } | undefined;
function fakeFetch(route: Route) {
  const calls: { url: URL; authorization: string | null }[] = [];
  const impl = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const headers = new Headers(init?.headers);
    calls.push({ url, authorization: headers.get('authorization') });
    const answer = route(url) ?? { status: 404, body: { error: 'not_found', message: 'Not found' } };
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status });
  };
  return { fetch: impl as typeof fetch, calls };
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('OpenEyeClient: connecting', () => {
  it('goes connecting → connected on the welcome, the token sent as the first message, not in the URL', async () => {
    const { client, statuses } = makeClient();
    expect(client.getStatus()).toBe('disconnected');
    client.connect('jwt-1');
    expect(client.getStatus()).toBe('connecting');
    await flush();
    const socket = FakeSocket.last();
    expect(socket.url.pathname).toBe('/api/ws/statistics');
    expect(socket.url.protocol).toBe('ws:');
    expect(socket.url.searchParams.get('auth')).toBe('message');
    expect(socket.url.searchParams.has('token')).toBe(false);
    expect(socket.url.searchParams.has('last_event_id')).toBe(false);
    socket.open();
    expect(socket.sent[0]).toEqual({ type: 'auth', token: 'jwt-1' });
    expect(client.isConnected()).toBe(false);
    socket.welcome();
    expect(client.isConnected()).toBe(true);
    expect(statuses).toEqual(['connecting', 'connected']);
  });

  it('puts the token in the URL, as the guide does, with tokenInUrl', async () => {
    const { client } = makeClient({ tokenInUrl: true });
    client.connect('jwt-1');
    await flush();
    const socket = FakeSocket.last();
    expect(socket.url.searchParams.get('token')).toBe('jwt-1');
    expect(socket.url.searchParams.has('auth')).toBe(false);
    socket.open();
    expect(socket.sent).toEqual([]);
  });

  it('status_change carries {status, previousStatus, timestamp}', async () => {
    const { client } = makeClient();
    const changes: unknown[] = [];
    client.on('status_change', (c) => changes.push(c));
    client.connect('t');
    expect(changes[0]).toMatchObject({ status: 'connecting', previousStatus: 'disconnected' });
    expect(typeof (changes[0] as { timestamp: string }).timestamp).toBe('string');
  });

  it('is a no-op while already active, and throws without baseUrl or WebSocket outside a browser', async () => {
    const { client } = makeClient();
    client.connect('t');
    client.connect('t');
    await flush();
    expect(FakeSocket.instances).toHaveLength(1);
    expect(() => new OpenEyeClient({ WebSocket: FakeSocket }).connect('t')).toThrow(/baseUrl/);
    expect(() => new OpenEyeClient({ baseUrl: BASE }).connect('t')).toThrow(/WebSocket/);
    expect(() => new OpenEyeClient({ pollIntervalMs: -1 })).toThrow(/pollIntervalMs/);
  });

  it('on() returns an unsubscribe function; off() removes; every server message goes to "message"', async () => {
    const { client } = makeClient();
    const stats: unknown[] = [];
    const all: string[] = [];
    const stop = client.on('statistics_update', (m) => stats.push(m.data));
    client.on('message', (m) => all.push(m.type));
    client.connect('t');
    await flush();
    const socket = FakeSocket.last();
    socket.welcome();
    socket.receive({ type: 'statistics_update', timestamp: new Date().toISOString(), data: statistics });
    stop();
    socket.receive({ type: 'statistics_update', timestamp: new Date().toISOString(), data: statistics });
    socket.receive({ type: 'pong', timestamp: new Date().toISOString() });
    expect(stats).toHaveLength(1);
    expect(client.getStatistics()).toEqual(statistics);
    expect(all).toEqual(['connection_status', 'statistics_update', 'statistics_update', 'pong']);
  });

  it('ignores invalid frames', async () => {
    const { client } = makeClient();
    const all: string[] = [];
    client.on('message', (m) => all.push(m.type));
    client.connect('t');
    await flush();
    const socket = FakeSocket.last();
    socket.welcome();
    socket.onmessage?.({ data: 'not json' });
    socket.onmessage?.({ data: '[1,2]' });
    socket.onmessage?.({ data: new Uint8Array([1]) });
    expect(all).toEqual(['connection_status']);
  });

  it('disconnect() closes with 1000, goes disconnected and never reconnects', async () => {
    const { client, statuses } = makeClient();
    client.connect('t');
    await flush();
    const socket = FakeSocket.last();
    socket.welcome();
    client.disconnect();
    expect(socket.closedWith?.code).toBe(1000);
    expect(statuses.at(-1)).toBe('disconnected');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });
});

describe('OpenEyeClient: reconnecting and resuming', () => {
  it('reconnects with backoff after 1006 and resumes from the last delivered event', async () => {
    const { client, statuses, delivered } = makeClient();
    client.connect('t');
    await flush();
    const first = FakeSocket.last();
    first.welcome();
    first.receive(alert('41'));
    first.receive(cameraEvent('42'));
    first.serverClose(1006);
    expect(client.getStatus()).toBe('reconnecting');
    expect(client.getLastError()).toContain('1006');
    await vi.advanceTimersByTimeAsync(100);
    const second = FakeSocket.last();
    expect(second).not.toBe(first);
    expect(second.url.searchParams.get('last_event_id')).toBe('42');
    second.welcome({ resumed: true, last_event_id: '43' });
    second.receive(cameraEvent('42'));
    second.receive(alert('43'));
    expect(delivered).toEqual(['41', '42', '43']);
    expect(client.getLastEventId()).toBe('43');
    expect(statuses).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('never delivers an event twice, whatever the server repeats', async () => {
    const { client, delivered } = makeClient();
    const messages: ServerMessage[] = [];
    client.on('message', (m) => messages.push(m));
    client.connect('t');
    await flush();
    const socket = FakeSocket.last();
    socket.welcome();
    for (const id of ['1', '2', '2', '1', '3', '3']) socket.receive(alert(id));
    expect(delivered).toEqual(['1', '2', '3']);
    expect(messages.filter((m) => m.type === 'alert')).toHaveLength(3);
  });

  it('adopts the welcome last_event_id as cursor when it has none, so a later resume misses nothing', async () => {
    const { client } = makeClient();
    client.connect('t');
    await flush();
    FakeSocket.last().welcome({ last_event_id: '17' });
    expect(client.getLastEventId()).toBe('17');
    FakeSocket.last().serverClose(1001, 'Server shutting down');
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.last().url.searchParams.get('last_event_id')).toBe('17');
  });

  it('starts from the lastEventId option', async () => {
    const { client, delivered } = makeClient({ lastEventId: '100' });
    client.connect('t');
    await flush();
    const socket = FakeSocket.last();
    expect(socket.url.searchParams.get('last_event_id')).toBe('100');
    socket.welcome({ resumed: true, last_event_id: '101' });
    socket.receive(alert('100'));
    socket.receive(alert('101'));
    expect(delivered).toEqual(['101']);
  });

  it('emits gap when the welcome says resumed: false', async () => {
    const { client } = makeClient({ lastEventId: '5' });
    const gaps: unknown[] = [];
    client.on('gap', (g) => gaps.push(g));
    client.connect('t');
    await flush();
    FakeSocket.last().welcome({ resumed: false, last_event_id: '900' });
    expect(gaps).toEqual([expect.objectContaining({ type: 'gap', source: 'websocket', lastEventId: '5' })]);
    expect(client.getLastEventId()).toBe('5');
  });

  it('continues from the server newest id when the server history restarted behind the cursor', async () => {
    const { client, delivered } = makeClient({ lastEventId: '500' });
    client.connect('t');
    await flush();
    const socket = FakeSocket.last();
    socket.welcome({ resumed: false, last_event_id: '3' });
    socket.receive(alert('4'));
    expect(delivered).toEqual(['4']);
  });

  it('ignores callbacks of a stale socket', async () => {
    const { client, delivered } = makeClient();
    client.connect('t');
    await flush();
    const first = FakeSocket.last();
    const staleMessage = first.onmessage!;
    const staleClose = first.onclose!;
    first.welcome();
    first.serverClose(1006);
    await vi.advanceTimersByTimeAsync(100);
    const second = FakeSocket.last();
    second.welcome();
    staleMessage({ data: JSON.stringify(alert('9')) });
    staleClose({ code: 1006, reason: '' });
    expect(delivered).toEqual([]);
    expect(client.getStatus()).toBe('connected');
  });

  it('fails over to the next baseUrl after a failure', async () => {
    const { client } = makeClient({ baseUrl: ['http://a.test', 'https://b.test/prefix'] });
    client.connect('t');
    await flush();
    expect(FakeSocket.last().url.host).toBe('a.test');
    FakeSocket.last().serverClose(1006);
    await vi.advanceTimersByTimeAsync(100);
    const second = FakeSocket.last();
    expect(second.url.toString()).toMatch(/^wss:\/\/b\.test\/prefix\/api\/ws\/statistics\?/);
    second.welcome();
    second.serverClose(1001, 'Server shutting down');
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.last().url.host).toBe('a.test');
  });

  it('backs off exponentially and gives up only at maxAttempts', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const { client, statuses } = makeClient({
      backoff: { baseMs: 100, capMs: 1000, maxAttempts: 4 },
      pollingAfterFailures: 99,
    });
    client.connect('t');
    await flush();
    const waits = [99, 199, 399, 799];
    for (const wait of waits) {
      const count = FakeSocket.instances.length;
      FakeSocket.last().serverClose(1006);
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(FakeSocket.instances).toHaveLength(count);
      await vi.advanceTimersByTimeAsync(1);
      expect(FakeSocket.instances).toHaveLength(count + 1);
    }
    FakeSocket.last().serverClose(1006);
    expect(client.getStatus()).toBe('error');
    expect(client.getLastError()).toMatch(/Gave up after 4 attempts/);
    expect(statuses.at(-1)).toBe('error');
    vi.restoreAllMocks();
  });

  it('retries at once when the browser comes back online', async () => {
    const g = globalThis as Record<string, unknown>;
    g.window = new EventTarget();
    try {
      const { client } = makeClient({ backoff: { baseMs: 60_000, capMs: 60_000 } });
      vi.spyOn(Math, 'random').mockReturnValue(0.5);
      client.connect('t');
      await flush();
      FakeSocket.last().serverClose(1006);
      await flush();
      expect(FakeSocket.instances).toHaveLength(1);
      (g.window as EventTarget).dispatchEvent(new Event('online'));
      await flush();
      expect(FakeSocket.instances).toHaveLength(2);
      client.disconnect();
    } finally {
      delete g.window;
      vi.restoreAllMocks();
    }
  });
});

describe('OpenEyeClient: authentication', () => {
  it('asks getToken for a fresh token after 1008 Token expired, and goes error + auth_error on a second refusal', async () => {
    let n = 0;
    const getToken = vi.fn(() => `token-${++n}`);
    const { client, statuses } = makeClient({ getToken });
    const authErrors: unknown[] = [];
    client.on('auth_error', (e) => authErrors.push(e));
    client.connect();
    await flush();
    FakeSocket.last().open();
    expect(FakeSocket.last().sentOfType('auth')).toEqual([{ type: 'auth', token: 'token-1' }]);
    FakeSocket.last().welcome();
    FakeSocket.last().serverClose(1008, 'Token expired');
    await flush();
    expect(FakeSocket.instances).toHaveLength(2);
    FakeSocket.last().open();
    expect(FakeSocket.last().sentOfType('auth')).toEqual([{ type: 'auth', token: 'token-2' }]);
    FakeSocket.last().serverClose(1008, 'Invalid token');
    expect(client.getStatus()).toBe('error');
    expect(authErrors).toEqual([expect.objectContaining({ type: 'auth_error', reason: 'Invalid token', code: 1008 })]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(FakeSocket.instances).toHaveLength(2);
    expect(statuses).toEqual(['connecting', 'connected', 'reconnecting', 'error']);
  });

  it('stays on the retry path when the fresh token works', async () => {
    let n = 0;
    const { client } = makeClient({ getToken: () => `token-${++n}` });
    client.connect();
    await flush();
    FakeSocket.last().serverClose(1008, 'Invalid token');
    await flush();
    FakeSocket.last().welcome();
    expect(client.getStatus()).toBe('connected');
    FakeSocket.last().serverClose(1008, 'Token expired');
    await flush();
    expect(client.getStatus()).toBe('reconnecting');
    expect(FakeSocket.instances).toHaveLength(3);
  });

  it('goes error at once without getToken, or when getToken has nothing', async () => {
    const a = makeClient();
    a.client.connect('expired');
    await flush();
    FakeSocket.last().serverClose(1008, 'Token expired');
    expect(a.client.getStatus()).toBe('error');

    const b = makeClient({ getToken: () => null });
    const errors: unknown[] = [];
    b.client.on('auth_error', (e) => errors.push(e));
    b.client.connect('given');
    await flush();
    FakeSocket.last().serverClose(1008, 'Authentication required');
    await flush();
    expect(b.client.getStatus()).toBe('error');
    expect(errors).toEqual([expect.objectContaining({ reason: 'No token available', code: null })]);
  });

  it('sends a fresh token as `auth` before expiry, without reconnecting; auth_ok reschedules', async () => {
    let n = 0;
    const { client, statuses } = makeClient({
      getToken: async () => `token-${++n}`,
      refreshBeforeExpiryMs: 3000,
      tokenInUrl: true,
    });
    client.connect();
    await flush();
    const socket = FakeSocket.last();
    const t0 = Date.now();
    socket.welcome({
      timestamp: new Date(t0).toISOString(),
      token_expires_at: new Date(t0 + 10_000).toISOString(),
    });
    await vi.advanceTimersByTimeAsync(6999);
    expect(socket.sentOfType('auth')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.sentOfType('auth')).toEqual([{ type: 'auth', token: 'token-2' }]);
    const t1 = Date.now();
    socket.receive({
      type: 'auth_ok',
      timestamp: new Date(t1).toISOString(),
      token_expires_at: new Date(t1 + 10_000).toISOString(),
    });
    await vi.advanceTimersByTimeAsync(7000);
    expect(socket.sentOfType('auth')).toHaveLength(2);
    expect(statuses).toEqual(['connecting', 'connected']);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it('refreshes a token shorter-lived than refreshBeforeExpiryMs at half its lifetime', async () => {
    const { client } = makeClient({ getToken: () => 'fresh', refreshBeforeExpiryMs: 60_000, tokenInUrl: true });
    client.connect();
    await flush();
    const t0 = Date.now();
    FakeSocket.last().welcome({
      timestamp: new Date(t0).toISOString(),
      token_expires_at: new Date(t0 + 4000).toISOString(),
    });
    await vi.advanceTimersByTimeAsync(2000);
    expect(FakeSocket.last().sentOfType('auth')).toHaveLength(1);
  });
});

describe('OpenEyeClient: heartbeat', () => {
  it('pings every half interval and drops a connection silent for two intervals', async () => {
    const { client } = makeClient();
    client.connect('t');
    await flush();
    const socket = FakeSocket.last();
    socket.welcome({ heartbeat_interval_ms: 1000 });
    await vi.advanceTimersByTimeAsync(500);
    expect(socket.sentOfType('ping')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    socket.receive({ type: 'pong', timestamp: new Date().toISOString() });
    await vi.advanceTimersByTimeAsync(1999);
    expect(client.getStatus()).toBe('connected');
    await vi.advanceTimersByTimeAsync(1);
    expect(client.getStatus()).toBe('reconnecting');
    expect(socket.closedWith?.code).toBe(4000);
    expect(client.getLastError()).toMatch(/two heartbeat intervals/);
  });

  it('gives up an attempt that gets no welcome within connectTimeoutMs', async () => {
    const { client } = makeClient({ connectTimeoutMs: 2000 });
    client.connect('t');
    await flush();
    FakeSocket.last().open();
    await vi.advanceTimersByTimeAsync(2000);
    expect(client.getStatus()).toBe('reconnecting');
    expect(FakeSocket.last().closedWith).not.toBeNull();
  });
});

describe('OpenEyeClient: subscriptions', () => {
  it('re-sends what the application asked for after every welcome, and filters replays locally', async () => {
    const { client, delivered } = makeClient({ eventTypes: ['camera_event', 'alert'] });
    client.subscribe(['presence_update'], { cameraIds: [1] });
    client.connect('t');
    await flush();
    let socket = FakeSocket.last();
    socket.welcome();
    expect(socket.sentOfType('subscribe')).toEqual([
      { type: 'subscribe', event_types: ['camera_event', 'alert', 'presence_update'], camera_ids: [1] },
    ]);
    expect(socket.sentOfType('unsubscribe')).toEqual([{ type: 'unsubscribe', event_types: ['statistics_update'] }]);
    const stats: unknown[] = [];
    client.on('statistics_update', (m) => stats.push(m));
    socket.receive({ type: 'statistics_update', timestamp: new Date().toISOString(), data: statistics });
    socket.receive(cameraEvent('1', 2));
    socket.receive(cameraEvent('2', 1));
    socket.receive(alert('3', 2));
    socket.receive(alert('4'));
    expect(stats).toEqual([]);
    expect(delivered).toEqual(['2', '4']);

    client.unsubscribe(['presence_update']);
    expect(socket.sentOfType('unsubscribe').at(-1)).toEqual({ type: 'unsubscribe', event_types: ['presence_update'] });
    socket.serverClose(1006);
    await vi.advanceTimersByTimeAsync(1000);
    socket = FakeSocket.last();
    socket.welcome({
      subscriptions: { event_types: ['camera_event', 'alert'], camera_ids: [1] },
    });
    expect(socket.sentOfType('subscribe')).toEqual([]);
    expect(socket.sentOfType('unsubscribe')).toEqual([]);
  });

  it('send() is false without an open socket', async () => {
    const { client } = makeClient();
    expect(client.send({ type: 'ping' })).toBe(false);
    client.connect('t');
    await flush();
    FakeSocket.last().welcome();
    expect(client.send({ type: 'ping' })).toBe(true);
  });
});

describe('OpenEyeClient: polling fallback', () => {
  function server(events: ServerMessage[], opts: { goneAfter?: string } = {}) {
    return fakeFetch((url) => {
      if (url.pathname === '/api/statistics') return { status: 200, body: statistics };
      if (url.pathname === '/api/events') {
        const after = url.searchParams.get('after');
        const newest = events.at(-1) as { id: string } | undefined;
        if (after === null) {
          const limit = Number(url.searchParams.get('limit') ?? 100);
          return {
            status: 200,
            body: { events: events.slice(-limit), last_event_id: newest?.id ?? null, has_more: false },
          };
        }
        if (opts.goneAfter !== undefined && Number(after) < Number(opts.goneAfter)) {
          return { status: 410, body: { error: 'gone', message: 'History does not reach that id' } };
        }
        const list = events.filter((e) => Number((e as { id: string }).id) > Number(after));
        return { status: 200, body: { events: list, last_event_id: newest?.id ?? null, has_more: false } };
      }
      return undefined;
    });
  }

  it('polls after N failed attempts, then returns to connected with no duplicates', async () => {
    const events: ServerMessage[] = [alert('11'), cameraEvent('12')];
    const http = server(events);
    const { client, statuses, delivered } = makeClient({
      lastEventId: '10',
      fetch: http.fetch,
      getToken: () => 'tok',
      pollingAfterFailures: 3,
      pollIntervalMs: 1000,
    });
    const stats: unknown[] = [];
    client.on('statistics_update', (m) => stats.push(m.data));
    client.connect();
    for (let i = 0; i < 3; i++) {
      await flush();
      FakeSocket.last().serverClose(1006);
      if (i < 2) await vi.advanceTimersByTimeAsync(1000);
    }
    expect(client.getStatus()).toBe('polling');
    await flush();
    expect(stats).toEqual([statistics]);
    expect(delivered).toEqual(['11', '12']);
    expect(http.calls.every((c) => c.authorization === 'Bearer tok')).toBe(true);
    expect(http.calls.find((c) => c.url.pathname === '/api/events')?.url.searchParams.get('after')).toBe('10');

    events.push(alert('13'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(delivered).toEqual(['11', '12', '13']);

    // The socket was tried again in the background (attempt made before '13' was polled);
    // it opens now and replays from its cursor: what polling already delivered is dropped.
    const socket = FakeSocket.last();
    expect(socket.url.searchParams.get('last_event_id')).toBe('12');
    socket.welcome({ resumed: true, last_event_id: '14' });
    socket.receive(alert('13'));
    socket.receive(alert('14'));
    expect(client.getStatus()).toBe('connected');
    expect(delivered).toEqual(['11', '12', '13', '14']);
    const callsAtSwitch = http.calls.length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(http.calls.length).toBe(callsAtSwitch);
    expect(statuses).toEqual(['connecting', 'reconnecting', 'polling', 'connected']);
  });

  it('starts from the newest event when it has no cursor, and emits gap on HTTP 410', async () => {
    const events: ServerMessage[] = [alert('50')];
    const http = server(events, { goneAfter: '40' });
    const { client, delivered } = makeClient({ fetch: http.fetch, pollingAfterFailures: 1, pollIntervalMs: 1000 });
    const gaps: unknown[] = [];
    client.on('gap', (g) => gaps.push(g));
    client.connect('t');
    await flush();
    FakeSocket.last().serverClose(1006);
    await flush();
    expect(client.getStatus()).toBe('polling');
    expect(client.getLastEventId()).toBe('50');
    expect(delivered).toEqual([]);

    const b = makeClient({ fetch: http.fetch, pollingAfterFailures: 1, pollIntervalMs: 1000, lastEventId: '30' });
    b.client.on('gap', (g) => gaps.push(g));
    b.client.connect('t');
    await flush();
    FakeSocket.last().serverClose(1006);
    await flush();
    expect(gaps).toEqual([expect.objectContaining({ source: 'polling', lastEventId: '30', resumeFrom: '50' })]);
    events.push(alert('51'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.delivered).toEqual(['51']);
    client.disconnect();
    b.client.disconnect();
  });

  it('a brand-new client polls from the position at connect(): an alert posted before the first poll is delivered', async () => {
    const events: ServerMessage[] = [alert('50')];
    const http = server(events);
    const { client, delivered } = makeClient({ fetch: http.fetch, pollingAfterFailures: 3, pollIntervalMs: 1000 });
    client.connect('t');
    await flush();
    expect(client.getLastEventId()).toBe('50'); // asked at connect(): GET /api/events?limit=1
    events.push(alert('51')); // posted while the socket attempts fail, before the first poll
    for (let i = 0; i < 3; i++) {
      await flush();
      FakeSocket.last().serverClose(1006);
      if (i < 2) await vi.advanceTimersByTimeAsync(1000);
    }
    expect(client.getStatus()).toBe('polling');
    await flush();
    expect(delivered).toEqual(['51']);
    events.push(alert('52'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(delivered).toEqual(['51', '52']);
    client.disconnect();
  });

  it('the first poll waits for the position asked at connect() when it has not come back yet', async () => {
    const events: ServerMessage[] = [alert('50')];
    const http = server(events);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first = true;
    const slowFirst: typeof fetch = async (input, init) => {
      if (first) {
        first = false;
        await held;
      }
      return http.fetch(input, init);
    };
    const { client, delivered } = makeClient({ fetch: slowFirst, pollingAfterFailures: 1, pollIntervalMs: 1000 });
    client.connect('t');
    await flush();
    FakeSocket.last().serverClose(1006);
    await flush();
    expect(client.getStatus()).toBe('polling');
    const eventCalls = () =>
      http.calls.filter((c) => c.url.pathname === '/api/events').map((c) => c.url.searchParams.toString());
    expect(eventCalls()).toEqual([]); // the poll did not go and take the newest id itself
    release();
    await flush();
    expect(eventCalls()).toEqual(['limit=1', 'after=50&limit=1000&types=camera_event%2Calert']);
    events.push(alert('51'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(delivered).toEqual(['51']);
    client.disconnect();
  });

  it('a socket opened before that position came back fetches what was posted in between', async () => {
    const events: ServerMessage[] = [alert('50')];
    const http = server(events);
    const { client, delivered } = makeClient({ fetch: http.fetch });
    client.connect('t');
    await flush();
    const socket = FakeSocket.last();
    expect(socket.url.searchParams.get('last_event_id')).toBeNull();
    expect(client.getLastEventId()).toBe('50');
    events.push(alert('51'), cameraEvent('52'));
    socket.welcome({ last_event_id: '52' });
    await flush();
    socket.receive(alert('53'));
    expect(delivered).toEqual(['51', '52', '53']);
    expect(client.getLastEventId()).toBe('53');
    client.disconnect();
  });

  it('a welcome that comes before that position is the starting point, as before', async () => {
    const events: ServerMessage[] = [alert('50')];
    const http = server(events);
    const { client, delivered } = makeClient({ fetch: http.fetch });
    client.connect('t');
    await Promise.resolve();
    await Promise.resolve();
    const socket = FakeSocket.last();
    events.push(alert('51'));
    socket.welcome({ last_event_id: '51' });
    expect(client.getLastEventId()).toBe('51');
    await flush(); // the answer (51 as well) is dropped: the welcome came first
    socket.receive(alert('52'));
    expect(delivered).toEqual(['52']);
    client.disconnect();
  });

  it('delivers everything once the history, empty when last seen, fills up (no cursor to resume from)', async () => {
    const events: ServerMessage[] = [];
    const http = server(events);
    const { client, delivered } = makeClient({ fetch: http.fetch, pollingAfterFailures: 1, pollIntervalMs: 1000 });
    client.connect('t');
    await flush();
    FakeSocket.last().welcome({ last_event_id: null });
    FakeSocket.last().serverClose(1006);
    await vi.advanceTimersByTimeAsync(100);
    FakeSocket.last().serverClose(1006);
    await flush();
    expect(client.getStatus()).toBe('polling');
    events.push(alert('1'), alert('2'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(delivered).toEqual(['1', '2']);
    events.push(alert('3'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(delivered).toEqual(['1', '2', '3']);
    client.disconnect();
  });

  it('goes polling at once on 1008 Rate limit exceeded and waits at least 30 s before the next attempt', async () => {
    const http = server([]);
    const { client } = makeClient({ fetch: http.fetch });
    vi.spyOn(Math, 'random').mockReturnValue(0);
    client.connect('t');
    await flush();
    FakeSocket.last().serverClose(1008, 'Rate limit exceeded');
    expect(client.getStatus()).toBe('polling');
    await flush();
    expect(client.getStatistics()).toEqual(statistics);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(FakeSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.instances).toHaveLength(2);
    client.disconnect();
    vi.restoreAllMocks();
  });

  it('ends in auth_error when polling keeps answering 401', async () => {
    const http = fakeFetch(() => ({ status: 401, body: { error: 'unauthorized', message: 'Token expired' } }));
    const { client } = makeClient({
      fetch: http.fetch,
      getToken: () => 'old',
      pollingAfterFailures: 1,
      pollIntervalMs: 1000,
    });
    const errors: unknown[] = [];
    client.on('auth_error', (e) => errors.push(e));
    client.connect();
    await flush();
    FakeSocket.last().serverClose(1006);
    await flush();
    expect(client.getStatus()).toBe('polling');
    await vi.advanceTimersByTimeAsync(1000);
    expect(client.getStatus()).toBe('error');
    expect(errors).toEqual([expect.objectContaining({ code: 401 })]);
  });
});

describe('OpenEyeClient: live camera views', () => {
  const frameBytes = async (cameraId: number, seq: number) => {
    const { encodeFrame } = await import('@openeye/protocol/media');
    return encodeFrame(
      { cameraId, seq, timestamp: 1_000 + seq, contentType: 'image/jpeg', width: 2, height: 1 },
      new Uint8Array([0xff, 0xd8, 0xff, seq]),
    );
  };

  it('watches once per camera, gives frames to its listeners, unwatches after the last, and re-watches after a reconnect', async () => {
    const { client } = makeClient({ tokenInUrl: true });
    client.connect('t');
    await flush();
    const socket = FakeSocket.last();
    socket.welcome();
    const a: number[] = [];
    const b: number[] = [];
    const stopA = client.watch(7, { maxFps: 4 }, (f) => a.push(f.seq));
    const stopB = client.watch(7, {}, (f) => b.push(f.seq));
    const other = client.watch(8, {}, () => undefined);
    expect(socket.sentOfType('watch')).toEqual([
      { type: 'watch', camera_id: 7, max_fps: 4 },
      { type: 'watch', camera_id: 8 },
    ]);
    socket.onmessage?.({ data: (await frameBytes(7, 1)).buffer });
    socket.onmessage?.({ data: (await frameBytes(9, 2)).buffer });
    expect(a).toEqual([1]);
    expect(b).toEqual([1]);
    stopA();
    expect(socket.sentOfType('unwatch')).toEqual([]);
    stopB();
    expect(socket.sentOfType('unwatch')).toEqual([{ type: 'unwatch', camera_id: 7 }]);
    // A new connection (another node, say) is told again what is watched.
    socket.serverClose(1001, 'Server shutting down');
    await vi.advanceTimersByTimeAsync(1500);
    const next = FakeSocket.last();
    next.welcome();
    expect(next.sentOfType('watch')).toEqual([{ type: 'watch', camera_id: 8 }]);
    other();
  });
});
