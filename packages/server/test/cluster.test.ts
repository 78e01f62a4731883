/**
 * Three nodes on loopback against a cluster engine (the shared Redis, then the shared NATS) and a
 * throwaway PostgreSQL database; a further scenario per engine runs its own broker so that it can
 * kill, restart and stall it. Every test runs once per entry of TEST_CLUSTER_ENGINES.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../../../test/support/wait.js';
import {
  ADMIN_PASSWORD,
  createTestDatabase,
  dropRedisPrefix,
  freePort,
  type PrivateBroker,
  privateBroker,
  type ServerProcess,
  spawnServerProcess,
  TEST_CLUSTER_ENGINES,
  tempDir,
  testRedisPrefix,
} from '../src/testing.js';
import { api, connect, type TestClient } from './helpers.js';

const SECRET = randomBytes(32).toString('hex');

/** The nodes' data dirs, removed when the file is done. */
const dirs: string[] = [];
const dir = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Starts n nodes; if one does not come up, the others are stopped before the error is thrown. */
async function startNodes(n: number, env: Record<string, string>): Promise<ServerProcess[]> {
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  const started = await Promise.allSettled(
    ports.map((port) =>
      spawnServerProcess({
        port,
        dataDir: dir(),
        startTimeoutMs: 45_000,
        env: {
          OPENEYE_JWT_SECRET: SECRET,
          OPENEYE_NODE_LEASE_MS: '3000',
          OPENEYE_MAX_CONNECTIONS_PER_USER: '5',
          ...env,
        },
      }),
    ),
  );
  const up = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(up.map((p) => p.kill('SIGKILL')));
    throw failed.reason;
  }
  return up;
}

async function login(url: string, username = 'admin', password = ADMIN_PASSWORD): Promise<string> {
  const r = await api(url, 'POST', '/api/auth/login', undefined, { username, password });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
  return r.body.access_token;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(25);
  }
}

describe.each(TEST_CLUSTER_ENGINES)('three nodes, $name between them, PostgreSQL beneath', (engine) => {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  let db: { url: string; drop(): Promise<void> };
  let nodes: ServerProcess[];
  let admin: string;
  let nodeEnv: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      DATABASE_URL: db.url,
      ...engine.env(prefix),
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
    nodes = await startNodes(1, env);
    nodes.push(...(await startNodes(2, env)));
    admin = await login(nodes[0]!.url);
    // Two rounds of process starts, each allowed 45 s on a loaded machine.
  }, 120_000);

  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.kill('SIGTERM')));
    await db?.drop();
    await engine.drop(prefix);
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
    // The refused ones release what they reserved: the count settles at the five open ones.
    await waitFor(
      async () => (await api(c.url, 'GET', '/api/ws/status', token)).body.user_connections === 5,
      'user_connections 5 on node C',
      5000,
    );
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
    // 50 users with two clients each: every user costs two password hashes (create, login), which
    // took 50-70 s for 100 users on a loaded 2-core machine; two of a user's connections counted on
    // the dead node until its lease runs out, plus two on the others, stay under the limit of 5.
    // In batches of 25: a node runs at most 2 logins at once and queues 32 (more get 503).
    const tokens: string[] = [];
    for (let from = 0; from < 50; from += 25) {
      const batch = Array.from({ length: 25 }, (_, j) => from + j);
      const batchTokens = await Promise.all(
        batch.map(async (i) => {
          await api(a.url, 'POST', '/api/users', admin, {
            username: `fo${i}`,
            password: 'failover-pass',
            role: 'viewer',
          });
          return login(a.url, `fo${i}`, 'failover-pass');
        }),
      );
      for (const token of batchTokens) tokens.push(token, token);
    }
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
    await waitFor(() => produced.length >= 5, 'the producer under way');
    await b.kill('SIGKILL');
    // Alerts keep coming while the followers move; stop once every one is welcomed elsewhere.
    const onB = b.url.replace(/^http/, 'ws');
    await waitFor(
      () =>
        followers.every(
          (f) => !f.current.ws.url.startsWith(onB) && f.current.messages.some((m) => m.type === 'connection_status'),
        ),
      'every follower welcomed by another node',
      20_000,
    );
    const moved = produced.length;
    await waitFor(() => produced.length >= moved + 10, '10 more alerts after the move');
    producing = false;
    await producer;
    const last = produced.at(-1)!;
    await waitFor(() => followers.every((f) => f.received.includes(last)), 'every follower got the last alert', 20_000);
    for (const f of followers) {
      const expected = produced.filter((id) => Number(id) > Number(f.from));
      expect(new Set(f.received).size).toBe(f.received.length);
      expect(f.received.filter((id) => Number(id) > Number(f.from)).sort((x, y) => Number(x) - Number(y))).toEqual(
        [...expected].sort((x, y) => Number(x) - Number(y)),
      );
    }
    // The dead node stops being counted once its lease (3 s) runs out.
    let statistics: unknown;
    await waitFor(
      async () => {
        statistics = (await api(a.url, 'GET', '/api/ws/status', admin)).body.statistics;
        const s = statistics as { total_connections: number; total_users: number };
        return s.total_connections === 100 && s.total_users === 50;
      },
      'the dead node no longer counted',
      { timeoutMs: 10_000, intervalMs: 250 },
    ).catch((err) => {
      throw new Error(`${err.message}; last /api/ws/status statistics: ${JSON.stringify(statistics)}`);
    });
    for (const f of followers) {
      f.alive = false;
      f.current.close();
    }
  }, 120_000);

  it('lets a user whose 5 sockets died with their node connect 5 times elsewhere once the lease runs out', async () => {
    const [a, c] = [nodes[0]!, nodes[2]!];
    const port = await freePort();
    const doomed = await spawnServerProcess({ port, dataDir: dir(), env: nodeEnv, startTimeoutMs: 45_000 });
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

describe.each(TEST_CLUSTER_ENGINES)('$name restarted or stalled during a stream of events', (engine) => {
  let broker: PrivateBroker | null = null;
  const running: ServerProcess[] = [];
  const start = async (env: Record<string, string>) => {
    const [node] = await startNodes(1, env);
    running.push(node!);
    return node!;
  };

  afterAll(async () => {
    await Promise.all(running.map((n) => n.kill('SIGKILL')));
    await broker?.close();
  });

  it('loses nothing once the broker returns, and the readiness probe says degraded meanwhile', async () => {
    broker = await privateBroker(engine.name);
    const db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, ...engine.env('openeye', broker.url) };
    const a = await start(env);
    const b = await start(env);
    try {
      const admin = await login(a.url);
      const client = connect(b.url, { token: admin });
      await client.next('connection_status');
      const produced: string[] = [];
      let producing = true;
      const producer = (async () => {
        while (producing) {
          const r = await api(a.url, 'POST', '/api/alerts', admin, { alert_type: 'info', message: 'x' });
          expect(r.status).toBe(201);
          produced.push(r.body.id);
          await sleep(20);
        }
      })();
      await sleep(300);
      await broker.kill('SIGKILL');
      await sleep(1000);
      expect((await api(b.url, 'GET', '/readyz')).body).toMatchObject({ status: 'degraded', [engine.name]: 'down' });
      await sleep(1000);
      await broker.start();
      await sleep(1500);
      producing = false;
      await producer;
      const last = produced.at(-1)!;
      await waitFor(() => client.messages.some((m) => m.id === last), 'the last event', 10_000);
      const ids = client.messages.filter((m) => m.type === 'alert').map((m) => m.id);
      expect(ids).toEqual(produced);
      await until(
        async () => (await api(b.url, 'GET', '/readyz')).body[engine.name] === 'up',
        10_000,
        'the node is connected again',
      );
      client.close();
    } finally {
      await Promise.all([a.kill('SIGTERM'), b.kill('SIGTERM')]);
      await db.drop();
    }
  }, 120_000);

  it('keeps serving while the broker is stalled (SIGSTOP): producers are not blocked, connects end within the budget, nothing is lost', async () => {
    await broker?.close();
    broker = await privateBroker(engine.name);
    const db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, ...engine.env('openeye', broker.url), OPENEYE_HANDSHAKE_TIMEOUT_MS: '1000' };
    const a = await start(env);
    const b = await start(env);
    try {
      const admin = await login(a.url);
      const client = connect(b.url, { token: admin });
      await client.next('connection_status');
      await broker.kill('SIGSTOP');
      const produced: string[] = [];
      const slowest = { ms: 0 };
      for (let i = 0; i < 30; i++) {
        const started = Date.now();
        const r = await api(a.url, 'POST', '/api/alerts', admin, { alert_type: 'info', message: `stalled ${i}` });
        slowest.ms = Math.max(slowest.ms, Date.now() - started);
        expect(r.status).toBe(201);
        produced.push(r.body.id);
        await sleep(50);
      }
      // Storing and answering never waits for the broker.
      expect(slowest.ms).toBeLessThan(500);
      // A connect needs the cluster-wide limiter: it ends within the handshake budget, welcomed or 1013.
      const started = Date.now();
      const late = connect(b.url, { token: admin });
      const outcome = await Promise.race([
        late.next('connection_status', 5000).then(
          () => 'welcome',
          () => 'timeout',
        ),
        late.closed.then((c) => `closed ${c.code}`),
      ]);
      expect(['welcome', 'closed 1013']).toContain(outcome);
      expect(Date.now() - started).toBeLessThan(3000);
      // Node B catches up from the store (poll) even while the broker says nothing.
      await until(() => client.messages.some((m) => m.id === produced.at(-1)), 10_000, 'events during the stall');
      await broker.kill('SIGCONT');
      const after = (await api(a.url, 'POST', '/api/alerts', admin, { alert_type: 'info', message: 'after' })).body.id;
      produced.push(after);
      await waitFor(() => client.messages.some((m) => m.id === after), 'the event after the stall', 10_000);
      expect(client.messages.filter((m) => m.type === 'alert').map((m) => m.id)).toEqual(produced);
      client.close();
      late.close();
    } finally {
      await broker.kill('SIGCONT');
      await Promise.all([a.kill('SIGTERM'), b.kill('SIGTERM')]);
      await db.drop();
    }
  }, 120_000);
});
