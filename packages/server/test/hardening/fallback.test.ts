/**
 * Hardening catalogue, "Fallback" (items 48-50): the polling endpoints under abuse, and what
 * /api/ws/status and /metrics reveal. Item 48 (the client switching to polling and back) is
 * covered in packages/client/test/integration.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { api, connect } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t?.close());

describe('fallback abuse', () => {
  it('49: polling with absurd or hostile parameters gets 400, never a 500; no or expired token gets 401', async () => {
    const viewer = await t.tokenFor('poller', 'viewer');
    const expired = t.server.jwt.sign({ id: await t.userId('poller'), username: 'poller', role: 'viewer' }, -60);
    const cases: Array<[string, string | undefined, number]> = [
      ['/api/events?limit=1000000000', viewer, 400],
      ['/api/events?limit=-1', viewer, 400],
      ['/api/events?limit=1000', viewer, 200],
      ['/api/events?after=abc', viewer, 400],
      ['/api/events?after=1e5', viewer, 400],
      ['/api/events?after=-1', viewer, 400],
      [`/api/events?after=${'9'.repeat(40)}`, viewer, 400], // not an id at all, not a gap (410)
      [`/api/events?types=${'alert,'.repeat(1700)}alert`, viewer, 400], // types: at most 256 characters
      [`/api/events?types=${'x'.repeat(10 * 1024)}`, viewer, 400],
      ['/api/events?after[]=1&after[]=2', viewer, 200], // `after[]` is not a parameter: ignored
      ['/api/events?after=1&after=2', viewer, 400], // a repeated parameter is an array, refused
      ['/api/events?__proto__[x]=1', viewer, 200], // ignored, pollutes nothing
      ['/api/events', undefined, 401],
      ['/api/events', expired, 401],
      ['/api/statistics', undefined, 401],
      ['/api/statistics', expired, 401],
      ['/api/statistics', 'garbage', 401],
    ];
    for (const [path, token, expected] of cases) {
      const r = await api(t.url, 'GET', path, token);
      expect(r.status, `${path.slice(0, 80)}: ${r.text.slice(0, 120)}`).toBe(expected);
      expect(r.text).not.toMatch(/at .*\.(js|ts):\d+/);
    }
    const capped = await api(t.url, 'GET', '/api/events?limit=1000', viewer);
    expect(capped.body.events.length).toBeLessThanOrEqual(1000);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('49: a client polling in a tight loop gets 429 with Retry-After, others are unaffected', async () => {
    const greedy = await t.tokenFor('greedy', 'viewer');
    const calm = await t.tokenFor('calm', 'viewer');
    // One user's bucket: a burst of 60, then 20 a second, for both polling routes. 150 requests
    // fired at once outrun the refill unless they take more than 4.5 s, so some are refused
    // however slow the machine (a sequential loop is not: it may be slower than the refill).
    const answers = await Promise.all(
      Array.from({ length: 150 }, async (_, i) => {
        const route = i % 2 === 0 ? '/api/statistics' : '/api/events';
        const res = await fetch(`${t.url}${route}`, { headers: { authorization: `Bearer ${greedy}` } });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
      }),
    );
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect(ok.length + limited.length, JSON.stringify(answers.map((a) => a.status))).toBe(150);
    expect(ok.length).toBeGreaterThanOrEqual(60);
    expect(limited.length).toBeGreaterThan(0);
    for (const a of limited) {
      expect(a.retryAfter).toBe('1');
      expect(JSON.parse(a.body)).toMatchObject({ error: 'rate_limited' });
    }
    expect((await api(t.url, 'GET', '/api/events', calm)).status).toBe(200);
    expect((await api(t.url, 'GET', '/api/statistics', calm)).status).toBe(200);
  });

  it('50: /api/ws/status shows a non-admin only itself; /metrics labels carry no user ids, names or tokens', async () => {
    const secretName = 'metrics-secret-username';
    const token = await t.tokenFor(secretName, 'viewer');
    const other = await t.tokenFor('status-viewer', 'viewer');
    const a = connect(t.url, { token });
    const b = connect(t.url, { token: other });
    await Promise.all([a.next('connection_status'), b.next('connection_status')]);
    const mine = await api(t.url, 'GET', '/api/ws/status', other);
    expect(Object.keys(mine.body.statistics.connections_by_user)).toEqual([String(await t.userId('status-viewer'))]);
    expect(mine.text).not.toContain(String(await t.userId(secretName)));
    const metrics = (await api(t.url, 'GET', '/metrics')).text;
    expect(metrics).not.toContain(secretName);
    expect(metrics).not.toContain(token);
    expect(metrics).not.toContain(other);
    const labels = new Set([...metrics.matchAll(/[{,]([a-z_]+)="/g)].map((m) => m[1]));
    expect(labels.size).toBeGreaterThan(0);
    for (const l of labels) expect(['user', 'user_id', 'username', 'token', 'conn', 'remote']).not.toContain(l);
    a.close();
    b.close();
  });
});
