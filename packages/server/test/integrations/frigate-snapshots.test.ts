/**
 * Frigate's snapshots attached to the events they belong to: a Frigate HTTP API on loopback (a
 * plain node:http server answering `/api/events/<id>/snapshot.jpg` as Frigate does) and the real
 * Mosquitto. The event a finished Frigate object makes carries the image as its own snapshot, served
 * by OpenEye; a Frigate that cannot give it (an error, not an image) still gets the event stored,
 * with the link, and the miss counted.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/support/wait.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { connect, type TestClient } from '../helpers.js';
import { cleanBroker, mqttClient, type Names, type TestMqtt, taggedFixture, uniqueNames } from './mqtt-helpers.js';

const width = 32;
const height = 24;
const JPEG = jpeg.encode({ data: Buffer.alloc(width * height * 4, 0x80), width, height }, 80).data;

describe('Frigate snapshots become event snapshots', () => {
  let n: Names;
  let s: TestServer;
  let ws: TestClient;
  let frigate: TestMqtt;
  let api: http.Server;
  const asked: string[] = [];

  beforeAll(async () => {
    api = http.createServer((req, res) => {
      asked.push(req.url ?? '');
      if (req.url?.includes('-broken')) return void res.writeHead(500).end('boom');
      if (req.url?.includes('-html')) return void res.writeHead(200, { 'content-type': 'text/html' }).end('<p>');
      if (/^\/api\/events\/[^/]+\/snapshot\.jpg$/.test(req.url ?? '')) {
        return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(JPEG);
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const port = (api.address() as AddressInfo).port;
    n = uniqueNames({ OPENEYE_FRIGATE_URL: `http://127.0.0.1:${port}` });
    delete n.env.OPENEYE_MQTT_URL;
    s = await startTestServer({ env: n.env });
    ws = connect(s.url, { token: s.adminToken });
    await ws.next('connection_status');
    frigate = await mqttClient();
  });

  afterAll(async () => {
    ws?.close();
    await frigate?.end();
    await s?.close();
    await new Promise((r) => api?.close(r));
    await cleanBroker([n.frigate], [`${n.clientId}-frigate`]);
  });

  const ended = async (tag: string) => {
    await frigate.publish(`${n.frigate}/events`, taggedFixture('events-person-recognised-end', tag));
    const event = await waitFor(
      () =>
        ws.messages.find(
          (m) =>
            m.type === 'camera_event' &&
            m.event_type === 'person_ended' &&
            String((m.data as { frigate_id?: string }).frigate_id).endsWith(tag),
        ),
      `person_ended of ${tag}`,
      8000,
    );
    return event as unknown as { id: string; data: Record<string, unknown>; snapshot?: { url: string; bytes: number } };
  };

  it("the end of a person: its event carries Frigate's snapshot, served by OpenEye", async () => {
    const event = await ended('ok1');
    expect(asked.some((u) => /\/api\/events\/[^/]+ok1\/snapshot\.jpg$/.test(u))).toBe(true);
    expect(event.snapshot).toMatchObject({ bytes: JPEG.length, content_type: 'image/jpeg', width, height });
    const res = await fetch(`${s.url}${event.snapshot!.url}`, { headers: { authorization: `Bearer ${s.adminToken}` } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(JPEG)).toBe(true);
    // The link stays in the data, as without a snapshot.
    expect(event.data.snapshot_url).toMatch(/\/api\/events\/[^/]+ok1\/snapshot\.jpg$/);
  });

  it('Frigate answering an error or not an image: the event is stored with the link, the miss counted', async () => {
    for (const tag of ['-broken', '-html']) {
      const event = await ended(tag);
      expect(event.snapshot).toBeUndefined();
      expect(event.data.snapshot_url).toContain(tag);
    }
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/openeye_mqtt_messages_skipped_total\{source="frigate",reason="snapshot_unavailable"\} 2/);
  });
});
