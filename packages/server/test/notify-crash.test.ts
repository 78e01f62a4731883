/**
 * The webhook outbox survives kill -9 (issue 13): a server killed in the middle of deliveries loses
 * none, and after a restart repeats only those whose answer it had not recorded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../../../test/support/wait.js';
import { ADMIN_PASSWORD, freePort, type ServerProcess, spawnServerProcess, tempDir } from '../src/testing.js';
import { api } from './helpers.js';

const ALERTS = 12;

describe('webhook deliveries across kill -9', () => {
  const dataDir = tempDir('openeye-crash-');
  let proc: ServerProcess | null = null;
  let receiver: http.Server | null = null;
  afterAll(async () => {
    await proc?.kill('SIGKILL');
    receiver?.closeAllConnections();
    receiver?.close();
  });

  it('loses no delivery and repeats only unconfirmed ones', async () => {
    const received: string[] = [];
    receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['x-openeye-delivery']));
        // Slow answers, so the kill lands with attempts in flight.
        setTimeout(() => res.writeHead(204).end(), 250);
      });
    });
    await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const port = await freePort();
    const env = {
      OPENEYE_WEBHOOK_ALLOW_PRIVATE: 'true',
      OPENEYE_NOTIFY_RETRY_BASE_MS: '100',
      OPENEYE_NOTIFY_TIMEOUT_MS: '1000',
    };
    proc = await spawnServerProcess({ port, dataDir, env });
    const token = (
      await api(proc.url, 'POST', '/api/auth/login', undefined, { username: 'admin', password: ADMIN_PASSWORD })
    ).body.access_token as string;
    const hook = (await api(proc.url, 'POST', '/api/webhooks', token, { name: 'crash', url: hookUrl })).body;
    await api(proc.url, 'POST', '/api/escalation-rules', token, {
      name: 'now',
      after_seconds: 0,
      webhook_ids: [hook.id],
    });
    for (let i = 0; i < ALERTS; i++) {
      await api(proc.url, 'POST', '/api/alerts', token, { alert_type: 'critical', message: `crash ${i}` });
    }
    // Escalation queues due alerts once a second, so the 12 may reach the outbox in two ticks: kill
    // only once all are queued (a kill between the ticks found 6 rows in a loaded CI run).
    await waitFor(async () => {
      const log = (await api(proc!.url, 'GET', `/api/webhooks/${hook.id}/deliveries`, token)).body as unknown[];
      return log.length === ALERTS;
    }, `all ${ALERTS} alerts queued for the webhook`);
    for (let i = 0; i < 400 && received.length < 4; i++) await sleep(10);
    expect(received.length).toBeGreaterThanOrEqual(4);
    await proc.kill('SIGKILL');
    const atKill = [...received];

    // What the dead server had recorded as delivered.
    const db = new SQLite(path.join(dataDir, 'openeye.db'), { readonly: true });
    const rows = db.prepare('select id, status from notification_outbox').all() as { id: number; status: string }[];
    db.close();
    const confirmed = new Set(rows.filter((r) => r.status === 'delivered').map((r) => String(r.id)));
    expect(rows.length).toBe(ALERTS);
    expect(confirmed.size).toBeLessThan(ALERTS);

    proc = await spawnServerProcess({ port, dataDir, env });
    for (let i = 0; i < 600; i++) {
      const log = (await api(proc.url, 'GET', `/api/webhooks/${hook.id}/deliveries`, token)).body as {
        status: string;
      }[];
      if (log.length === ALERTS && log.every((d) => d.status === 'delivered')) break;
      await sleep(50);
    }
    const all = rows.map((r) => String(r.id));
    // None lost.
    for (const id of all) expect(received, `delivery ${id}`).toContain(id);
    // Repeated only what had not been confirmed (attempts in flight at the kill).
    const repeated = all.filter((id) => received.filter((r) => r === id).length > 1);
    for (const id of repeated) expect(confirmed.has(id), `delivery ${id} repeated after it was confirmed`).toBe(false);
    for (const id of confirmed) expect(received.filter((r) => r === id)).toHaveLength(1);
    expect(repeated.every((id) => atKill.includes(id))).toBe(true);
    await proc.kill('SIGTERM');
    proc = null;
  }, 60_000);
});
