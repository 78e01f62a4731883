/**
 * Three nodes on loopback against the real Redis and a throwaway PostgreSQL database; a fourth
 * scenario runs its own redis-server so that it can kill and restart it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  createTestDatabase,
  freePort,
  type ServerProcess,
  spawnServerProcess,
  tempDir,
} from '../src/testing.js';
import { api, connect, sleep, type TestClient } from './helpers.js';

const SECRET = randomBytes(32).toString('hex');

async function startNodes(n: number, env: Record<string, string>): Promise<ServerProcess[]> {
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  return Promise.all(
    ports.map((port) =>
      spawnServerProcess({
        port,
        dataDir: tempDir(),
        env: {
          OPENEYE_JWT_SECRET: SECRET,
          OPENEYE_NODE_LEASE_MS: '3000',
          OPENEYE_MAX_CONNECTIONS_PER_USER: '5',
          ...env,
        },
      }),
    ),
  );
}

async function login(url: string, username = 'admin', password = ADMIN_PASSWORD): Promise<string> {
  const r = await api(url, 'POST', '/api/auth/login', undefined, { username, password });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
  return r.body.access_token;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(25);
  }
}

describe('three nodes, Redis between them, PostgreSQL beneath', () => {
  let db: { url: string; drop(): Promise<void> };
  let nodes: ServerProcess[];
  let admin: string;
  let nodeEnv: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      OPENEYE_REDIS_PREFIX: `t${randomBytes(4).toString('hex')}`,
      // The alert test's webhook receiver is on loopback.
      OPENEYE_WEBHOOK_ALLOW_PRIVATE: 'true',
    };
    nodeEnv = {
      OPENEYE_JWT_SECRET: SECRET,
      OPENEYE_NODE_LEASE_MS: '3000',
      OPENEYE_MAX_CONNECTIONS_PER_USER: '5',
      ...env,
    };
    // The first node creates the schema and the admin; the others then start against it.
    const [first] = await startNodes(1, env);
    nodes = [first!, ...(await startNodes(2, env))];
    admin = await login(nodes[0]!.url);
  }, 60_000);

  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.kill('SIGTERM')));
    await db?.drop();
  });

  it('delivers events posted to any node to clients on every node, in the same order, with the same ids', async () => {
    const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const onA = connect(a.url, { token: admin });
    const onB = connect(b.url, { token: admin });
    await Promise.all([onA.next('connection_status'), onB.next('connection_status')]);
    const posted = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api([a, b, c][i % 3]!.url, 'POST', '/api/alerts', admin, { alert_type: 'info', message: `m${i}` }),
      ),
    );
    const ids = posted.map((p) => p.body.id as string).sort((x, y) => Number(x) - Number(y));
    const gotA = (await onA.waitFor('alert', 40)).map((m) => m.id);
    const gotB = (await onB.waitFor('alert', 40)).map((m) => m.id);
    expect(gotA).toEqual(ids);
    expect(gotB).toEqual(ids);
    onA.close();
    onB.close();
  }, 30_000);

  it('holds the per-user limit across nodes and counts every node in /api/ws/status', async () => {
    const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    await api(a.url, 'POST', '/api/users', admin, { username: 'limited', password: 'limited-pass', role: 'viewer' });
    const token = await login(a.url, 'limited', 'limited-pass');
    const open = [
      ...Array.from({ length: 3 }, () => connect(a.url, { token })),
      ...Array.from({ length: 2 }, () => connect(b.url, { token })),
    ];
    await Promise.all(open.map((x) => x.next('connection_status')));
    expect(await connect(c.url, { token }).closed).toEqual({ code: 1008, reason: 'Rate limit exceeded' });
    expect(await connect(a.url, { token }).closed).toEqual({ code: 1008, reason: 'Rate limit exceeded' });
    await sleep(200);
    const status = await api(c.url, 'GET', '/api/ws/status', token);
    expect(status.body.user_connections).toBe(5);
    for (const x of open) x.close();
    await Promise.all(open.map((x) => x.closed));

    await api(a.url, 'POST', '/api/users', admin, { username: 'burst', password: 'burst-pass', role: 'viewer' });
    const burst = await login(a.url, 'burst', 'burst-pass');
    const many = Array.from({ length: 20 }, (_, i) => connect(nodes[i % 2]!.url, { token: burst }));
    const outcomes = await Promise.all(
      many.map((x) =>
        Promise.race([
          x.next('connection_status', 5000).then(() => 'welcome'),
          x.closed.then((cl) => `closed ${cl.code}`),
        ]),
      ),
    );
    expect(outcomes.filter((o) => o === 'welcome')).toHaveLength(5);
    expect(outcomes.filter((o) => o === 'closed 1008')).toHaveLength(15);
    for (const x of many) x.close();
  }, 30_000);

  it("closes a disabled user's sockets on every node within a second", async () => {
    const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const created = await api(a.url, 'POST', '/api/users', admin, {
      username: 'revoked',
      password: 'revoked-pass',
      role: 'viewer',
    });
    const token = await login(a.url, 'revoked', 'revoked-pass');
    const sockets = [connect(a.url, { token }), connect(b.url, { token }), connect(c.url, { token })];
    await Promise.all(sockets.map((x) => x.next('connection_status')));
    const started = Date.now();
    await api(b.url, 'PATCH', `/api/users/${created.body.id}`, admin, { disabled: true });
    const closes = await Promise.all(sockets.map((x) => x.closed));
    expect(closes).toEqual(Array(3).fill({ code: 1008, reason: 'Invalid token' }));
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('alerts: an acknowledgement on node A reaches a dashboard on node C; an escalation fires once in the cluster', async () => {
    const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    await api(a.url, 'POST', '/api/users', admin, {
      username: 'operator',
      password: 'operator-password',
      role: 'viewer',
    });
    const operator = await login(a.url, 'operator', 'operator-password');
    const dashboard = connect(c.url, { token: operator, subscribe: 'alert_update' });
    await dashboard.next('connection_status');
    const alert = (await api(b.url, 'POST', '/api/alerts', admin, { alert_type: 'warning', message: 'cluster ack' }))
      .body;
    const acked = await api(a.url, 'POST', `/api/alerts/${alert.id}/acknowledge`, operator, { version: 1 });
    expect(acked.status).toBe(200);
    const sent = Date.now();
    expect(await dashboard.next('alert_update', 1000)).toMatchObject({ alert_id: alert.id, state: 'acknowledged' });
    expect(Date.now() - sent).toBeLessThan(1000);
    dashboard.close();

    const hits: string[] = [];
    const { createServer } = await import('node:http');
    const rx = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        hits.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(rx.address() as { port: number }).port}/hook`;
      const hook = (await api(a.url, 'POST', '/api/webhooks', admin, { name: 'cluster', url })).body;
      const { body: rule } = await api(b.url, 'POST', '/api/escalation-rules', admin, {
        name: 'once',
        after_seconds: 1,
        webhook_ids: [hook.id],
      });
      const escalated = (
        await api(c.url, 'POST', '/api/alerts', admin, { alert_type: 'critical', message: 'escalate once' })
      ).body;
      await until(() => hits.some((h) => h.includes(`"id":"${escalated.id}"`)), 6000, 'the escalation');
      // Every node runs the escalation and outbox workers: wait a few more rounds for a duplicate.
      await sleep(3000);
      expect(hits.filter((h) => h.includes(`"id":"${escalated.id}"`))).toHaveLength(1);
      const log = (await api(b.url, 'GET', `/api/webhooks/${hook.id}/deliveries`, admin)).body;
      expect(log.filter((d: { alert_id: string }) => d.alert_id === escalated.id)).toHaveLength(1);
      // The later tests raise many alerts: no escalation for them.
      await api(a.url, 'DELETE', `/api/escalation-rules/${rule.id}`, admin);
    } finally {
      rx.closeAllConnections();
      rx.close();
    }
  });

  it('kill -9 of a node holding 100 clients: they move to the others and, by resume, lose and duplicate no alert', async () => {
    const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const tokens = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        await api(a.url, 'POST', '/api/users', admin, {
          username: `fo${i}`,
          password: 'failover-pass',
          role: 'viewer',
        });
        return login(a.url, `fo${i}`, 'failover-pass');
      }),
    );
    interface Follower {
      received: string[];
      from: string;
      current: TestClient;
      alive: boolean;
    }
    const followers: Follower[] = [];
    const attach = (f: Follower, url: string, token: string, lastEventId?: string) => {
      const client = connect(url, { token, last_event_id: lastEventId });
      f.current = client;
      client.ws.on('message', (raw) => {
        const m = JSON.parse(String(raw));
        if (m.type === 'alert') f.received.push(m.id);
      });
      client.closed.then(() => {
        if (!f.alive) return;
        // Reconnect to another node, resuming from the last alert delivered.
        const next = Math.random() < 0.5 ? a.url : c.url;
        setTimeout(() => attach(f, next, token, f.received.at(-1) ?? f.from), 50 + Math.random() * 200);
      });
    };
    for (const token of tokens) {
      const f: Follower = { received: [], from: '', current: null as unknown as TestClient, alive: true };
      attach(f, b.url, token);
      followers.push(f);
    }
    const welcomes = await Promise.all(followers.map((f) => f.current.next('connection_status', 10_000)));
    welcomes.forEach((w, i) => {
      followers[i]!.from = String(w.last_event_id);
    });
    const produced: string[] = [];
    let producing = true;
    const producer = (async () => {
      let i = 0;
      while (producing) {
        const r = await api([a, c][i++ % 2]!.url, 'POST', '/api/alerts', admin, {
          alert_type: 'warning',
          message: `failover ${i}`,
        });
        produced.push(r.body.id);
        await sleep(10);
      }
    })();
    await sleep(300);
    await b.kill('SIGKILL');
    await sleep(1500);
    producing = false;
    await producer;
    const last = produced.at(-1)!;
    await until(() => followers.every((f) => f.received.includes(last)), 20_000, 'every follower got the last alert');
    for (const f of followers) {
      const expected = produced.filter((id) => Number(id) > Number(f.from));
      expect(new Set(f.received).size).toBe(f.received.length);
      expect(f.received.filter((id) => Number(id) > Number(f.from)).sort((x, y) => Number(x) - Number(y))).toEqual(
        [...expected].sort((x, y) => Number(x) - Number(y)),
      );
    }
    // The dead node stops being counted once its lease runs out.
    await sleep(3500);
    const status = await api(a.url, 'GET', '/api/ws/status', admin);
    expect(status.body.statistics, JSON.stringify(status.body)).toMatchObject({
      total_connections: 100,
      total_users: 100,
    });
    for (const f of followers) {
      f.alive = false;
      f.current.close();
    }
  }, 60_000);

  it('lets a user whose 5 sockets died with their node connect 5 times elsewhere once the lease runs out', async () => {
    const [a, c] = [nodes[0]!, nodes[2]!];
    const port = await freePort();
    const doomed = await spawnServerProcess({ port, dataDir: tempDir(), env: nodeEnv });
    await api(a.url, 'POST', '/api/users', admin, { username: 'stranded', password: 'stranded-pass', role: 'viewer' });
    const token = await login(a.url, 'stranded', 'stranded-pass');
    const five = Array.from({ length: 5 }, () => connect(doomed.url, { token }));
    await Promise.all(five.map((x) => x.next('connection_status')));
    await doomed.kill('SIGKILL');
    const started = Date.now();
    const welcomed: TestClient[] = [];
    while (welcomed.length < 5 && Date.now() - started < 10_000) {
      const x = connect([a, c][welcomed.length % 2]!.url, { token });
      const outcome = await Promise.race([
        x.next('connection_status').then(
          () => 'ok',
          () => 'timeout',
        ),
        x.closed.then(() => 'closed'),
      ]);
      if (outcome === 'ok') welcomed.push(x);
      else await sleep(250);
    }
    expect(welcomed).toHaveLength(5);
    expect(Date.now() - started).toBeLessThan(2 * 3000 + 1000);
    for (const x of welcomed) x.close();
  }, 30_000);
});

describe('Redis restarted during a stream of events', () => {
  let redis: ChildProcess | null = null;
  let port: number;
  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 50; i++) {
      try {
        const net = await import('node:net');
        await new Promise<void>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1', () => {
            s.destroy();
            resolve();
          });
          s.on('error', reject);
        });
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error('redis-server did not start');
  };

  afterAll(() => {
    redis?.kill('SIGKILL');
  });

  it('loses nothing once Redis returns, and the readiness probe says degraded meanwhile', async () => {
    port = await freePort();
    await startRedis();
    const db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${port}` };
    const [a] = await startNodes(1, env);
    const [b] = await startNodes(1, env);
    try {
      const admin = await login(a!.url);
      const client = connect(b!.url, { token: admin });
      await client.next('connection_status');
      const produced: string[] = [];
      let producing = true;
      const producer = (async () => {
        while (producing) {
          const r = await api(a!.url, 'POST', '/api/alerts', admin, { alert_type: 'info', message: 'x' });
          expect(r.status).toBe(201);
          produced.push(r.body.id);
          await sleep(20);
        }
      })();
      await sleep(300);
      redis!.kill('SIGKILL');
      await sleep(1000);
      expect((await api(b!.url, 'GET', '/readyz')).body).toMatchObject({ status: 'degraded', redis: 'down' });
      await sleep(1000);
      await startRedis();
      await sleep(1500);
      producing = false;
      await producer;
      const last = produced.at(-1)!;
      await until(() => client.messages.some((m) => m.id === last), 10_000, 'the last event');
      const ids = client.messages.filter((m) => m.type === 'alert').map((m) => m.id);
      expect(ids).toEqual(produced);
      expect((await api(b!.url, 'GET', '/readyz')).body.redis).toBe('up');
      client.close();
    } finally {
      await Promise.all([a?.kill('SIGTERM'), b?.kill('SIGTERM')]);
      await db.drop();
    }
  }, 60_000);

  it('keeps serving while Redis is stalled (SIGSTOP): producers are not blocked, connects end within the budget, nothing is lost', async () => {
    redis?.kill('SIGKILL');
    port = await freePort();
    await startRedis();
    const db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${port}`, OPENEYE_HANDSHAKE_TIMEOUT_MS: '1000' };
    const [a] = await startNodes(1, env);
    const [b] = await startNodes(1, env);
    try {
      const admin = await login(a!.url);
      const client = connect(b!.url, { token: admin });
      await client.next('connection_status');
      redis!.kill('SIGSTOP');
      const produced: string[] = [];
      const slowest = { ms: 0 };
      for (let i = 0; i < 30; i++) {
        const started = Date.now();
        const r = await api(a!.url, 'POST', '/api/alerts', admin, { alert_type: 'info', message: `stalled ${i}` });
        slowest.ms = Math.max(slowest.ms, Date.now() - started);
        expect(r.status).toBe(201);
        produced.push(r.body.id);
        await sleep(50);
      }
      // Storing and answering never waits for Redis.
      expect(slowest.ms).toBeLessThan(500);
      // A connect needs the cluster-wide limiter: it ends within the handshake budget, welcomed or 1013.
      const started = Date.now();
      const late = connect(b!.url, { token: admin });
      const outcome = await Promise.race([
        late.next('connection_status', 5000).then(
          () => 'welcome',
          () => 'timeout',
        ),
        late.closed.then((c) => `closed ${c.code}`),
      ]);
      expect(['welcome', 'closed 1013']).toContain(outcome);
      expect(Date.now() - started).toBeLessThan(3000);
      // Node B catches up from the store (poll) even while Redis says nothing.
      await until(() => client.messages.some((m) => m.id === produced.at(-1)), 10_000, 'events during the stall');
      redis!.kill('SIGCONT');
      const after = (await api(a!.url, 'POST', '/api/alerts', admin, { alert_type: 'info', message: 'after' })).body.id;
      produced.push(after);
      await until(() => client.messages.some((m) => m.id === after), 10_000, 'the event after the stall');
      expect(client.messages.filter((m) => m.type === 'alert').map((m) => m.id)).toEqual(produced);
      client.close();
      late.close();
    } finally {
      redis?.kill('SIGCONT');
      await Promise.all([a?.kill('SIGTERM'), b?.kill('SIGTERM')]);
      await db.drop();
    }
  }, 60_000);
});
