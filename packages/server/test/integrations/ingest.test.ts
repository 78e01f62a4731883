/**
 * Any MQTT producer: the REST producer bodies on `<p>/in/...`, with the same results as REST (stored,
 * then broadcast); and bad input of every kind: logged once per kind with a counter, skipped,
 * nothing stored half, the server fine.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { api, connect, type TestClient } from '../helpers.js';
import { cleanBroker, fixture, mqttClient, type Names, type TestMqtt, uniqueNames, until } from './mqtt-helpers.js';

/** An event without what differs between two writes of the same thing (id, times, recognition ids). */
function shape(e: Record<string, unknown>) {
  const { id: _id, timestamp: _t, ...rest } = e;
  const data = { ...(rest.data as Record<string, unknown>) };
  for (const k of ['recognition_id', 'occurred_at']) delete data[k];
  return { ...rest, data };
}

async function metric(url: string, line: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = line.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('MQTT ingest', () => {
  let n: Names;
  let s: TestServer;
  let ws: TestClient;
  let producer: TestMqtt;
  let cameraId: number;

  beforeAll(async () => {
    n = uniqueNames();
    s = await startTestServer({ env: n.env });
    await until(() => s.server.integrations.health()?.fields.mqtt === 'up' || undefined, 10_000, 'mqtt up');
    await until(() => s.server.integrations.health()?.fields.frigate === 'up' || undefined, 10_000, 'frigate up');
    cameraId = (await api(s.url, 'POST', '/api/cameras', s.adminToken, { name: 'Gate' })).body.id;
    ws = connect(s.url, { token: s.adminToken });
    await ws.next('connection_status');
    producer = await mqttClient();
  });

  afterAll(async () => {
    ws?.close();
    await producer?.end();
    await s?.close();
    await cleanBroker([n.openeye, n.ha, n.frigate], [n.clientId, `${n.clientId}-frigate`]);
  });

  const inTopic = (rest: string) => `${n.openeye}/in/${rest}`;
  const storedCount = async () =>
    (await s.server.store.events.countSince('camera_event', '1970-01-01T00:00:00.000Z')) +
    (await s.server.store.events.countSince('alert', '1970-01-01T00:00:00.000Z'));

  it('recognitions, alerts and camera events: the same messages as through REST', async () => {
    const bodies = [
      {
        path: '/api/recognitions',
        topic: inTopic('recognitions'),
        body: { camera_id: cameraId, person_id: null, confidence: 0.7 },
      },
      {
        path: '/api/alerts',
        topic: inTopic('alerts'),
        body: { alert_type: 'critical', message: 'Door forced', camera_id: cameraId, data: { zone: 'A' } },
      },
      {
        path: `/api/cameras/${cameraId}/events`,
        topic: inTopic(`cameras/${cameraId}/events`),
        body: { event_type: 'motion_detected', data: { area: 3 } },
      },
    ];
    for (const b of bodies) {
      ws.messages.length = 0;
      await producer.publish(b.topic, JSON.stringify(b.body));
      await until(
        () =>
          ws.messages.filter((m) => m.type !== 'statistics_update').length >=
            (b.path === '/api/recognitions' ? 2 : 1) || undefined,
        5000,
        b.topic,
      );
      await new Promise((r) => setTimeout(r, 100));
      const viaMqtt = ws.messages.filter((m) => m.type !== 'statistics_update').map(shape);
      ws.messages.length = 0;
      expect((await api(s.url, 'POST', b.path, s.adminToken, b.body)).status).toBe(201);
      await until(
        () => ws.messages.filter((m) => m.type !== 'statistics_update').length >= viaMqtt.length || undefined,
      );
      const viaRest = ws.messages.filter((m) => m.type !== 'statistics_update').map(shape);
      expect(viaMqtt).toEqual(viaRest);
    }
  });

  it('an idempotency_key user property stores the message once', async () => {
    const before = await storedCount();
    const body = JSON.stringify({ event_type: 'door_opened' });
    for (let k = 0; k < 3; k++) {
      await producer.publish(inTopic(`cameras/${cameraId}/events`), body, {
        properties: { userProperties: { idempotency_key: 'door-42' } },
      });
    }
    await until(async () => ((await storedCount()) === before + 1 ? true : undefined));
    await until(
      async () =>
        (await metric(s.url, /openeye_mqtt_messages_skipped_total\{source="mqtt",reason="duplicate"\} (\d+)/)) === 2 ||
        undefined,
    );
  });

  it('bad input: each refused with a counter, logged once per kind, nothing stored, the server fine', async () => {
    const before = await storedCount();
    const frigate = `${n.frigate}/events`;
    const bigCamera = JSON.parse(fixture('events-person-unrecognised-new'));
    bigCamera.after.camera = 'c'.repeat(10 * 1024);
    const cases: { topic: string; payload: string; retain?: boolean; source: string; reason: string }[] = [
      { topic: inTopic('recognitions'), payload: 'not json {', source: 'mqtt', reason: 'invalid_json' },
      { topic: inTopic('alerts'), payload: '{"alert":"x"}', source: 'mqtt', reason: 'invalid_payload' },
      {
        topic: inTopic('recognitions'),
        payload: JSON.stringify({ camera_id: cameraId, person_id: null, confidence: 1.5 }),
        source: 'mqtt',
        reason: 'invalid_payload',
      },
      {
        topic: inTopic('recognitions'),
        payload: JSON.stringify({ camera_id: 999_999, person_id: null }),
        source: 'mqtt',
        reason: 'not_found',
      },
      {
        topic: inTopic('cameras/abc/events'),
        payload: '{"event_type":"x"}',
        source: 'mqtt',
        reason: 'invalid_payload',
      },
      {
        topic: inTopic('alerts'),
        payload: JSON.stringify({ alert_type: 'info', message: 'old' }),
        retain: true,
        source: 'mqtt',
        reason: 'retained',
      },
      { topic: frigate, payload: 'nope', source: 'frigate', reason: 'invalid_json' },
      {
        topic: frigate,
        payload: JSON.stringify({ type: 'new', after: { id: 7 } }),
        source: 'frigate',
        reason: 'invalid_payload',
      },
      { topic: frigate, payload: JSON.stringify(bigCamera), source: 'frigate', reason: 'invalid_payload' },
      {
        topic: `${n.frigate}/tracked_object_update`,
        payload: JSON.stringify({ ...JSON.parse(fixture('tracked-object-update-face-named')), score: 7 }),
        source: 'frigate',
        reason: 'invalid_payload',
      },
      { topic: frigate, payload: fixture('events-car-new'), retain: true, source: 'frigate', reason: 'retained' },
    ];
    for (const c of cases) {
      for (let k = 0; k < 3; k++) await producer.publish(c.topic, c.payload, { retain: c.retain ?? false });
    }
    const expected = new Map<string, number>();
    for (const c of cases) expected.set(`${c.source} ${c.reason}`, (expected.get(`${c.source} ${c.reason}`) ?? 0) + 3);
    for (const [key, count] of expected) {
      const [source, reason] = key.split(' ');
      const re = new RegExp(`openeye_mqtt_messages_rejected_total\\{source="${source}",reason="${reason}"\\} (\\d+)`);
      await until(async () => ((await metric(s.url, re)) >= count ? true : undefined), 10_000, key);
    }
    expect(await storedCount()).toBe(before);
    expect((await api(s.url, 'GET', '/api/cameras', s.adminToken)).body).toHaveLength(1);
    // One log line per kind, however many messages.
    const lines = s.logs.filter((l) => l.includes('"mqtt.rejected"')).map((l) => JSON.parse(l));
    const kinds = lines.map((l) => `${l.source} ${l.reason}`);
    expect(kinds.sort()).toEqual([...expected.keys()].sort());
    expect(lines.every((l) => !JSON.stringify(l).includes('c'.repeat(300)))).toBe(true);
    expect((await api(s.url, 'GET', '/readyz')).body).toMatchObject({ status: 'ready', mqtt: 'up', frigate: 'up' });
    // Clear the retained inputs we published.
    await producer.publish(inTopic('alerts'), '', { retain: true });
    await producer.publish(frigate, '', { retain: true });
  });

  it('a flood of 10,000 messages in a second: every one accounted for, the server answers meanwhile', async () => {
    const before = await storedCount();
    const received0 = await metric(s.url, /openeye_mqtt_messages_received_total\{source="mqtt"\} (\d+)/);
    const rejected0 = await metric(
      s.url,
      /openeye_mqtt_messages_rejected_total\{source="mqtt",reason="invalid_json"\} (\d+)/,
    );
    // One in ten valid (stored and broadcast), the rest junk; from two other processes (mosquitto_pub
    // sends one message per line) at QoS 0, so that the flood is not slowed by acknowledgements or by
    // the server's own event loop. (At QoS 1 a publisher faster than we store is bounded by the
    // broker's queue for our session: Mosquitto keeps max_queued_messages, 1000 by default.)
    const lines = Array.from({ length: 10_000 }, (_, k) =>
      k % 10 === 0 ? '{"event_type":"flood","data":{"k":1}}' : `junk ${k}`,
    );
    const started = Date.now();
    const pubs = [lines.slice(0, 5000), lines.slice(5000)].map((part) => {
      const pub = spawn(
        'mosquitto_pub',
        ['-h', '127.0.0.1', '-p', '1883', '-V', 'mqttv5', '-q', '0', '-l', '-t', inTopic(`cameras/${cameraId}/events`)],
        { stdio: ['pipe', 'ignore', 'inherit'] },
      );
      pub.stdin.end(`${part.join('\n')}\n`);
      return pub;
    });
    // The HTTP side stays responsive while the flood arrives.
    let slowest = 0;
    while (pubs.some((p) => p.exitCode === null)) {
      const t0 = Date.now();
      expect((await api(s.url, 'GET', '/healthz')).status).toBe(200);
      slowest = Math.max(slowest, Date.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
    const publishMs = Date.now() - started;
    expect(pubs.map((p) => p.exitCode)).toEqual([0, 0]);
    let got = 0;
    await until(
      async () => {
        got = (await metric(s.url, /openeye_mqtt_messages_received_total\{source="mqtt"\} (\d+)/)) - received0;
        return got >= 10_000 ? true : undefined;
      },
      20_000,
      'all 10,000 received',
    ).catch((err) => {
      throw new Error(`${err.message}: ${got} received; published in ${publishMs} ms`);
    });
    await until(async () => ((await storedCount()) - before === 1000 ? true : undefined), 20_000, '1000 stored');
    expect(
      await metric(s.url, /openeye_mqtt_messages_rejected_total\{source="mqtt",reason="invalid_json"\} (\d+)/),
    ).toBe(rejected0 + 9000);
    expect((await api(s.url, 'GET', '/readyz')).body.status).toBe('ready');
    expect(slowest).toBeLessThan(1500);
    console.log(`flood: 10,000 published in ${publishMs} ms; slowest /healthz meanwhile ${slowest} ms`);
  }, 120_000);
});
