/**
 * Camera offline is an alert (issue 13): a camera silent past its grace period raises one
 * camera_offline alert, resolved by the server when the camera reports again; flapping within the
 * grace period raises nothing; the grace period is settable per camera.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../test/support/wait.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { api, connect } from './helpers.js';

describe('camera offline alerts', () => {
  let t: TestServer;
  let producer: string;
  let viewer: string;

  beforeAll(async () => {
    t = await startTestServer({ env: { OPENEYE_CAMERA_OFFLINE_GRACE_SECONDS: '1' } });
    producer = await t.tokenFor('offline-producer', 'producer');
    viewer = await t.tokenFor('offline-viewer', 'viewer');
  });
  afterAll(async () => {
    await t?.close();
  });

  const camera = async (name: string, grace?: number) =>
    (
      await api(t.url, 'POST', '/api/cameras', t.adminToken, {
        name,
        ...(grace ? { offline_grace_seconds: grace } : {}),
      })
    ).body.id as number;
  const report = (id: number) => api(t.url, 'POST', `/api/cameras/${id}/events`, producer, { event_type: 'heartbeat' });
  const offlineAlerts = async (id: number) =>
    (await api(t.url, 'GET', `/api/alerts?camera_id=${id}`, viewer)).body.alerts.filter(
      (a: { source: string | null }) => a.source === 'camera_offline',
    );

  it('raises one alert when a camera stops reporting and resolves it when it is back', async () => {
    const c = connect(t.url, { token: viewer, subscribe: 'alert_update' });
    await c.next('connection_status');
    const id = await camera('Silent');
    await report(id);
    const alert = await c.next('alert', 4000);
    expect(alert).toMatchObject({
      alert_type: 'critical',
      data: { camera_id: id, message: 'Camera Silent is offline' },
    });
    await sleep(1500);
    const raised = await offlineAlerts(id);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ id: alert.id, state: 'open', source: 'camera_offline' });
    await report(id);
    const update = await c.next('alert_update', 4000);
    expect(update).toMatchObject({ alert_id: alert.id, action: 'resolve', state: 'resolved', by: null });
    expect((await offlineAlerts(id))[0]).toMatchObject({ state: 'resolved', note: 'Camera is back online' });
    c.close();
  });

  it('flapping within the grace period raises nothing; the grace period is per camera', async () => {
    const flapping = await camera('Flapping');
    const patient = await camera('Patient', 3);
    await report(patient);
    for (let i = 0; i < 6; i++) {
      await report(flapping);
      await sleep(400);
    }
    expect(await offlineAlerts(flapping)).toHaveLength(0);
    expect(await offlineAlerts(patient)).toHaveLength(0);
    // Status reports count as signs of life too; a camera never seen is not watched.
    const never = await camera('Never seen');
    await sleep(2500);
    expect(await offlineAlerts(patient)).toHaveLength(1);
    expect(await offlineAlerts(never)).toHaveLength(0);
    const cam = (await api(t.url, 'GET', `/api/cameras/${patient}`, viewer)).body;
    expect(cam.offline_grace_seconds).toBe(3);
    expect(
      (await api(t.url, 'PATCH', `/api/cameras/${patient}`, t.adminToken, { offline_grace_seconds: 0 })).status,
    ).toBe(400);
  });
});
