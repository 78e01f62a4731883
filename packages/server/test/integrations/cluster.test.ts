/**
 * Three nodes (processes) on Redis and a throwaway PostgreSQL database, one Frigate and one OpenEye
 * broker (the shared Mosquitto): exactly one node consumes and publishes; killed with -9, another
 * takes over within the lease, and every detection published meanwhile with QoS 1 arrives once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  createTestDatabase,
  dropRedisPrefix,
  freePort,
  type ServerProcess,
  spawnServerProcess,
  tempDir,
} from '../../src/testing.js';
import { api } from '../helpers.js';
import { cleanBroker, detection, mqttClient, uniqueNames, until } from './mqtt-helpers.js';

describe('a three-node cluster with the consuming node killed', () => {
  const n = uniqueNames();
  const redisPrefix = `mqtt_cluster_${n.tag}`;
  let db: { url: string; drop(): Promise<void> } | null = null;
  const nodes: ServerProcess[] = [];

  afterAll(async () => {
    await Promise.all(nodes.map((x) => x.kill('SIGKILL')));
    await db?.drop();
    await dropRedisPrefix(redisPrefix);
    await cleanBroker([n.openeye, n.ha, n.frigate], [n.clientId, `${n.clientId}-frigate`]);
  });

  it('one consumer and publisher; after kill -9 another within the lease; all 50 detections once each', async () => {
    db = await createTestDatabase();
    const env = {
      ...n.env,
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      OPENEYE_REDIS_PREFIX: redisPrefix,
      OPENEYE_JWT_SECRET: randomBytes(32).toString('hex'),
      OPENEYE_NODE_LEASE_MS: '3000',
    };
    const start = async () => spawnServerProcess({ port: await freePort(), dataDir: tempDir(), env });
    nodes.push(await start());
    nodes.push(await start());
    nodes.push(await start());
    const ready = async (x: ServerProcess) => (await api(x.url, 'GET', '/readyz')).body;
    const holder = async (among: ServerProcess[]) =>
      until(
        async () => {
          const states = await Promise.all(among.map(ready));
          const up = among.filter((_, k) => states[k].frigate === 'up' && states[k].mqtt === 'up');
          const standby = states.filter((st) => st.frigate === 'standby' && st.mqtt === 'standby');
          return up.length === 1 && standby.length === among.length - 1 ? up[0] : undefined;
        },
        20_000,
        'exactly one node holding the integrations',
      );
    const first = await holder(nodes);

    const out = await mqttClient();
    await out.subscribe(`${n.openeye}/out/cameras/+/events`);
    await out.subscribe(`${n.openeye}/status`);
    const pub = await mqttClient();
    const sent = Array.from({ length: 50 }, (_, k) => detection(n.tag, k));
    for (const d of sent.slice(0, 25)) await pub.publish(`${n.frigate}/events`, d.payload, { qos: 1 });
    await out.waitFor((m) => m.payload.includes('person_detected'), 25, 20_000);

    await first.kill('SIGKILL');
    const survivors = nodes.filter((x) => x !== first);
    const killedAt = Date.now();
    // Published while nobody consumes: the broker keeps them in the shared persistent session.
    for (const d of sent.slice(25)) await pub.publish(`${n.frigate}/events`, d.payload, { qos: 1 });
    await holder(survivors);
    const handover = Date.now() - killedAt;

    const token = (
      await api(survivors[0]!.url, 'POST', '/api/auth/login', undefined, {
        username: 'admin',
        password: ADMIN_PASSWORD,
      })
    ).body.access_token;
    const ids = await until(
      async () => {
        const events = (await api(survivors[1]!.url, 'GET', '/api/events?limit=1000&types=camera_event', token)).body
          .events;
        const got = events.filter((e: { event_type: string }) => e.event_type === 'person_detected');
        return got.length >= 50 ? got.map((e: { data: { frigate_id: string } }) => e.data.frigate_id) : undefined;
      },
      30_000,
      '50 detections stored',
    );
    expect(ids).toHaveLength(50);
    expect(new Set(ids)).toEqual(new Set(sent.map((d) => d.id)));

    // Out: once per cluster (not once per node); an event in flight at the kill may come twice.
    const outIds = await until(
      () => {
        const got = out.messages
          .filter((m) => m.payload.includes('person_detected'))
          .map((m) => JSON.parse(m.payload).data.frigate_id as string);
        return new Set(got).size >= 50 ? got : undefined;
      },
      20_000,
      'every detection published out',
    );
    expect(new Set(outIds)).toEqual(new Set(sent.map((d) => d.id)));
    // Once per cluster (three nodes each publishing would be 3 copies). Only what the killed node
    // had published before it could store its cursor may come again (its last batch: up to the 25
    // sent before the kill, depending on timing); what was sent after the kill comes exactly once.
    const copies = new Map<string, number>();
    for (const id of outIds) copies.set(id, (copies.get(id) ?? 0) + 1);
    for (const d of sent.slice(0, 25)) expect(copies.get(d.id)).toBeLessThanOrEqual(2);
    for (const d of sent.slice(25)) expect(copies.get(d.id), d.id).toBe(1);
    // Availability: the killed holder's last will, then the new holder's online.
    const statuses = out.messages.filter((m) => m.topic === `${n.openeye}/status`).map((m) => m.payload);
    expect(statuses.slice(-2)).toEqual(['offline', 'online']);
    expect(handover).toBeLessThan(3000 + 10_000);
    console.log(`cluster handover: a new node consumed ${handover} ms after kill -9 (lease 3000 ms)`);
    await pub.end();
    await out.end();
  }, 120_000);
});
