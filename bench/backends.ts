/**
 * The backends' ceilings on this machine, for docs/scaling.md: how many event writes per second the
 * domain gets from SQLite and PostgreSQL (the real write path: `DomainService.postCameraEvent`, one
 * transaction per event, serial per node as the service runs them; on PostgreSQL also three
 * services at once, as three nodes would, sharing the advisory lock that keeps ids in commit order),
 * and how many bus messages per second Redis pub/sub and core NATS carry from one publisher to one
 * subscriber (payloads of a typical camera event's size).
 *
 *   npm run bench:backends [-- --seconds 8] [-- --pg URL] [-- --redis URL] [-- --nats URL]
 *
 * Loopback only, each measure bounded by --seconds, everything it creates removed at the end (a
 * throwaway PostgreSQL database, a temporary SQLite directory, a unique channel and subject).
 * Prints one JSON object; nothing here is a test.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DomainService } from '../packages/server/src/domain/service.js';
import { Store } from '../packages/server/src/store/index.js';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const k = argv.indexOf(`--${name}`);
  return k >= 0 && argv[k + 1] ? argv[k + 1]! : fallback;
};
const SECONDS = Number(opt('seconds', '8'));
const PG = opt('pg', 'postgres://postgres@127.0.0.1:5432/test');
const REDIS = opt('redis', 'redis://127.0.0.1:6379');
const NATS = opt('nats', 'nats://127.0.0.1:4222');
const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
const PAYLOAD = JSON.stringify({
  type: 'camera_event',
  id: '123456',
  timestamp: new Date().toISOString(),
  camera_id: 3,
  event_type: 'person_detected',
  data: { zones: ['porch'], score: 0.83, label: 'person', source: 'frigate', frigate_id: '1784761203.507912-h4q8zt' },
}).padEnd(400, ' ');

const noBus = { publish() {} };

/** Serial writes through `services` (one chain each, as each node's DomainService runs): writes/s. */
async function domainWrites(services: DomainService[], cameraId: number): Promise<number> {
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  const t0 = performance.now();
  await Promise.all(
    services.map(async (s) => {
      while (performance.now() < end) {
        await s.postCameraEvent(cameraId, 'motion_detected', { zone: 'porch', score: 0.8 });
        n++;
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

async function sqlite() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-backends-'));
  try {
    const store = await Store.open({ databaseUrl: null, dataDir: dir });
    const camera = await store.cameras.create({ name: 'bench' }, new Date().toISOString());
    const rate = await domainWrites([new DomainService(store, noBus)], camera.id);
    await store.close();
    return { writes_per_s: Math.round(rate) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres() {
  const admin = new pg.Client({ connectionString: PG });
  await admin.connect();
  const db = `bench_backends_${tag}`;
  await admin.query(`CREATE DATABASE ${db}`);
  try {
    const url = new URL(PG);
    url.pathname = `/${db}`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-backends-'));
    const stores = [await Store.open({ databaseUrl: url.toString(), dataDir })];
    for (let i = 1; i < 3; i++) stores.push(await Store.open({ databaseUrl: url.toString(), dataDir }));
    const camera = await stores[0]!.cameras.create({ name: 'bench' }, new Date().toISOString());
    const one = await domainWrites([new DomainService(stores[0]!, noBus)], camera.id);
    const three = await domainWrites(
      stores.map((s) => new DomainService(s, noBus)),
      camera.id,
    );
    for (const s of stores) await s.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    return { one_node_writes_per_s: Math.round(one), three_nodes_writes_per_s: Math.round(three) };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  }
}

/** Publishes as fast as the client takes them for SECONDS; messages/s the subscriber received. */
async function pubsub(
  subscribe: (onMessage: () => void) => Promise<void>,
  publish: () => void,
  drain: () => Promise<void>,
): Promise<number> {
  let received = 0;
  await subscribe(() => {
    received++;
  });
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  let sent = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 500; i++) publish();
    sent += 500;
    await drain();
    // Keep at most ~20k in flight so the figure is delivery, not the client's buffer.
    while (sent - received > 20_000 && performance.now() < end + 5000) await new Promise((r) => setTimeout(r, 1));
  }
  const waitUntil = performance.now() + 5000;
  while (received < sent && performance.now() < waitUntil) await new Promise((r) => setTimeout(r, 5));
  return received / ((performance.now() - t0) / 1000);
}

async function redis() {
  const channel = `openeye-backends-${tag}`;
  const pub = new Redis(REDIS, { lazyConnect: true });
  const sub = new Redis(REDIS, { lazyConnect: true });
  await Promise.all([pub.connect(), sub.connect()]);
  try {
    const rate = await pubsub(
      async (on) => {
        sub.on('messageBuffer', on);
        await sub.subscribe(channel);
      },
      () => void pub.publish(channel, PAYLOAD),
      async () => {
        await pub.ping();
      },
    );
    return { messages_per_s: Math.round(rate) };
  } finally {
    pub.disconnect();
    sub.disconnect();
  }
}

async function nats() {
  const subject = `openeye.backends.${tag}`;
  const nc = await natsConnect({ servers: NATS });
  const bytes = new TextEncoder().encode(PAYLOAD);
  try {
    const rate = await pubsub(
      async (on) => {
        nc.subscribe(subject, { callback: () => on() });
        await nc.flush();
      },
      () => nc.publish(subject, bytes),
      () => nc.flush(),
    );
    return { messages_per_s: Math.round(rate) };
  } finally {
    await nc.close();
  }
}

const load = () => os.loadavg().map((x) => x.toFixed(2));
const started = new Date().toISOString();
const loadBefore = load();
const out = {
  date: started,
  command: `npm run bench:backends${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
  machine: `${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
  seconds_per_measure: SECONDS,
  payload_bytes: PAYLOAD.length,
  sqlite: await sqlite(),
  postgres: await postgres(),
  redis: await redis(),
  nats: await nats(),
  load_average: { before: loadBefore, after: load() },
};
console.log(JSON.stringify(out, null, 2));
