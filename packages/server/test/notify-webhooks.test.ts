/**
 * Escalation to webhooks (issue 13): rules, signed deliveries from the durable outbox, retries with
 * backoff then dead letters, the delivery log and "send again", receivers that misbehave, and
 * endpoints that may not be reached.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../test/support/wait.js';
import { checkEndpointUrl, isPrivateAddress } from '../src/notify/address.js';
import { retryDelay } from '../src/notify/outbox.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { api } from './helpers.js';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A webhook receiver on loopback whose behaviour depends on the path. */
async function receiver() {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  /** Bytes the /huge receiver got into the socket, per request. */
  const hugeWritten: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      if (path.startsWith('/ok')) res.writeHead(204).end();
      else if (path === '/fail-twice') res.writeHead(n <= 2 ? 500 : 200).end('{}');
      else if (path === '/always-500') res.writeHead(500).end('nope');
      else if (path === '/redirect') res.writeHead(302, { location: '/ok-redirected' }).end();
      else if (path === '/hang') {
        // Never answers.
      } else if (path === '/huge') {
        // 50 MB, if anybody reads it.
        res.writeHead(500, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 120);
        const i = hugeWritten.push(0) - 1;
        const pump = () => {
          while (hugeWritten[i]! < 50 * 1024 * 1024) {
            hugeWritten[i]! += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => undefined);
        pump();
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    of: (path: string) => received.filter((r) => r.path === path),
    hugeWritten: () => hugeWritten,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function until<T>(check: () => T | undefined | false, ms = 5000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function verify(secret: string, header: string, body: string, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return expected === parts.v1;
}

describe('webhooks', () => {
  let t: TestServer;
  let rx: Awaited<ReturnType<typeof receiver>>;
  let producer: string;
  let viewer: string;
  let camera: number;

  beforeAll(async () => {
    rx = await receiver();
    t = await startTestServer({
      env: {
        OPENEYE_WEBHOOK_ALLOW_PRIVATE: 'true',
        OPENEYE_NOTIFY_RETRY_BASE_MS: '100',
        OPENEYE_NOTIFY_TIMEOUT_MS: '800',
        OPENEYE_NOTIFY_RETRY_FOR_SECONDS: '4',
      },
    });
    producer = await t.tokenFor('hook-producer', 'producer');
    viewer = await t.tokenFor('hook-viewer', 'viewer');
    camera = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Gate' })).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await rx?.close();
  });

  const hook = async (path: string) => {
    const r = await api(t.url, 'POST', '/api/webhooks', t.adminToken, { name: path, url: `${rx.base}${path}` });
    expect(r.status).toBe(201);
    return r.body as { id: number; secret: string; secret_prefix: string };
  };
  const rule = async (body: Record<string, unknown>) => {
    const r = await api(t.url, 'POST', '/api/escalation-rules', t.adminToken, { name: 'rule', ...body });
    expect(r.status).toBe(201);
    return r.body as { id: number };
  };
  const raise = async (message: string, alert_type = 'critical', camera_id = camera) =>
    (await api(t.url, 'POST', '/api/alerts', producer, { alert_type, message, camera_id })).body;
  /** Each test's own camera, so that one test's open alerts do not match another's rule. */
  const newCamera = async (name: string) =>
    (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name })).body.id as number;

  it('an alert left open escalates once to a signed webhook whose body is the alert; secrets never logged', async () => {
    const w = await hook('/ok-signed');
    expect(w.secret).toMatch(/^whsec_/);
    const listed = await api(t.url, 'GET', '/api/webhooks', t.adminToken);
    expect(JSON.stringify(listed.body)).not.toContain(w.secret);
    const r = await rule({ alert_types: ['critical'], camera_ids: [camera], after_seconds: 1, webhook_ids: [w.id] });
    const ignored = await raise('Only a warning', 'warning');
    const alert = await raise('Signed');
    const [got] = await until(() => rx.of('/ok-signed').length > 0 && rx.of('/ok-signed'), 5000, 'delivery');
    expect(got!.at - Date.parse(alert.timestamp)).toBeGreaterThanOrEqual(900);
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.headers['x-openeye-event']).toBe('alert.escalated');
    expect(verify(w.secret, String(got!.headers['x-openeye-signature']), got!.body)).toBe(true);
    expect(verify('whsec_wrong', String(got!.headers['x-openeye-signature']), got!.body)).toBe(false);
    const body = JSON.parse(got!.body);
    expect(body).toMatchObject({
      type: 'alert.escalated',
      alert: { id: alert.id, state: 'open', message: 'Signed', camera_id: camera, alert_type: 'critical' },
      rule: { id: r.id },
    });
    await sleep(1500);
    expect(rx.of('/ok-signed')).toHaveLength(1);
    expect(rx.received.some((x) => x.body.includes(`"id":"${ignored.id}"`))).toBe(false);
    const log = await api(t.url, 'GET', `/api/webhooks/${w.id}/deliveries`, t.adminToken);
    expect(log.body[0]).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 204, alert_id: alert.id });
    expect(t.logs.join('')).not.toContain(w.secret);
    expect((await api(t.url, 'GET', `/api/webhooks/${w.id}/deliveries`, viewer)).status).toBe(403);
    await api(t.url, 'DELETE', `/api/escalation-rules/${r.id}`, t.adminToken);
  });

  it('an acknowledgement stops escalation', async () => {
    const w = await hook('/ok-acked');
    const cam = await newCamera('acked');
    const r = await rule({ after_seconds: 1, webhook_ids: [w.id], camera_ids: [cam] });
    const alert = await raise('Acknowledged in time', 'critical', cam);
    expect((await api(t.url, 'POST', `/api/alerts/${alert.id}/acknowledge`, viewer, { version: 1 })).status).toBe(200);
    await sleep(2200);
    expect(rx.of('/ok-acked')).toHaveLength(0);
    await api(t.url, 'DELETE', `/api/escalation-rules/${r.id}`, t.adminToken);
  });

  it('retries with backoff until delivered; the log shows it; "send again" delivers once more', async () => {
    const w = await hook('/fail-twice');
    const cam = await newCamera('flaky');
    const r = await rule({ after_seconds: 0, webhook_ids: [w.id], camera_ids: [cam] });
    const alert = await raise('Flaky receiver', 'critical', cam);
    await until(() => rx.of('/fail-twice').length >= 3, 8000, 'three attempts');
    const attempts = rx.of('/fail-twice');
    // The same message each time (same delivery id and body).
    expect(new Set(attempts.map((a) => a.headers['x-openeye-delivery'])).size).toBe(1);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
    let delivered: { id: number; status: string; attempts: number } | undefined;
    for (let i = 0; i < 40 && delivered?.status !== 'delivered'; i++) {
      delivered = (await api(t.url, 'GET', `/api/webhooks/${w.id}/deliveries`, t.adminToken)).body[0];
      await sleep(50);
    }
    expect(delivered).toMatchObject({ status: 'delivered', attempts: 3, alert_id: alert.id });
    const again = await api(t.url, 'POST', `/api/webhooks/${w.id}/deliveries/${delivered!.id}/resend`, t.adminToken);
    expect(again.status).toBe(201);
    await until(() => rx.of('/fail-twice').length >= 4, 5000, 'the resend');
    expect(rx.of('/fail-twice')[3]!.body).toBe(attempts[0]!.body);
    await api(t.url, 'DELETE', `/api/escalation-rules/${r.id}`, t.adminToken);
  });

  it('receivers that hang, answer 500, redirect or send 50 MB: bounded, not followed, not read, retried, then dead', async () => {
    const hooks = await Promise.all(['/hang', '/always-500', '/redirect', '/huge'].map(hook));
    const cam = await newCamera('bad receivers');
    const r = await rule({ after_seconds: 0, webhook_ids: hooks.map((h) => h.id), camera_ids: [cam] });
    const started = Date.now();
    await raise('Bad receivers', 'critical', cam);
    // Every receiver is tried more than once (retry scheduled), then dead-lettered after 4 s.
    await until(
      () => ['/hang', '/always-500', '/redirect', '/huge'].every((p) => rx.of(p).length >= 2),
      8000,
      'retries',
    );
    const logs = async () =>
      Promise.all(
        hooks.map(async (h) => (await api(t.url, 'GET', `/api/webhooks/${h.id}/deliveries`, t.adminToken)).body[0]),
      );
    let entries = await logs();
    for (let i = 0; i < 100 && entries.some((e) => e.status !== 'dead'); i++) {
      await sleep(100);
      entries = await logs();
    }
    expect(entries.map((e) => e.status)).toEqual(['dead', 'dead', 'dead', 'dead']);
    const [hang, failing, redirect, huge] = entries;
    expect(hang.last_error).toMatch(/timed out after 800 ms/);
    expect(failing).toMatchObject({ last_status_code: 500, last_error: 'answered 500' });
    expect(redirect).toMatchObject({ last_status_code: 302, last_error: 'redirect 302 not followed' });
    expect(rx.of('/ok-redirected')).toHaveLength(0);
    expect(huge.last_status_code).toBe(500);
    // Far less than 50 MB was taken off the socket (kernel buffers hold a few MB at most).
    expect(Math.max(...rx.hugeWritten())).toBeLessThan(16 * 1024 * 1024);
    expect(Date.now() - started).toBeLessThan(12_000);
    await api(t.url, 'DELETE', `/api/escalation-rules/${r.id}`, t.adminToken);
  });

  it('refuses webhook URLs that are not http(s), carry credentials, or point to private addresses', async () => {
    for (const url of ['ftp://example.com/hook', 'javascript:alert(1)', 'not a url', 'https://user:pw@example.com/x']) {
      const r = await api(t.url, 'POST', '/api/webhooks', t.adminToken, { name: 'bad', url });
      expect(r.status, url).toBe(400);
      expect(r.body.field).toBe('url');
    }
    // Without OPENEYE_WEBHOOK_ALLOW_PRIVATE:
    const strict = await startTestServer();
    try {
      for (const url of [
        'http://127.0.0.1:9/x',
        'http://localhost/x',
        'https://10.1.2.3/x',
        'http://169.254.169.254/latest/meta-data',
        'http://[::1]/x',
        'http://[::ffff:192.168.0.1]/x',
        'http://192.168.1.20/x',
      ]) {
        const r = await api(strict.url, 'POST', '/api/webhooks', strict.adminToken, { name: 'private', url });
        expect(r.status, url).toBe(400);
      }
      const ok = await api(strict.url, 'POST', '/api/webhooks', strict.adminToken, {
        name: 'public',
        url: 'https://hooks.example.com/openeye',
      });
      expect(ok.status).toBe(201);
    } finally {
      await strict.close();
    }
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(isPrivateAddress('100.64.0.1')).toBe(true);
    expect(isPrivateAddress('fe80::1')).toBe(true);
    expect(() => checkEndpointUrl('http://example.com', false)).not.toThrow();
    // A rule naming a webhook that does not exist; producers and viewers may not manage rules.
    expect(
      (
        await api(t.url, 'POST', '/api/escalation-rules', t.adminToken, {
          name: 'x',
          after_seconds: 5,
          webhook_ids: [9999],
        })
      ).status,
    ).toBe(400);
    expect((await api(t.url, 'GET', '/api/escalation-rules', viewer)).status).toBe(403);
  });

  it('backoff is exponential with full jitter, capped at an hour', () => {
    expect(retryDelay(0, 1000, () => 0.999)).toBeLessThan(1000);
    expect(retryDelay(3, 1000, () => 0.5)).toBe(4000);
    expect(retryDelay(40, 1000, () => 0.999)).toBeLessThanOrEqual(3600_000);
    expect(retryDelay(5, 1000, () => 0)).toBe(0);
  });
});
