/**
 * The client against three live server nodes (a cluster engine between them, once per engine of
 * TEST_CLUSTER_ENGINES: Redis, NATS; PostgreSQL beneath): when the node it is on dies (kill -9),
 * every client moves to another node by itself and, through resume, its listeners get every alert
 * posted meanwhile exactly once.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sleep, waitFor } from '../../../test/support/wait.js';
import {
  ADMIN_PASSWORD,
  createTestDatabase,
  dropRedisPrefix,
  freePort,
  type ServerProcess,
  spawnServerProcess,
  TEST_CLUSTER_ENGINES,
  tempDir,
  testRedisPrefix,
} from '../../server/src/testing.js';
import { OpenEyeApi, OpenEyeClient } from '../src/index.js';

const SECRET = randomBytes(32).toString('hex');

describe.each(TEST_CLUSTER_ENGINES)('client failover across live nodes ($name)', (engine) => {
  const prefix = `c${randomBytes(4).toString('hex')}`;
  let db: { url: string; drop(): Promise<void> };
  const nodes: ServerProcess[] = [];
  const dirs: string[] = [];
  const env = () => ({
    DATABASE_URL: db.url,
    ...engine.env(prefix),
    OPENEYE_JWT_SECRET: SECRET,
    OPENEYE_NODE_LEASE_MS: '3000',
    OPENEYE_HEARTBEAT_INTERVAL_MS: '1000',
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    const e = env();
    const start = async () => {
      const dataDir = tempDir();
      dirs.push(dataDir);
      return spawnServerProcess({ port: await freePort(), dataDir, env: e, startTimeoutMs: 45_000 });
    };
    // The first node creates the schema and the admin; the others then start against it. Every node
    // that came up is kept (and stopped in afterAll) even when another did not.
    nodes.push(await start());
    const more = await Promise.allSettled([start(), start()]);
    for (const r of more) if (r.status === 'fulfilled') nodes.push(r.value);
    const failed = more.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }, 100_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
    await db?.drop();
    await engine.drop(prefix);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('moves 30 clients off a killed node with no alert lost or repeated', async () => {
    const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const adminToken = (await new OpenEyeApi({ baseUrl: a.url }).login('admin', ADMIN_PASSWORD)).access_token;
    const api = new OpenEyeApi({ baseUrl: a.url, getToken: () => adminToken });
    const clients = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        await api.createUser({ username: `viewer${i}`, password: 'viewer-password', role: 'viewer' });
        const token = (await api.login(`viewer${i}`, 'viewer-password')).access_token;
        const client = new OpenEyeClient({
          WebSocket,
          baseUrl: [b.url, a.url, c.url],
          getToken: () => token,
          backoff: { baseMs: 100, capMs: 500 },
          pollIntervalMs: 300,
        });
        const alerts: string[] = [];
        client.on('alert', (m) => alerts.push(m.id));
        const statuses: string[] = [];
        client.on('status_change', (c) => statuses.push(c.status));
        client.connect();
        return { client, alerts, statuses };
      }),
    );
    await waitFor(() => clients.every((x) => x.client.isConnected()), 'every client connected', 15_000);
    const produced: string[] = [];
    let producing = true;
    const producer = (async () => {
      const targets = [
        new OpenEyeApi({ baseUrl: a.url, getToken: () => adminToken }),
        new OpenEyeApi({ baseUrl: c.url, getToken: () => adminToken }),
      ];
      for (let i = 0; producing; i++) {
        produced.push((await targets[i % 2]!.createAlert({ alert_type: 'critical', message: `failover ${i}` })).id);
        await sleep(20);
      }
    })();
    await waitFor(() => produced.length >= 5, 'the producer under way');
    await b.kill('SIGKILL');
    // Alerts keep coming while the clients move; stop once every one is connected elsewhere.
    await waitFor(
      () => clients.every((x) => x.statuses.includes('reconnecting') && x.client.isConnected()),
      'every client connected to another node',
      20_000,
    );
    const moved = produced.length;
    await waitFor(() => produced.length >= moved + 10, '10 more alerts after the move');
    producing = false;
    await producer;
    const last = produced.at(-1)!;
    await waitFor(() => clients.every((x) => x.alerts.includes(last)), 'every client got the last alert', 20_000);
    for (const { client, alerts } of clients) {
      expect(client.getStatus()).toBe('connected');
      expect(new Set(alerts).size).toBe(alerts.length);
      expect(alerts).toEqual(produced);
      client.disconnect();
    }
  }, 90_000);
});
