/**
 * Web Push end to end without the internet (issue 13): a browser-like subscription whose endpoint
 * is a local HTTPS server (a throwaway certificate the server trusts through OPENEYE_NOTIFY_CA_FILE);
 * the test decrypts what arrives (aes128gcm, RFC 8291/8188) with the subscription's private key and
 * auth secret, verifies the VAPID JWT (ES256, RFC 8292), and acknowledges with the action token.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../test/support/wait.js';
import { startTestServer, type TestServer, tempDir } from '../src/testing.js';
import { api } from './helpers.js';

const ece = createRequire(import.meta.url)('http_ece') as {
  decrypt(body: Buffer, params: { version: string; privateKey: crypto.ECDH; authSecret: Buffer }): Buffer;
};

interface Push {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function certificate(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), certFile };
}

/** A browser's side of a subscription: ECDH P-256 keys and a 16-byte auth secret. */
function browser(endpoint: string) {
  const ecdh = crypto.createECDH('prime256v1');
  const publicKey = ecdh.generateKeys();
  const auth = crypto.randomBytes(16);
  return {
    ecdh,
    auth,
    subscription: { endpoint, keys: { p256dh: publicKey.toString('base64url'), auth: auth.toString('base64url') } },
  };
}

/** Verifies `Authorization: vapid t=<JWT>, k=<key>` as a push service would; returns the claims. */
function verifyVapid(header: string, endpoint: string) {
  const m = /^vapid t=([^,]+), k=(.+)$/.exec(header);
  if (!m) throw new Error(`not a VAPID header: ${header}`);
  const [h, p, s] = m[1]!.split('.') as [string, string, string];
  const k = Buffer.from(m[2]!, 'base64url');
  const key = crypto.createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: k.subarray(1, 33).toString('base64url'),
      y: k.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
  const ok = crypto.verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(s, 'base64url'),
  );
  const header_ = JSON.parse(Buffer.from(h, 'base64url').toString());
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  expect(ok).toBe(true);
  expect(header_).toMatchObject({ alg: 'ES256', typ: 'JWT' });
  expect(claims.aud).toBe(new URL(endpoint).origin);
  expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
  expect(claims.exp - Date.now() / 1000).toBeLessThanOrEqual(24 * 3600);
  expect(claims.sub).toMatch(/^(mailto:|https:)/);
  return { key: m[2]!, claims };
}

describe('Web Push', () => {
  let t: TestServer;
  let pushServer: https.Server;
  let base: string;
  const pushes: Push[] = [];
  const gone = new Set<string>();
  let viewer: string;
  let producer: string;
  let camera: number;
  const dir = tempDir('openeye-push-');

  beforeAll(async () => {
    const tls = certificate(dir);
    pushServer = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        pushes.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(gone.has(req.url ?? '') ? 410 : 201).end();
      });
    });
    await new Promise<void>((r) => pushServer.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(pushServer.address() as AddressInfo).port}`;
    t = await startTestServer({
      env: {
        OPENEYE_WEBHOOK_ALLOW_PRIVATE: 'true',
        OPENEYE_NOTIFY_CA_FILE: tls.certFile,
        OPENEYE_NOTIFY_RETRY_BASE_MS: '100',
        OPENEYE_VAPID_SUBJECT: 'mailto:ops@example.com',
      },
    });
    viewer = await t.tokenFor('pusher', 'viewer');
    producer = await t.tokenFor('push-producer', 'producer');
    camera = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Dock' })).body.id;
  });
  afterAll(async () => {
    await t?.close();
    pushServer?.closeAllConnections();
    await new Promise((r) => pushServer?.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const waitPush = async (p: string, count = 1) => {
    for (let i = 0; i < 200; i++) {
      const got = pushes.filter((x) => x.path === p);
      if (got.length >= count) return got;
      await sleep(25);
    }
    throw new Error(`no push to ${p}`);
  };

  it('an escalated alert reaches the device encrypted and signed; its Acknowledge action acknowledges it', async () => {
    const vapid = await api(t.url, 'GET', '/api/push/vapid-public-key', viewer);
    expect(vapid.body.public_key).toMatch(/^[A-Za-z0-9_-]{87}$/);
    const device = browser(`${base}/push/phone-1`);
    const created = await api(t.url, 'POST', '/api/push/subscriptions', viewer, {
      ...device.subscription,
      label: 'Phone',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ endpoint: device.subscription.endpoint, label: 'Phone', critical: false });
    expect(JSON.stringify((await api(t.url, 'GET', '/api/push/subscriptions', viewer)).body)).not.toContain(
      device.subscription.keys.auth,
    );
    await api(t.url, 'POST', '/api/escalation-rules', t.adminToken, { name: 'push', after_seconds: 0, push: true });
    const alert = (
      await api(t.url, 'POST', '/api/alerts', producer, {
        alert_type: 'warning',
        message: 'Pallet fell',
        camera_id: camera,
      })
    ).body;

    const [push] = await waitPush('/push/phone-1');
    expect(push!.headers['content-encoding']).toBe('aes128gcm');
    expect(push!.headers.urgency).toBe('high');
    expect(Number(push!.headers.ttl)).toBeGreaterThan(0);
    const { key } = verifyVapid(String(push!.headers.authorization), device.subscription.endpoint);
    expect(key).toBe(vapid.body.public_key);
    // RFC 8188 header: salt(16) rs(4) idlen(1)=65 keyid(65: the sender's ephemeral key).
    expect(push!.body.readUInt32BE(16)).toBe(4096);
    expect(push!.body[20]).toBe(65);
    const plain = ece.decrypt(push!.body, { version: 'aes128gcm', privateKey: device.ecdh, authSecret: device.auth });
    const payload = JSON.parse(plain.toString('utf8'));
    expect(payload).toMatchObject({
      type: 'alert.escalated',
      alert: { id: alert.id, message: 'Pallet fell', state: 'open', version: 1 },
      url: `/alerts/${alert.id}`,
      action: { url: `/api/alerts/${alert.id}/push-acknowledge`, token: expect.any(String) },
    });
    // Decrypting with another key fails: it is really encrypted to this device.
    const stranger = browser('https://x');
    expect(() =>
      ece.decrypt(push!.body, { version: 'aes128gcm', privateKey: stranger.ecdh, authSecret: stranger.auth }),
    ).toThrow();

    // The service worker's "Acknowledge": the action token, no session.
    const forged = await api(t.url, 'POST', `/api/alerts/${alert.id}/push-acknowledge`, undefined, {
      token: `${payload.action.token}x`,
    });
    expect(forged.status).toBe(401);
    const otherAlert = await api(t.url, 'POST', `/api/alerts/${Number(alert.id) + 1000}/push-acknowledge`, undefined, {
      token: payload.action.token,
    });
    expect(otherAlert.status).toBe(401);
    const acked = await api(t.url, 'POST', payload.action.url, undefined, { token: payload.action.token });
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ state: 'acknowledged', acknowledged_by: { username: 'pusher' } });
    const again = await api(t.url, 'POST', payload.action.url, undefined, { token: payload.action.token });
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(2);
  });

  it('a device that opted in to critical alerts gets one at once; a gone subscription is forgotten', async () => {
    const device = browser(`${base}/push/critical`);
    await api(t.url, 'POST', '/api/push/subscriptions', viewer, { ...device.subscription, critical: true });
    gone.add('/push/critical');
    const alert = (
      await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'critical', message: 'Fire', camera_id: camera })
    ).body;
    const [push] = await waitPush('/push/critical');
    const payload = JSON.parse(
      ece.decrypt(push!.body, { version: 'aes128gcm', privateKey: device.ecdh, authSecret: device.auth }).toString(),
    );
    expect(payload.alert.id).toBe(alert.id);
    // It answered 410: the subscription is removed.
    for (let i = 0; i < 40; i++) {
      const list = (await api(t.url, 'GET', '/api/push/subscriptions', viewer)).body;
      if (!list.some((s: { endpoint: string }) => s.endpoint.endsWith('/push/critical'))) return;
      await sleep(50);
    }
    throw new Error('the gone subscription was kept');
  });

  it('refuses malformed subscription keys and endpoints; producers may not subscribe', async () => {
    const device = browser(`${base}/push/bad`);
    const offCurve = Buffer.from(device.subscription.keys.p256dh, 'base64url');
    offCurve[64] = offCurve[64]! ^ 1;
    const keys = device.subscription.keys;
    const cases: [Record<string, unknown>, string][] = [
      [{ ...device.subscription, keys: { ...device.subscription.keys, p256dh: 'AAAA' } }, 'keys.p256dh'],
      [{ ...device.subscription, keys: { ...keys, p256dh: offCurve.toString('base64url') } }, 'keys.p256dh'],
      [{ ...device.subscription, keys: { ...device.subscription.keys, p256dh: '!!!' } }, 'keys.p256dh'],
      [{ ...device.subscription, keys: { ...device.subscription.keys, auth: 'c2hvcnQ' } }, 'keys.auth'],
      [{ ...device.subscription, endpoint: 'http://127.0.0.1/push' }, 'endpoint'],
      [{ ...device.subscription, endpoint: 'ftp://push.example.com/x' }, 'endpoint'],
    ];
    for (const [body, field] of cases) {
      const r = await api(t.url, 'POST', '/api/push/subscriptions', viewer, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.field).toBe(field);
    }
    expect((await api(t.url, 'POST', '/api/push/subscriptions', producer, device.subscription)).status).toBe(403);
  });
});
