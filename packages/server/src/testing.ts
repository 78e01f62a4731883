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
import { createServer, type OpenEyeServer } from './app.js';
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
  const server = await createServer(config, { logStream });
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

/** Starts `openeye serve` as a separate process (from the TypeScript sources) and waits until it answers. */
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
  const startTimeoutMs = options.startTimeoutMs ?? 45_000;
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
