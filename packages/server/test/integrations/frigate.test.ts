/**
 * The Frigate bridge and publishing against the real Mosquitto: the fixture payloads in, the right
 * WebSocket messages out (a WebSocket client checks them), the right Home Assistant discovery and
 * state messages, and redeliveries storing nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { api, connect, type TestClient } from '../helpers.js';
import { cleanBroker, fixture, mqttClient, type Names, type TestMqtt, uniqueNames, until } from './mqtt-helpers.js';

describe('Frigate in, WebSocket and MQTT out', () => {
  let n: Names;
  let s: TestServer;
  let ws: TestClient;
  let out: TestMqtt;
  let frigate: TestMqtt;

  beforeAll(async () => {
    n = uniqueNames({ OPENEYE_FRIGATE_URL: 'http://frigate.lan:5000/' });
    out = await mqttClient();
    await out.subscribe(`${n.openeye}/#`);
    await out.subscribe(`${n.ha}/#`);
    s = await startTestServer({ env: n.env });
    await until(() => s.server.integrations.health()?.fields.frigate === 'up' || undefined, 10_000, 'frigate up');
    await until(() => s.server.integrations.health()?.fields.mqtt === 'up' || undefined, 10_000, 'mqtt up');
    ws = connect(s.url, { token: s.adminToken });
    await ws.next('connection_status');
    frigate = await mqttClient();
  });

  afterAll(async () => {
    ws?.close();
    await frigate?.end();
    await out?.end();
    await s?.close();
    await cleanBroker([n.openeye, n.ha, n.frigate], [n.clientId, `${n.clientId}-frigate`]);
  });

  it('availability online (retained) and the discovery device config with no camera yet', async () => {
    const [status] = await out.waitFor((m) => m.topic === `${n.openeye}/status`);
    expect(status).toMatchObject({ payload: 'online' });
    const [config] = await out.waitFor((m) => m.topic.startsWith(`${n.ha}/device/openeye_`));
    expect(config!.topic).toMatch(new RegExp(`^${n.ha}/device/openeye_[0-9a-f]{6}/config$`));
    const payload = JSON.parse(config!.payload);
    expect(Object.keys(payload.cmps).sort()).toEqual([
      'open_alerts',
      'people_total',
      'recognitions_today',
      'unknown_faces_today',
    ]);
    const [stats] = await out.waitFor((m) => m.topic === `${n.openeye}/out/statistics`);
    expect(JSON.parse(stats!.payload)).toMatchObject({ people_total: 0, recognitions_today: 0, open_alerts: 0 });
  });

  it('a recognised person: camera created (source frigate), detected, recognition of Maria, ended', async () => {
    const p = n.frigate;
    await frigate.publish(`${p}/events`, fixture('events-person-recognised-new'));
    await frigate.publish(`${p}/events`, fixture('events-person-recognised-update'));
    await frigate.publish(`${p}/tracked_object_update`, fixture('tracked-object-update-face-named'));
    // Frigate publishes the same object many times: one recognition per distinct name.
    await frigate.publish(`${p}/tracked_object_update`, fixture('tracked-object-update-face-named'));
    await frigate.publish(`${p}/events`, fixture('events-person-recognised-update'));
    await frigate.publish(`${p}/events`, fixture('events-person-recognised-end'));
    const events = await ws.waitFor('camera_event', 3);
    await new Promise((r) => setTimeout(r, 300));
    const types = ws.messages.filter((m) => m.type === 'camera_event').map((m) => m.event_type);
    expect(types).toEqual(['person_detected', 'face_recognized', 'person_ended']);
    const cameras = (await api(s.url, 'GET', '/api/cameras', s.adminToken)).body;
    expect(cameras).toEqual([expect.objectContaining({ name: 'front_door', source: 'frigate' })]);
    const cameraId = cameras[0].id;
    expect(events[0]).toMatchObject({
      camera_id: cameraId,
      data: {
        source: 'frigate',
        frigate_id: '1784761203.507912-h4q8zt',
        zones: ['porch'],
        score: 0.76171875,
        camera_snapshot_url: 'http://frigate.lan:5000/api/front_door/latest.jpg',
      },
    });
    expect(events[1]).toMatchObject({ data: { person_name: 'Maria', confidence: 0.9312, camera_name: 'front_door' } });
    expect(events[2]).toMatchObject({
      data: { snapshot_url: 'http://frigate.lan:5000/api/events/1784761203.507912-h4q8zt/snapshot.jpg' },
    });
    const people = (await api(s.url, 'GET', '/api/people', s.adminToken)).body;
    expect(people.map((x: { name: string }) => x.name)).toEqual(['Maria']);

    // Out: each camera event on its topic (the WebSocket message), the last event retained, HA config with the camera.
    const outEvents = await out.waitFor((m) => m.topic === `${n.openeye}/out/cameras/${cameraId}/events`, 3);
    expect(outEvents.map((m) => JSON.parse(m.payload))).toEqual(ws.messages.filter((m) => m.type === 'camera_event'));
    await out.waitFor(
      (m) => m.topic === `${n.openeye}/out/cameras/${cameraId}/last_event` && m.payload.includes('person_ended'),
    );
    const [online] = await out.waitFor((m) => m.topic === `${n.openeye}/out/cameras/${cameraId}/online`);
    expect(online!.payload).toBe('online');
    const configs = await out.waitFor((m) => m.topic.startsWith(`${n.ha}/device/`) && m.payload.includes('front_door'));
    const cmps = JSON.parse(configs.at(-1)!.payload).cmps;
    expect(cmps[`camera_${cameraId}_last_event`]).toMatchObject({
      p: 'sensor',
      name: 'front_door last event',
      stat_t: `${n.openeye}/out/cameras/${cameraId}/last_event`,
      def_ent_id: 'sensor.openeye_front_door_last_event',
    });
    expect(cmps[`camera_${cameraId}_online`]).toMatchObject({ p: 'binary_sensor', dev_cla: 'connectivity' });
    // (recognitions_today stays 0: the fixtures' recognitions happened on 2026-07-22, Frigate's time.)
    await out.waitFor((m) => m.topic === `${n.openeye}/out/statistics` && JSON.parse(m.payload).people_total === 1);
  });

  it('a face Frigate could not name: an unknown-face recognition and the warning alert, once', async () => {
    const p = n.frigate;
    ws.messages.length = 0;
    await frigate.publish(`${p}/events`, fixture('events-person-unrecognised-new'));
    await frigate.publish(`${p}/tracked_object_update`, fixture('tracked-object-update-face-unknown'));
    await frigate.publish(`${p}/tracked_object_update`, fixture('tracked-object-update-face-unknown'));
    await frigate.publish(`${p}/events`, fixture('events-person-unrecognised-end'));
    await ws.waitFor('camera_event', 3);
    await ws.waitFor('alert', 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(ws.messages.filter((m) => m.type === 'camera_event').map((m) => m.event_type)).toEqual([
      'person_detected',
      'unknown_face',
      'person_ended',
    ]);
    const alerts = ws.messages.filter((m) => m.type === 'alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ alert_type: 'warning', data: { message: 'Unknown face detected' } });
    const [outAlert] = await out.waitFor((m) => m.topic === `${n.openeye}/out/alerts`);
    expect(JSON.parse(outAlert!.payload)).toEqual(alerts[0]);
  });

  it('a car: object events with the plate; an alert review: one alert, updates do not duplicate it', async () => {
    const p = n.frigate;
    ws.messages.length = 0;
    for (const f of ['events-car-new', 'events-car-update', 'events-car-end']) {
      await frigate.publish(`${p}/events`, fixture(f));
    }
    for (const f of ['reviews-alert-new', 'reviews-alert-update', 'reviews-alert-end', 'reviews-detection-new']) {
      await frigate.publish(`${p}/reviews`, fixture(f));
    }
    await ws.waitFor('camera_event', 2);
    await ws.waitFor('alert', 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(ws.messages.filter((m) => m.type === 'camera_event').map((m) => m.event_type)).toEqual([
      'object_detected',
      'object_ended',
    ]);
    const alerts = ws.messages.filter((m) => m.type === 'alert');
    expect(alerts).toEqual([
      expect.objectContaining({
        alert_type: 'warning',
        data: expect.objectContaining({
          message: 'Frigate alert on front_door: person in porch',
          review_id: '1784761204.307912-ub1l7d',
          source: 'frigate',
        }),
      }),
    ]);
    const skipped = await (await fetch(`${s.url}/metrics`)).text();
    expect(skipped).toMatch(/openeye_mqtt_messages_skipped_total\{source="frigate",reason="detection_review"\} 1/);
    expect(skipped).toMatch(/openeye_mqtt_messages_skipped_total\{source="frigate",reason="review_update"\} 2/);

    // Frigate ending the review does not handle the alert: it stays open until an operator acts.
    const alertId = alerts[0]!.id as string;
    const alert = (await api(s.url, 'GET', `/api/alerts/${alertId}`, s.adminToken)).body;
    expect(alert).toMatchObject({ state: 'open', version: 1 });
    const openNow = async () => {
      const [stats] = await out.waitFor((m) => m.topic === `${n.openeye}/out/statistics`);
      return JSON.parse(out.messages.filter((m) => m.topic === stats!.topic).at(-1)!.payload).open_alerts as number;
    };
    const before = await openNow();
    expect(before).toBeGreaterThanOrEqual(1);
    const ack = await api(s.url, 'POST', `/api/alerts/${alertId}/acknowledge`, s.adminToken, { version: 1 });
    expect(ack.status).toBe(200);
    // The state change goes out on <p>/out/alerts/updates, and the open-alerts figure drops.
    const [update] = await out.waitFor((m) => m.topic === `${n.openeye}/out/alerts/updates`);
    expect(JSON.parse(update!.payload)).toMatchObject({
      type: 'alert_update',
      alert_id: alertId,
      state: 'acknowledged',
    });
    await until(async () => ((await openNow()) === before - 1 ? true : undefined), 8000, 'open_alerts to drop');
  });

  it('Frigate camera status topic switches the camera online/offline', async () => {
    ws.messages.length = 0;
    await frigate.publish(`${n.frigate}/driveway/status/detect`, 'offline');
    const [e] = await ws.waitFor('camera_event', 1);
    expect(e).toMatchObject({ event_type: 'camera_offline', data: { name: 'driveway' } });
    const cameras = (await api(s.url, 'GET', '/api/cameras', s.adminToken)).body;
    const driveway = cameras.find((c: { name: string }) => c.name === 'driveway');
    await out.waitFor((m) => m.topic === `${n.openeye}/out/cameras/${driveway.id}/online` && m.payload === 'offline');
  });

  it('Home Assistant says online: discovery announced again', async () => {
    const before = out.messages.filter((m) => m.topic.startsWith(`${n.ha}/device/`)).length;
    await frigate.publish(`${n.ha}/status`, 'online', { qos: 0 });
    await out.waitFor((m) => m.topic.startsWith(`${n.ha}/device/`), before + 1, 5000);
  });

  it('/readyz reports the broker connections; /metrics the counters', async () => {
    const ready = (await api(s.url, 'GET', '/readyz')).body;
    expect(ready).toMatchObject({ status: 'ready', mqtt: 'up', frigate: 'up' });
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toMatch(/openeye_mqtt_connected\{connection="frigate"\} 1/);
    expect(text).toMatch(/openeye_mqtt_messages_received_total\{source="frigate"\} \d+/);
    expect(text).toMatch(/openeye_mqtt_messages_mapped_total\{source="frigate",kind="recognition"\} 2/);
    expect(text).toMatch(/openeye_mqtt_messages_skipped_total\{source="frigate",reason="duplicate"\} \d+/);
    expect(text).toMatch(/openeye_mqtt_messages_published_total\{kind="camera_event"\} \d+/);
  });
});
