/**
 * At-least-once in, exactly-once stored: detections published while OpenEye is stopped arrive when
 * it is back, once each; brokers that stall, restart or refuse: reconnect with backoff, nothing
 * crashes, nothing published with QoS 1 meanwhile is lost; credentials never reach a log line.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, tempDir } from '../../src/testing.js';
import { api } from '../helpers.js';
import { cleanBroker, detection, mqttClient, uniqueNames, until } from './mqtt-helpers.js';
import { PrivateBroker, stallingBroker } from './private-broker.js';

const fast = { connectTimeoutMs: 500, keepaliveSeconds: 1, backoffBaseMs: 100, backoffMaxMs: 400 };

async function frigateIdsStored(s: TestServer): Promise<string[]> {
  const events = (await api(s.url, 'GET', '/api/events?limit=1000&types=camera_event', s.adminToken)).body.events;
  return events
    .filter((e: { event_type: string }) => e.event_type === 'person_detected')
    .map((e: { data: { frigate_id: string } }) => e.data.frigate_id);
}

describe('stop OpenEye, publish 50 Frigate detections with QoS 1, start it', () => {
  const n = uniqueNames({ OPENEYE_HA_DISCOVERY: 'false' });
  afterAll(() => cleanBroker([n.openeye, n.frigate], [n.clientId, `${n.clientId}-frigate`]));

  it('all 50 arrive, once each; redelivered again, still once', async () => {
    const dataDir = tempDir();
    let s = await startTestServer({ env: n.env, dataDir });
    await until(() => s.server.integrations.health()?.fields.frigate === 'up' || undefined, 10_000, 'frigate up');
    await s.close();

    const pub = await mqttClient();
    const sent = Array.from({ length: 50 }, (_, k) => detection(n.tag, k));
    for (const d of sent) await pub.publish(`${n.frigate}/events`, d.payload, { qos: 1 });

    s = await startTestServer({ env: n.env, dataDir });
    try {
      const ids = await until(
        async () => {
          const got = await frigateIdsStored(s);
          return got.length >= 50 ? got : undefined;
        },
        20_000,
        '50 detections',
      );
      expect(new Set(ids).size).toBe(50);
      expect(ids.sort()).toEqual(sent.map((d) => d.id).sort());
      // Every one again (a redelivery): nothing new is stored.
      for (const d of sent) await pub.publish(`${n.frigate}/events`, d.payload, { qos: 1 });
      await until(
        async () => {
          const text = await (await fetch(`${s.url}/metrics`)).text();
          const dup = /openeye_mqtt_messages_skipped_total\{source="frigate",reason="duplicate"\} (\d+)/.exec(text);
          return Number(dup?.[1] ?? 0) >= 50 ? true : undefined;
        },
        10_000,
        '50 duplicates',
      );
      expect(await frigateIdsStored(s)).toHaveLength(50);
      expect((await api(s.url, 'GET', '/api/cameras', s.adminToken)).body).toHaveLength(1);
    } finally {
      await pub.end();
      await s.close();
    }
  }, 60_000);
});

describe('a broker that accepts the connection and then stalls', () => {
  for (const connack of [false, true]) {
    it(connack
      ? 'after CONNACK (no PINGRESP): dropped by the keepalive, retried'
      : 'before CONNACK: the connect timeout, retried with backoff', async () => {
      const broker = await stallingBroker(connack);
      const s = await startTestServer({
        env: { OPENEYE_FRIGATE_MQTT_URL: broker.url, OPENEYE_MQTT_CLIENT_ID: `stall-${Date.now()}` },
        serverOptions: { mqttTiming: fast },
      });
      try {
        await until(() => (broker.connections() >= 3 ? true : undefined), 10_000, 'three attempts');
        // (Between a CONNACK and the keepalive's verdict the connection counts as up.)
        const ready = (await api(s.url, 'GET', '/readyz')).body;
        expect(ready.frigate).toMatch(connack ? /^(down|up)$/ : /^down$/);
        // The server is fine: REST answers, nothing crashed.
        expect((await api(s.url, 'GET', '/api/cameras', s.adminToken)).status).toBe(200);
        const downs = s.logs.filter((l) => l.includes('"mqtt.down"'));
        const ups = s.logs.filter((l) => l.includes('"mqtt.up"'));
        // Logged once per transition (a broker that never answers: once in all), not once per attempt.
        expect(downs.length).toBeGreaterThanOrEqual(1);
        expect(downs.length).toBeLessThanOrEqual(ups.length + 1);
        if (!connack) expect(downs).toHaveLength(1);
      } finally {
        await s.close();
        await broker.close();
      }
    }, 30_000);
  }
});

describe('a broker that goes away and comes back', () => {
  const broker = new PrivateBroker();
  afterAll(() => broker.destroy());

  it('reconnects with backoff; what we stored meanwhile is published once it is back', async () => {
    await broker.start();
    const n = uniqueNames({ OPENEYE_HA_DISCOVERY: 'false' }, broker.url);
    // A subscriber with a persistent session: it gets what was published while it was away too.
    const sub = await mqttClient(
      { clientId: `sub-${n.tag}`, clean: false, properties: { sessionExpiryInterval: 600 } },
      broker.url,
    );
    await sub.subscribe(`${n.openeye}/out/#`);
    const s = await startTestServer({ env: n.env, serverOptions: { mqttTiming: fast } });
    try {
      await until(() => s.server.integrations.health()?.fields.mqtt === 'up' || undefined, 10_000, 'mqtt up');
      const camera = (await api(s.url, 'POST', '/api/cameras', s.adminToken, { name: 'Yard' })).body;
      await sub.end();
      await broker.stop();
      await until(() => s.server.integrations.health()?.fields.mqtt === 'down' || undefined, 10_000, 'mqtt down');
      expect((await api(s.url, 'GET', '/readyz')).body).toMatchObject({ status: 'degraded', mqtt: 'down' });
      // Stored while the broker is away (REST still works):
      const posted = [];
      for (let k = 0; k < 5; k++) {
        const r = await api(s.url, 'POST', `/api/cameras/${camera.id}/events`, s.adminToken, {
          event_type: 'while_away',
          data: { k },
        });
        expect(r.status).toBe(201);
        posted.push(r.body.id);
      }
      await broker.start();
      await until(() => s.server.integrations.health()?.fields.mqtt === 'up' || undefined, 15_000, 'mqtt up again');
      await until(
        async () => {
          const text = await (await fetch(`${s.url}/metrics`)).text();
          const m = /openeye_mqtt_messages_published_total\{kind="camera_event"\} (\d+)/.exec(text);
          return Number(m?.[1] ?? 0) >= 5 ? true : undefined;
        },
        15_000,
        'published after the broker came back',
      );
      const back = await mqttClient(
        { clientId: `sub-${n.tag}`, clean: false, properties: { sessionExpiryInterval: 600 } },
        broker.url,
      );
      const got = await back.waitFor(
        (m) => m.topic === `${n.openeye}/out/cameras/${camera.id}/events` && m.payload.includes('while_away'),
        5,
        15_000,
      );
      expect(got.map((m) => JSON.parse(m.payload).id)).toEqual(posted);
      await back.end();
      const lines = s.logs.filter((l) => l.includes('"mqtt.down"') || l.includes('"mqtt.up"'));
      expect(lines.length).toBeLessThan(10);
    } finally {
      await s.close();
    }
  }, 60_000);
});

describe('credentials', () => {
  const secret = 'Sup3r-s3cret-pa55';
  const broker = new PrivateBroker({ openeye: secret });
  afterAll(() => broker.destroy());

  it('from the URL or the settings: connects; never in a log line, /readyz, `openeye config` or `mqtt check`', async () => {
    await broker.start();
    const withUrl = `mqtt://openeye:${secret}@127.0.0.1:${broker.port}`;
    const a = await startTestServer({
      env: { OPENEYE_FRIGATE_MQTT_URL: withUrl, OPENEYE_MQTT_CLIENT_ID: `cred-a-${Date.now()}`, LOG_LEVEL: 'debug' },
      serverOptions: { mqttTiming: fast },
    });
    const b = await startTestServer({
      env: {
        OPENEYE_MQTT_URL: broker.url,
        OPENEYE_MQTT_USERNAME: 'openeye',
        OPENEYE_MQTT_PASSWORD: secret,
        OPENEYE_MQTT_CLIENT_ID: `cred-b-${Date.now()}`,
        OPENEYE_HA_DISCOVERY: 'false',
        LOG_LEVEL: 'debug',
      },
      serverOptions: { mqttTiming: fast },
    });
    const wrong = await startTestServer({
      env: {
        OPENEYE_FRIGATE_MQTT_URL: `mqtt://openeye:${secret}x@127.0.0.1:${broker.port}`,
        OPENEYE_MQTT_CLIENT_ID: `cred-c-${Date.now()}`,
        LOG_LEVEL: 'debug',
      },
      serverOptions: { mqttTiming: fast },
    });
    try {
      await until(() => a.server.integrations.health()?.fields.frigate === 'up' || undefined, 10_000, 'a up');
      await until(() => b.server.integrations.health()?.fields.mqtt === 'up' || undefined, 10_000, 'b up');
      await until(() => (wrong.logs.some((l) => l.includes('"mqtt.down"')) ? true : undefined), 10_000, 'refused');
      expect(wrong.server.integrations.health()?.fields.frigate).toBe('down');
      for (const s of [a, b, wrong]) {
        const text = s.logs.join('');
        expect(text).not.toContain(secret);
        expect(JSON.stringify((await api(s.url, 'GET', '/readyz')).body)).not.toContain(secret);
      }
      expect(a.logs.join('')).toContain(`mqtt://openeye:****@127.0.0.1:${broker.port}`);
    } finally {
      await Promise.all([a.close(), b.close(), wrong.close()]);
    }
    const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli.ts');
    const run = (args: string[]) =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', cli, ...args], {
          env: { PATH: process.env.PATH ?? '', OPENEYE_MQTT_URL: withUrl, OPENEYE_DATA_DIR: tempDir() },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.once('exit', () => resolve(out));
      });
    const config = await run(['config']);
    expect(config).toContain('OPENEYE_MQTT_URL');
    expect(config).not.toContain(secret);
    const check = await run(['mqtt', 'check', '--seconds', '1']);
    expect(check).toContain('connected');
    expect(check).not.toContain(secret);
  }, 60_000);
});
