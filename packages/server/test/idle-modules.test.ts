/**
 * Idle memory guard (issue 16): the built server (`openeye serve` from dist/, as `npx openeye`
 * runs it) on SQLite with nothing optional configured does not load the modules of what is not
 * configured: the PostgreSQL driver, the Redis and NATS clients, MQTT, Web Push; nor, before a
 * request needs them, ajv, Fastify's schema compilers and Swagger UI. Each costs megabytes of resident memory (figures: docs/benchmarks.md).
 *
 * How it sees what is loaded: the child runs with `--import` of a tiny script (written here, in a
 * temporary directory) that registers module hooks (`module.register`) appending every URL the ESM
 * loader loads to a file, and the server's own CommonJS cache is listed too at the end (a package
 * required from CommonJS). Nothing in the server knows about it. No memory threshold here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, freePort, tempDir } from '../src/testing.js';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(serverDir, 'bin/openeye.js');

/** Packages that only a configuration needs, by what configures them. */
const OPTIONAL = {
  pg: 'DATABASE_URL',
  ioredis: 'REDIS_URL',
  '@nats-io/transport-node': 'NATS_URL',
  '@nats-io/jetstream': 'NATS_URL',
  '@nats-io/kv': 'NATS_URL',
  mqtt: 'OPENEYE_MQTT_URL / Frigate',
  'web-push': 'a push subscription',
  // Compiled on a route's first use (http/compilers.ts, http/body.ts), not at start.
  ajv: "a route's first request with a body, query or parameters to validate",
  'ajv-formats': "a route's first request with a body, query or parameters to validate",
  '@fastify/ajv-compiler': 'nothing (http/body.ts compiles the validators)',
  // (not fast-json-stringify as a package: Fastify's prebuilt error serializer uses a file of it)
  '@fastify/fast-json-stringify-compiler': "a route's first response with a schema",
  // Loaded by the first request to /docs (http/openapi.ts).
  '@fastify/swagger-ui': 'the first request to /docs',
  '@fastify/static': 'the first request to /docs',
} as const;

const HOOKS = `
import fs from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function load(url, context, next) {
  fs.appendFileSync(file, url + '\\n');
  return next(url, context);
}
`;
const REGISTER = `
import { register } from 'node:module';
import fs from 'node:fs';
import { createRequire } from 'node:module';
const file = process.env.OPENEYE_TEST_LOADED_FILE;
register(new URL('./hooks.mjs', import.meta.url), { data: { file } });
// The CommonJS side (a package required by another): listed on demand (SIGUSR2), cache keys are paths.
const require = createRequire(import.meta.url);
process.on('SIGUSR2', () => {
  fs.appendFileSync(file, Object.keys(require.cache).map((p) => 'file://' + p).join('\\n') + '\\n');
  fs.appendFileSync(file, 'LISTED\\n');
});
`;

let dir: string;
let child: ChildProcess;
let url: string;
let loadedFile: string;
const output: string[] = [];

/** The packages under node_modules that the process has loaded so far. */
async function loadedPackages(): Promise<Set<string>> {
  const before = fs
    .readFileSync(loadedFile, 'utf8')
    .split('\n')
    .filter((l) => l === 'LISTED').length;
  child.kill('SIGUSR2');
  const deadline = Date.now() + 10_000;
  while (
    fs
      .readFileSync(loadedFile, 'utf8')
      .split('\n')
      .filter((l) => l === 'LISTED').length === before
  ) {
    if (Date.now() > deadline) throw new Error('the child did not list its modules');
    await new Promise((r) => setTimeout(r, 50));
  }
  const packages = new Set<string>();
  for (const line of fs.readFileSync(loadedFile, 'utf8').split('\n')) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(decodeURIComponent(line));
    if (m) packages.add(m[1]!);
  }
  return packages;
}

beforeAll(async () => {
  expect(fs.existsSync(path.join(serverDir, 'dist/cli.js')), 'run `npm run build` first').toBe(true);
  dir = tempDir('openeye-idle-');
  fs.writeFileSync(path.join(dir, 'hooks.mjs'), HOOKS);
  fs.writeFileSync(path.join(dir, 'register.mjs'), REGISTER);
  loadedFile = path.join(dir, 'loaded.txt');
  fs.writeFileSync(loadedFile, '');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['--import', path.join(dir, 'register.mjs'), cli, 'serve'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      OPENEYE_DATA_DIR: path.join(dir, 'data'),
      OPENEYE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      OPENEYE_TIMEZONE: 'UTC',
      OPENEYE_TEST_LOADED_FILE: loadedFile,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => output.push(String(d)));
  child.stderr?.on('data', (d) => output.push(String(d)));
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output.join('')}`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error(`server did not answer: ${output.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});

describe('the idle server (SQLite, nothing optional configured)', () => {
  it('has loaded its own modules and none of the optional ones', async () => {
    // Listed before any request but /healthz (which the start-up wait sent): a route's first
    // request compiles its validators and serializers, and loads ajv and fast-json-stringify.
    const loaded = await loadedPackages();
    // The REST API answers: the server is fully up, not half-way.
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    // The hooks see the server: what it always needs is there.
    for (const needed of ['fastify', 'better-sqlite3', 'kysely', 'ws', 'prom-client']) {
      expect(loaded, needed).toContain(needed);
    }
    const unexpected = Object.entries(OPTIONAL)
      .filter(([name]) => loaded.has(name))
      .map(([name, needs]) => `${name} (needed only for ${needs})`);
    expect(unexpected).toEqual([]);
  });

  it('still serves /docs and the OpenAPI document', async () => {
    const docs = await fetch(`${url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
    expect((await fetch(`${url}/docs/static/swagger-ui-bundle.js`)).status).toBe(200);
    expect((await fetch(`${url}/api/openapi.json`)).status).toBe(200);
  });
});
