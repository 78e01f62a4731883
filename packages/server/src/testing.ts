/**
 * Helpers for tests of every package: a real server on a loopback port (in-process or as a
 * separate process), users and tokens, a throwaway PostgreSQL database, a Redis key prefix and
 * temporary directories. Everything made here is recorded: the tests remove what they made, and
 * `cleanUpTestResources()` (run after every integration test file by test/support/integration-setup.ts)
 * removes whatever a failed test left, so a run leaves PostgreSQL, Redis and /tmp as it found them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Role } from '@openeye/protocol';
import pg from 'pg';
import { type CreateServerOptions, createServer, type OpenEyeServer } from './app.js';
import { hashPassword } from './auth/passwords.js';
import { loadConfig } from './config.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const TEST_POSTGRES_URL = process.env.OPENEYE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestServer {
  url: string;
  port: number;
  dataDir: string;
  adminToken: string;
  server: OpenEyeServer;
  /** Every log line written so far (JSON text). */
  logs: string[];
  tokenFor(username: string, role?: Role, expiresInSeconds?: number): Promise<string>;
  userId(username: string): Promise<number>;
  setWebSocketEnabled(enabled: boolean): void;
  close(): Promise<void>;
}

export interface StartOptions {
  port?: number;
  dataDir?: string;
  websocket?: boolean;
  env?: Record<string, string>;
  /** More createServer options (e.g. MQTT timing). */
  serverOptions?: Pick<CreateServerOptions, 'mqttTiming'>;
}

/** What this process made for tests and has not removed yet. */
const made = { dirs: new Set<string>(), databases: new Set<string>(), redisPrefixes: new Set<string>() };

/** A fresh directory under the OS temp dir; removed at the end of the test file at the latest. */
export function tempDir(prefix = 'openeye-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.dirs.add(dir);
  return dir;
}

export async function startTestServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir();
  const ownsDir = options.dataDir === undefined;
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const config = loadConfig(
    { OPENEYE_ADMIN_PASSWORD: ADMIN_PASSWORD, LOG_LEVEL: 'info', OPENEYE_TIMEZONE: 'UTC', ...options.env },
    {
      port: options.port ?? 0,
      host: '127.0.0.1',
      dataDir,
      ...(options.websocket === false ? { websocketEnabled: false } : {}),
    },
  );
  const server = await createServer(config, { logStream, ...options.serverOptions });
  const url = await server.listen();
  const port = Number(new URL(url).port);
  const tokenFor = async (username: string, role: Role = 'viewer', expiresInSeconds?: number) => {
    let user = await server.store.users.byUsername(username);
    if (!user) {
      user = await server.store.users.create(
        // Cheap parameters: tests create many users (a login re-hashes with the real ones).
        { username, role, password_hash: await hashPassword(`${username}-password`, { N: 1024, r: 8, p: 1 }) },
        new Date().toISOString(),
      );
    }
    return server.jwt.sign(user, expiresInSeconds);
  };
  return {
    url,
    port,
    dataDir,
    server,
    logs,
    adminToken: await tokenFor('admin', 'admin'),
    tokenFor,
    userId: async (username) => (await server.store.users.byUsername(username))!.id,
    setWebSocketEnabled: (enabled) => server.setWebSocketEnabled(enabled),
    async close() {
      await server.close();
      if (ownsDir) {
        fs.rmSync(dataDir, { recursive: true, force: true });
        made.dirs.delete(dataDir);
      }
    },
  };
}

const serverRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `openeye serve` as a separate process (from the TypeScript sources) and waits until it
 * answers (`timeoutMs`, default 20 s: a loaded machine may need more).
 */
export async function spawnServerProcess(options: {
  port: number;
  dataDir: string;
  env?: Record<string, string>;
  /** How long it may take to answer /healthz (default 45 s: a tsx start is slow on a busy machine). */
  startTimeoutMs?: number;
}): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', path.join(serverRoot, 'src/cli.ts'), 'serve'],
    {
      cwd: serverRoot,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(options.port),
        HOST: '127.0.0.1',
        OPENEYE_DATA_DIR: options.dataDir,
        OPENEYE_ADMIN_PASSWORD: ADMIN_PASSWORD,
        OPENEYE_TIMEZONE: 'UTC',
        LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stdout?.on('data', (d) => output.push(String(d)));
  child.stderr?.on('data', (d) => output.push(String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${options.port}`;
  // Generous: a machine shared with other work can take long to start a TypeScript process.
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server process exited: ${output.join('')}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server process did not answer within ${startTimeoutMs / 1000} s: ${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A fresh PostgreSQL database for one test file; `drop()` removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `openeye_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  made.databases.add(name);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => dropDatabase(name) };
}

async function dropDatabase(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
  made.databases.delete(name);
}

/** A Redis key prefix of one's own (`label` and random hex) for OPENEYE_REDIS_PREFIX; drop it with dropRedisPrefix. */
export function testRedisPrefix(label = 'test'): string {
  const prefix = `${label}-${randomBytes(4).toString('hex')}`;
  made.redisPrefixes.add(prefix);
  return prefix;
}

/** Deletes every Redis key under `prefix:` (a test's own prefix), so a run leaves Redis as it found it. */
export async function dropRedisPrefix(prefix: string, url = 'redis://127.0.0.1:6379'): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    made.redisPrefixes.delete(prefix);
  } finally {
    redis.disconnect();
  }
}

/**
 * Removes what tests of this process made and did not remove themselves (a test that failed
 * half-way): temporary directories, PostgreSQL databases, Redis prefixes. Call it once their
 * servers are stopped; test/support/integration-setup.ts does after every integration test file.
 */
export async function cleanUpTestResources(): Promise<void> {
  for (const dir of made.dirs) fs.rmSync(dir, { recursive: true, force: true });
  made.dirs.clear();
  for (const name of [...made.databases]) await dropDatabase(name);
  for (const prefix of [...made.redisPrefixes]) await dropRedisPrefix(prefix);
}

export const TEST_NATS_URL = process.env.OPENEYE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * Deletes the JetStream key-value buckets (streams `KV_<bucket>`) of the NATS engine with `prefix`
 * (a test's own prefix), so a run leaves the NATS server as it found it.
 */
export async function dropNatsPrefix(prefix: string, url = TEST_NATS_URL): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const { natsBuckets, natsConnectOptions } = await import('./cluster/nats.js');
  const nc = await connect({ ...natsConnectOptions(url), timeout: 3000, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    for (const bucket of Object.values(natsBuckets(prefix))) {
      await jsm.streams.delete(`KV_${bucket}`).catch((err: Error) => {
        if (!/stream not found/i.test(err.message)) throw err;
      });
    }
  } finally {
    await nc.close();
  }
}

/** A cluster engine as the tests run it: what selects it, and how to clean up after a run. */
export interface TestClusterEngine {
  name: 'redis' | 'nats';
  /** The variables that select the engine under `prefix`: the shared broker, or the one at `url`. */
  env(prefix: string, url?: string): Record<string, string>;
  /** Removes what a run with `prefix` left in the shared broker. */
  drop(prefix: string): Promise<void>;
  /** The URL of a broker on loopback `port` with a password (or token) in it. */
  urlWithSecret(port: number, secret: string): string;
}

/** Every cluster engine: the multi-node tests run once per entry. */
export const TEST_CLUSTER_ENGINES: readonly TestClusterEngine[] = [
  {
    name: 'redis',
    env: (prefix, url = 'redis://127.0.0.1:6379') => ({ REDIS_URL: url, OPENEYE_REDIS_PREFIX: prefix }),
    drop: (prefix) => dropRedisPrefix(prefix),
    urlWithSecret: (port, secret) => `redis://:${secret}@127.0.0.1:${port}`,
  },
  {
    name: 'nats',
    env: (prefix, url = TEST_NATS_URL) => ({ NATS_URL: url, OPENEYE_NATS_PREFIX: prefix }),
    drop: (prefix) => dropNatsPrefix(prefix),
    urlWithSecret: (port, secret) => `nats://openeye:${secret}@127.0.0.1:${port}`,
  },
];

/** Whether something accepts TCP connections on loopback `port`. */
async function listening(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * A broker of the test's own (not the shared one) on a free loopback port, to be killed and
 * started again: `redis-server` keeping nothing, or `nats-server -js` with its store in a temp dir
 * (kept across restarts, as a real deployment's would be). `close()` kills it and removes the dir.
 */
export interface PrivateBroker {
  kind: 'redis' | 'nats';
  url: string;
  port: number;
  start(): Promise<void>;
  /** Sends `signal` (default SIGKILL); for a signal that ends it, resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  close(): Promise<void>;
}

export async function privateBroker(kind: 'redis' | 'nats'): Promise<PrivateBroker> {
  const port = await freePort();
  const storeDir = kind === 'nats' ? tempDir('openeye-nats-') : null;
  let child: ChildProcess | null = null;
  const broker: PrivateBroker = {
    kind,
    port,
    url: kind === 'redis' ? `redis://127.0.0.1:${port}` : `nats://127.0.0.1:${port}`,
    async start() {
      const [command, args] =
        kind === 'redis'
          ? ['redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']]
          : ['nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir!]];
      const started = spawn(command as string, args as string[], { stdio: 'ignore' });
      child = started;
      const deadline = Date.now() + 10_000;
      while (!(await listening(port))) {
        if (started.exitCode !== null || Date.now() > deadline) {
          started.kill('SIGKILL');
          throw new Error(`${command} did not start on port ${port}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
        running.kill(signal);
        return;
      }
      const exited = new Promise((r) => running.once('exit', r));
      running.kill('SIGCONT');
      running.kill(signal);
      await exited;
    },
    async close() {
      await broker.kill('SIGKILL');
      if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}
