/**
 * The cluster engine contract (cluster/engine.ts), one suite run against every engine: `local`,
 * `redis` and `nats`. A new engine is done when its row in ENGINES passes all of it.
 *
 * Nodes are in-process servers (startTestServer) sharing one PostgreSQL database and one JWT
 * secret, except the node killed with -9 (a separate process). A LocalEngine lives inside one
 * process, so `local` has one node: the tests that need several are skipped for it with the
 * reason in the table (the test's title says so); every other test runs on it too.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../test/support/wait.js';
import { createEngine } from '../src/cluster/select.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import {
  createTestDatabase,
  freePort,
  type PrivateBroker,
  privateBroker,
  type ServerProcess,
  spawnServerProcess,
  startTestServer,
  TEST_CLUSTER_ENGINES,
  type TestClusterEngine,
  type TestServer,
  tempDir,
} from '../src/testing.js';
import { api, connect, type TestClient } from './helpers.js';

const SECRET = randomBytes(32).toString('hex');
const LEASE_MS = 3000;
const LIMIT = 5;

interface EngineCase {
  name: 'local' | TestClusterEngine['name'];
  /** The variables that select the engine, against the shared broker or the one at `url`. */
  env(prefix: string, url?: string): Record<string, string>;
  /** Removes what a run left in the shared broker. */
  drop(prefix: string): Promise<void>;
  /** Why the tests that need several nodes do not apply; null when they do. */
  singleNode: string | null;
  /** Why the broker-outage test does not apply; null when it does. */
  noBroker: string | null;
  urlWithSecret?: (port: number, secret: string) => string;
}

const ENGINES: EngineCase[] = [
  {
    name: 'local',
    env: () => ({}),
    drop: async () => undefined,
    singleNode: 'one process: a LocalEngine cannot be shared by several servers, so there is no other node',
    noBroker: 'no broker: the local engine has no connection to lose',
  },
  ...TEST_CLUSTER_ENGINES.map((e) => ({ ...e, singleNode: null, noBroker: null })),
];

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(25);
  }
}

/** Welcomed, or closed with a code: what became of a connect. */
function outcome(c: TestClient, timeoutMs = 5000): Promise<string> {
  return Promise.race([
    c.next('connection_status', timeoutMs).then(
      () => 'welcome',
      () => 'timeout',
    ),
    c.closed.then((cl) => `closed ${cl.code}`),
  ]);
}

const byId = (a: string, b: string) => Number(a) - Number(b);

describe.each(ENGINES)('engine contract: $name', (engine) => {
  const prefix = `ct${engine.name}${randomBytes(4).toString('hex')}`;
  const multi = engine.singleNode === null;
  /** A test that does not apply to this engine is skipped with the table's reason in its title. */
  const unless = (reason: string | null) => (name: string, fn: () => Promise<void>, timeout: number) =>
    reason === null ? it(name, fn, timeout) : it.skip(`${name} (skipped for ${engine.name}: ${reason})`, fn);
  const multiNode = unless(engine.singleNode);
  const withBroker = unless(engine.noBroker ?? engine.singleNode);
  let db: { url: string; drop(): Promise<void> };
  let nodes: TestServer[] = [];
  const extra: TestServer[] = [];
  const processes: ServerProcess[] = [];
  const brokers: PrivateBroker[] = [];
  const databases: { drop(): Promise<void> }[] = [];
  const dirs: string[] = [];

  const nodeEnv = (over: Record<string, string> = {}) => ({
    DATABASE_URL: db.url,
    OPENEYE_JWT_SECRET: SECRET,
    OPENEYE_NODE_LEASE_MS: String(LEASE_MS),
    OPENEYE_MAX_CONNECTIONS_PER_USER: String(LIMIT),
    ...engine.env(prefix),
    ...over,
  });
  const startNode = () => startTestServer({ env: nodeEnv() });
  const admin = () => nodes[0]!.adminToken;

  beforeAll(async () => {
    db = await createTestDatabase();
    // The first node creates the schema and the admin; the others then start against it.
    nodes = [await startNode()];
    if (multi) nodes.push(...(await Promise.all([startNode(), startNode()])));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...nodes, ...extra].map((n) => n.close().catch(() => undefined)));
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    await Promise.all(brokers.map((b) => b.close()));
    await Promise.all(databases.map((d) => d.drop()));
    await db?.drop();
    await engine.drop(prefix);
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('runs on the engine it names', () => {
    for (const n of nodes) expect(n.server.engine.name).toBe(engine.name);
  });

  unless(engine.noBroker)(
    'connects nothing before start(); start() fails clearly, naming the URL without its secret',
    async () => {
      // A TCP listener that counts connections: nothing may arrive before start().
      const seen: net.Socket[] = [];
      const listener = net.createServer((socket) => seen.push(socket));
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      const port = (listener.address() as net.AddressInfo).port;
      const secret = `s3cret${randomBytes(4).toString('hex')}`;
      const lines: string[] = [];
      const log = createLogger(
        'trace',
        new Writable({
          write(chunk, _enc, cb) {
            lines.push(String(chunk));
            cb();
          },
        }),
      );
      const config = loadConfig({ DATABASE_URL: db.url, ...engine.env(prefix, engine.urlWithSecret!(port, secret)) });
      const subject = await createEngine(config, log);
      expect(subject.name).toBe(engine.name);
      await sleep(300);
      expect(seen).toHaveLength(0);
      // Nothing answers there any more: start() throws, naming where it tried.
      for (const s of seen) s.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      const started = Date.now();
      const err = await subject
        .start(() => ({ users: {}, presence: {} }))
        .then(
          () => null,
          (e: Error) => e,
        );
      expect(err?.message).toMatch(
        new RegExp(`cannot reach ${engine.name === 'redis' ? 'Redis' : 'NATS'} at .*127\\.0\\.0\\.1:${port}`),
      );
      expect(err?.message).not.toContain(secret);
      expect(Date.now() - started).toBeLessThan(10_000);
      await subject.stop();
      expect(lines.join('')).not.toContain(secret);
    },
    20_000,
  );

  it('delivers events posted to any node to clients on every node, in the same order, with the same ids', async () => {
    const viewer = await nodes[0]!.tokenFor('order-viewer');
    const clients = nodes.flatMap((n) => [connect(n.url, { token: admin() }), connect(n.url, { token: viewer })]);
    await Promise.all(clients.map((c) => c.next('connection_status')));
    const posted = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api(nodes[i % nodes.length]!.url, 'POST', '/api/alerts', admin(), { alert_type: 'info', message: `m${i}` }),
      ),
    );
    expect(posted.map((p) => p.status)).toEqual(Array(40).fill(201));
    const ids = posted.map((p) => String(p.body.id)).sort(byId);
    for (const c of clients) {
      expect((await c.waitFor('alert', 40, 10_000)).map((m) => m.id)).toEqual(ids);
    }
    for (const c of clients) c.close();
  }, 30_000);

  it('delivers exactly once across a node restart: the client resumes on another node', async () => {
    const victim = multi ? 1 : 0;
    const token = await nodes[0]!.tokenFor('resumer');
    const received: string[] = [];
    let from = '';
    let following = true;
    let current: TestClient;
    const attach = (url: string, lastEventId?: string) => {
      const c = connect(url, { token, last_event_id: lastEventId });
      current = c;
      c.ws.on('message', (raw) => {
        const m = JSON.parse(String(raw));
        if (m.type === 'alert') received.push(m.id);
      });
      void c.closed.then(() => {
        if (!following) return;
        // Another node (the restarted one when there is only one), resuming from the last alert.
        setTimeout(() => attach(nodes[multi ? 2 : 0]!.url, received.at(-1) ?? from), 100);
      });
    };
    attach(nodes[victim]!.url);
    from = String((await current!.next('connection_status')).last_event_id ?? '0');
    const produced: string[] = [];
    let producing = true;
    const producer = (async () => {
      for (let i = 0; producing; i++) {
        const target = nodes.filter((_, j) => j !== victim)[i % Math.max(1, nodes.length - 1)] ?? nodes[0]!;
        const r = await api(target.url, 'POST', '/api/alerts', admin(), {
          alert_type: 'warning',
          message: `r${i}`,
        }).catch(() => null);
        // A single node is down while it restarts: the producer retries later.
        if (r?.status === 201) produced.push(String(r.body.id));
        await sleep(10);
      }
    })();
    await sleep(300);
    const old = nodes[victim]!;
    await old.close();
    // The node comes back (a new process would take its place behind the balancer).
    nodes[victim] = await startNode();
    await sleep(500);
    producing = false;
    await producer;
    const last = produced.at(-1)!;
    await until(() => received.includes(last), 15_000, 'the follower got the last alert');
    following = false;
    current!.close();
    expect(new Set(received).size).toBe(received.length);
    expect(received).toEqual(produced.filter((id) => Number(id) > Number(from)).sort(byId));
  }, 60_000);

  it(`holds the per-user limit (${LIMIT}) across nodes under a race of 20 simultaneous connects`, async () => {
    const token = await nodes[0]!.tokenFor('racer');
    const many = Array.from({ length: 20 }, (_, i) => connect(nodes[i % nodes.length]!.url, { token }));
    const outcomes = await Promise.all(many.map((c) => outcome(c)));
    expect(outcomes.filter((o) => o === 'welcome')).toHaveLength(LIMIT);
    expect(outcomes.filter((o) => o === 'closed 1008')).toHaveLength(20 - LIMIT);
    // Every node counts the whole cluster.
    for (const n of nodes) {
      await until(
        async () => (await api(n.url, 'GET', '/api/ws/status', token)).body.user_connections === LIMIT,
        5000,
        `${n.url} counts ${LIMIT} connections`,
      );
    }
    for (const c of many) c.close();
    await Promise.all(many.map((c) => c.closed));
    // Closed slots are given back: the user can connect again.
    await until(
      async () => {
        const again = connect(nodes.at(-1)!.url, { token });
        const o = await outcome(again);
        again.close();
        return o === 'welcome';
      },
      5000,
      'a connect after all were closed',
    );
  }, 30_000);

  it('merges presence: watchers on two nodes appear together in /api/ws/presence and presence_update', async () => {
    const [a, b] = [nodes[0]!, nodes[multi ? 1 : 0]!];
    const observerNode = nodes.at(-1)!;
    const camera = (await api(a.url, 'POST', '/api/cameras', admin(), { name: `presence-${engine.name}` })).body.id;
    const [w1, w2] = [await a.tokenFor('watcher-one'), await a.tokenFor('watcher-two')];
    const [id1, id2] = [await a.userId('watcher-one'), await a.userId('watcher-two')];
    const observer = connect(observerNode.url, { token: admin() });
    await observer.next('connection_status');
    observer.send({ type: 'subscribe', event_types: ['presence_update'] });
    await observer.next('subscription_confirmed');
    const one = connect(a.url, { token: w1 });
    const two = connect(b.url, { token: w2 });
    await Promise.all([one.next('connection_status'), two.next('connection_status')]);
    one.send({ type: 'subscribe', event_types: ['camera_event'], camera_ids: [camera] });
    two.send({ type: 'subscribe', event_types: ['camera_event'], camera_ids: [camera] });
    const watchers = (m: Record<string, unknown>) =>
      (
        (m.data as { cameras: Record<string, { user_id: number; connections: number }[]> }).cameras[String(camera)] ??
        []
      )
        .map((w) => `${w.user_id}:${w.connections}`)
        .sort();
    const both = [`${id1}:1`, `${id2}:1`].sort();
    await until(
      () => observer.messages.some((m) => m.type === 'presence_update' && watchers(m).join() === both.join()),
      5000,
      'a presence_update naming both watchers',
    );
    for (const n of nodes) {
      const rest = await api(n.url, 'GET', '/api/ws/presence', admin());
      expect(watchers({ data: rest.body })).toEqual(both);
    }
    one.close();
    await until(
      () => {
        const last = observer.messages.filter((m) => m.type === 'presence_update').at(-1);
        return last !== undefined && watchers(last).join() === `${id2}:1`;
      },
      5000,
      'a presence_update without the watcher who left',
    );
    two.close();
    observer.close();
  }, 30_000);

  multiNode(
    'stops counting the connections of a node killed with -9 once its lease runs out',
    async () => {
      const dataDir = tempDir();
      dirs.push(dataDir);
      const doomed = await spawnServerProcess({
        port: await freePort(),
        dataDir,
        env: nodeEnv(),
        startTimeoutMs: 45_000,
      });
      processes.push(doomed);
      const token = await nodes[0]!.tokenFor('stranded');
      const five = Array.from({ length: LIMIT }, () => connect(doomed.url, { token }));
      await Promise.all(five.map((c) => c.next('connection_status', 10_000)));
      // The doomed node's connections count everywhere.
      const sixth = connect(nodes[0]!.url, { token });
      expect(await outcome(sixth)).toBe('closed 1008');
      await doomed.kill('SIGKILL');
      const killed = Date.now();
      // Still counted right after the kill (its lease has not run out yet)…
      const early = connect(nodes[1]!.url, { token });
      expect(await outcome(early)).toBe('closed 1008');
      // …and no longer once it has: the user connects 5 times on the other nodes.
      const welcomed: TestClient[] = [];
      while (welcomed.length < LIMIT && Date.now() - killed < 4 * LEASE_MS) {
        const c = connect(nodes[welcomed.length % nodes.length]!.url, { token });
        if ((await outcome(c)) === 'welcome') welcomed.push(c);
        else await sleep(100);
      }
      expect(welcomed).toHaveLength(LIMIT);
      expect(Date.now() - killed).toBeLessThan(LEASE_MS + 2000);
      expect(Date.now() - killed).toBeGreaterThan(LEASE_MS / 3);
      // The killed node drops out of the cluster's figures too.
      await until(
        async () => (await api(nodes[0]!.url, 'GET', '/api/ws/status', token)).body.user_connections === LIMIT,
        5000,
        'the status counts the live connections only',
      );
      for (const c of welcomed) c.close();
    },
    40_000,
  );

  if (multi) {
    it('grants a named lease to exactly one node; another takes it when the holder stops renewing or releases it', async () => {
      const engines = nodes.map((n) => n.server.engine);
      const name = `contract-${randomBytes(3).toString('hex')}`;
      const ttl = 1000;
      const round = () => Promise.all(engines.map((e) => e.lease(name, ttl)));
      const first = await round();
      expect(first.filter(Boolean)).toHaveLength(1);
      const holder = first.indexOf(true);
      // Renewals keep it where it is.
      for (let i = 0; i < 3; i++) {
        await sleep(200);
        expect(await round()).toEqual(first);
      }
      // The holder stops renewing (as a dead one would): another takes it once the ttl runs out.
      const others = engines.filter((_, i) => i !== holder);
      const stopped = Date.now();
      let taken: boolean[] = [];
      await until(
        async () => {
          taken = await Promise.all(others.map((e) => e.lease(name, ttl)));
          return taken.some(Boolean);
        },
        4 * ttl,
        'another node takes the lease',
      );
      expect(Date.now() - stopped).toBeGreaterThanOrEqual(ttl - 100);
      expect(taken.filter(Boolean)).toHaveLength(1);
      // The former holder now answers false, and exactly one node holds it.
      expect((await round()).filter(Boolean)).toHaveLength(1);
      expect(await engines[holder]!.lease(name, ttl)).toBe(false);
      // Released: another node gets it on its next call, without waiting for the ttl.
      const next = others[taken.indexOf(true)]!;
      await next.releaseLease(name);
      const after = await Promise.all(engines.filter((e) => e !== next).map((e) => e.lease(name, ttl)));
      expect(after.filter(Boolean)).toHaveLength(1);
      await Promise.all(engines.map((e) => e.releaseLease(name)));
    }, 30_000);
  } else {
    it('holds every named lease alone', async () => {
      const e = nodes[0]!.server.engine;
      expect(await e.lease('contract', 1000)).toBe(true);
      expect(await e.lease('contract', 1000)).toBe(true);
      await e.releaseLease('contract');
    });
  }

  it('shares the login throttle window across nodes', async () => {
    await nodes[0]!.tokenFor('throttled');
    const login = async (i: number, password: string) => {
      const res = await fetch(new URL('/api/auth/login', nodes[i % nodes.length]!.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'throttled', password }),
      });
      await res.text();
      return { status: res.status, retryAfter: Number(res.headers.get('retry-after')) };
    };
    // 10 failures (the per-username limit), spread over the nodes, one after another.
    for (let i = 0; i < 10; i++) expect((await login(i, 'wrong-password')).status).toBe(401);
    // Now every node refuses, even the right password, before checking it, until the window ends.
    for (let i = 0; i < nodes.length; i++) {
      const r = await login(i, 'throttled-password');
      expect(r.status).toBe(429);
      expect(r.retryAfter).toBeGreaterThan(60);
    }
  }, 30_000);

  withBroker(
    'keeps serving while the broker is down and loses nothing: degraded, then ready again',
    async () => {
      const broker = await privateBroker(engine.name as 'redis' | 'nats');
      brokers.push(broker);
      const own = await createTestDatabase();
      databases.push(own);
      const env = {
        ...nodeEnv(engine.env(`out${randomBytes(3).toString('hex')}`, broker.url)),
        DATABASE_URL: own.url,
      };
      const a = await startTestServer({ env });
      extra.push(a);
      const b = await startTestServer({ env });
      extra.push(b);
      const token = a.adminToken;
      const client = connect(b.url, { token });
      await client.next('connection_status');
      const produced: string[] = [];
      let slowest = 0;
      const post = async (message: string) => {
        const started = Date.now();
        const r = await api(a.url, 'POST', '/api/alerts', token, { alert_type: 'info', message });
        slowest = Math.max(slowest, Date.now() - started);
        expect(r.status).toBe(201);
        produced.push(String(r.body.id));
      };
      for (let i = 0; i < 5; i++) await post(`before ${i}`);
      await broker.kill('SIGKILL');
      for (const n of [a, b]) {
        await until(
          async () => (await api(n.url, 'GET', '/readyz')).body.status === 'degraded',
          10_000,
          'readyz says degraded',
        );
        expect((await api(n.url, 'GET', '/readyz')).body[engine.name]).toBe('down');
      }
      // Producers are not blocked; the other node gets the events from the store meanwhile.
      for (let i = 0; i < 10; i++) await post(`during ${i}`);
      expect(slowest).toBeLessThan(1000);
      await until(() => client.messages.some((m) => m.id === produced.at(-1)), 10_000, 'events during the outage');
      // Without the broker a node counts its own connections, and holds no lease.
      const late = connect(b.url, { token });
      expect(await outcome(late)).toBe('welcome');
      expect(await a.server.engine.lease('outage', 1000)).toBe(false);
      await broker.start();
      for (const n of [a, b]) {
        await until(
          async () => (await api(n.url, 'GET', '/readyz')).body.status === 'ready',
          15_000,
          'readyz says ready again',
        );
      }
      for (let i = 0; i < 5; i++) await post(`after ${i}`);
      await until(() => client.messages.some((m) => m.id === produced.at(-1)), 10_000, 'events after the outage');
      expect(client.messages.filter((m) => m.type === 'alert').map((m) => m.id)).toEqual(produced);
      // One line per transition, not one per retry.
      for (const n of [a, b]) {
        const events = n.logs.flatMap((chunk) =>
          chunk
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line).event),
        );
        expect(events.filter((e) => e === `${engine.name}.down`)).toHaveLength(1);
        expect(events.filter((e) => e === `${engine.name}.up`)).toHaveLength(1);
      }
      client.close();
      late.close();
    },
    60_000,
  );
});
