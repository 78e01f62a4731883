/**
 * The commands of `openeye` (cli.ts, its entry point, loads this module): serve | user add|list|passwd|disable|enable | token | key create|list|revoke | config | cluster | mqtt check | simulate. Settings come from
 * the environment and from their flags, which win (both defined in config.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { ROLES, type Role } from '@openeye/protocol';
import { createServer, loadSecret } from './app.js';
import { JwtService, MAX_TOKEN_LIFETIME_SECONDS } from './auth/jwt.js';
import { hashPassword } from './auth/passwords.js';
import {
  type Config,
  ConfigError,
  describeConfig,
  environmentHelp,
  type ResolvedConfig,
  resolveConfig,
  SETTING_LIST,
} from './config.js';
import { ApiKeysService } from './domain/api-keys.js';
import { domainSink, httpFrameSink, httpSink, mediaSink, startSimulator } from './simulate.js';
import { Store } from './store/index.js';

/** Each command's usage: `openeye <command> --help` prints it, `openeye --help` prints them all. */
const COMMANDS: Record<string, string> = {
  serve: `openeye serve [--port N] [--host H] [--data-dir DIR] [--demo]

Starts the server (HTTP, WebSocket, dashboard). Every setting also comes from the environment:
openeye --help lists them, openeye config shows the effective values.`,
  user: `openeye user add <username> --role admin|viewer|producer [--password P]
openeye user list
openeye user passwd <username> [--password P]
openeye user disable <username>
openeye user enable <username>

Manages the accounts in the store of OPENEYE_DATA_DIR (or DATABASE_URL). Without --password the
password comes from OPENEYE_PASSWORD, else from standard input: piped, or asked for twice without
echo on a terminal. A password has at least 8 characters.

A disabled account cannot log in and its tokens are refused by the REST API at once. On a running
server, its open WebSocket connections stay until they close (a new one is refused within 30 s);
disabling it from the Admin page (PATCH /api/users/:id) closes them at once.`,
  token: `openeye token <username> [--expires SECONDS]

Prints a JWT for <username>, for scripts and producers, signed with OPENEYE_JWT_SECRET or the secret
the server generated in the data dir. --expires: seconds, default OPENEYE_TOKEN_LIFETIME_SECONDS,
at most 2592000 (30 days), the longest lifetime a server accepts.`,
  config: `openeye config [--port N] [--host H] [--data-dir DIR] [--demo]

Prints every setting's effective value (secrets and URL passwords masked) and where it came from:
env (an environment variable), flag, or default. A bad value is reported as the server would.`,
  cluster: `openeye cluster [--nodes N] [--port FIRST]

Starts N nodes (default 3) on consecutive ports for local trials. Needs DATABASE_URL. The nodes use
NATS when NATS_URL is set, else Redis at REDIS_URL (default redis://127.0.0.1:6379).`,
  key: `openeye key create <username> --name NAME [--cameras ID,ID,...]
openeye key list
openeye key revoke <id>

API keys for machines (cameras, pipelines, bridges): a key acts as a producer for <username> (a
producer or admin account), optionally only for some cameras, until it is revoked. A viewer's key
is read-only (a kiosk screen: open /kiosk#key=<key> on it). create prints the key once; it is
stored hashed. Use it as: Authorization: Bearer <key>. A key revoked here is refused from its next
request on, and a running server closes its open sockets within 5 seconds (at once when revoked
from the dashboard or the API).`,
  mqtt: `openeye mqtt check [--seconds N]

Connects to the brokers of OPENEYE_MQTT_URL and OPENEYE_FRIGATE_MQTT_URL with the configured
credentials (a clean, throwaway session, never the server's), listens --seconds (5) on the Frigate
and OpenEye topics (and Home Assistant's status and OpenEye's discovery config), and prints each
topic seen with a count and a sample message. Exits 1 when a broker cannot be reached. Passwords are
shown masked.`,
  simulate: `openeye simulate [--url URL] [--username U --password P | --token T] [--rate N] [--duration S] [--fps N]

Posts recognitions, unknown faces, motion events and camera status changes to a running server
(default http://127.0.0.1:PORT) at --rate per second (5) for --duration seconds (60; 0: until Ctrl-C).
Its cameras (those without a snapshot_url or mjpeg_url) get moving synthetic frames, pushed with
PUT /api/cameras/:id/frame at --fps (5; 0: none) while someone watches them, one a second otherwise.`,
};

/** The usage lines of a command, indented. */
function usageLines(command: string): string {
  return COMMANDS[command]!.split('\n\n')[0]!
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** `openeye <command> --help`: its usage lines, then what it does. */
function commandHelp(command: string): string {
  const [, ...rest] = COMMANDS[command]!.split('\n\n');
  return `Usage:\n${usageLines(command)}\n\n${rest.join('\n\n')}\n`;
}

const USAGE = `openeye: the OpenEye Realtime server

Usage:
${Object.keys(COMMANDS).map(usageLines).join('\n')}
  openeye <command> --help
  openeye --version

Environment (a flag wins over its variable; README "Configuration" says more):
${environmentHelp()}
`;

/** The version of @openeye/server (package.json is one level above both src/ and dist/). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** One line for any error: its message, or what an error without one (an AggregateError) carries. */
function describeError(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: unknown[] };
  const message =
    e?.message || (Array.isArray(e?.errors) ? e.errors.map(describeError).join('; ') : '') || e?.code || String(err);
  return message.replace(/\s*\n\s*/g, ' ');
}

/** The flags of the settings (`--port`, `--data-dir`, ...), from the definition in config.ts. */
const settingOptions = Object.fromEntries(
  SETTING_LIST.filter((s) => s.flag !== undefined).map((s) => [
    s.flag!,
    { type: s.kind === 'boolean' ? ('boolean' as const) : ('string' as const) },
  ]),
);

const options = {
  ...settingOptions,
  role: { type: 'string' },
  password: { type: 'string' },
  expires: { type: 'string' },
  url: { type: 'string' },
  username: { type: 'string' },
  token: { type: 'string' },
  rate: { type: 'string' },
  nodes: { type: 'string' },
  name: { type: 'string' },
  cameras: { type: 'string' },
  duration: { type: 'string' },
  fps: { type: 'string' },
  seconds: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

class UsageError extends Error {}

function unknownCommand(command: string): UsageError {
  return new UsageError(
    `unknown command: ${command} (commands: ${Object.keys(COMMANDS).join(', ')}; see openeye --help)`,
  );
}

function number(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min)
    throw new UsageError(`--${name} must be a number >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** `token --expires`: whole seconds, 10 up to the lifetime cap every server enforces (30 days). */
function expiresFlag(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 10 || n > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new UsageError(
      `--expires must be whole seconds, at least 10 and at most ${MAX_TOKEN_LIFETIME_SECONDS} seconds (30 days): no server accepts a longer token, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** The secret a server generated in the data dir; a usage error saying what to do when there is none. */
function readSecretFile(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  let secret = '';
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  if (secret === '') {
    throw new UsageError(
      `no JWT secret: ${file} does not exist yet and OPENEYE_JWT_SECRET is not set; start the server once (npx openeye serve) with this data dir to generate it, or set OPENEYE_JWT_SECRET to the secret your servers use`,
    );
  }
  return secret;
}

/** The settings: flags of the definition over the environment over the defaults. */
function resolveFrom(values: Record<string, unknown>): ResolvedConfig {
  const flags: Partial<Record<keyof Config, string>> = {};
  for (const s of SETTING_LIST) {
    const value = s.flag === undefined ? undefined : values[s.flag];
    if (typeof value === 'string') flags[s.key] = value;
    else if (value === true) flags[s.key] = 'true';
  }
  return resolveConfig(process.env, { flags });
}

function printConfig(resolved: ResolvedConfig): void {
  const rows = [{ env: 'variable', value: 'value', source: 'from' }, ...describeConfig(resolved)];
  const envWidth = Math.max(...rows.map((r) => r.env.length)) + 2;
  const valueWidth = Math.max(...rows.map((r) => r.value.length)) + 2;
  for (const r of rows) process.stdout.write(`${r.env.padEnd(envWidth)}${r.value.padEnd(valueWidth)}${r.source}\n`);
}

/**
 * The password for `user add` / `user passwd`: --password, else OPENEYE_PASSWORD, else standard
 * input: piped (read to the end), or asked for twice on a terminal without echo.
 */
async function readPassword(given: string | undefined, username: string): Promise<string> {
  if (given) return given;
  if (process.env.OPENEYE_PASSWORD) return process.env.OPENEYE_PASSWORD;
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').trim();
  }
  const [first, second] = await askHidden([`Password for ${username}: `, 'Repeat it: ']);
  if (first !== second) throw new UsageError('the two passwords differ; nothing was changed');
  return first!;
}

/**
 * Asks each question on the terminal (prompts on stderr) and reads the answers without echoing
 * them: readline puts the terminal in raw mode and its echo goes to an output that is muted once
 * the prompt is written. Ctrl-C exits 130; Ctrl-D (end of input) is a usage error.
 */
async function askHidden(questions: string[]): Promise<string[]> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  rl.on('SIGINT', () => {
    process.stderr.write('\n');
    process.exit(130);
  });
  const closed = new Promise<never>((_resolve, reject) =>
    rl.once('close', () => reject(new UsageError('no password given (end of input)'))),
  );
  closed.catch(() => {});
  const answers: string[] = [];
  try {
    for (const question of questions) {
      muted = false;
      const answer = new Promise<string>((resolve) => rl.question(question, resolve));
      muted = true;
      answers.push(await Promise.race([answer, closed]));
      process.stderr.write('\n');
    }
  } finally {
    muted = false;
    rl.close();
  }
  return answers;
}

async function serve(config: Config): Promise<void> {
  const server = await createServer(config);
  const url = await server.listen();
  server.log.info(
    { event: 'listening', url, storage: server.store.location, engine: server.store.engine },
    `OpenEye Realtime on ${url}`,
  );
  process.stdout.write(`OpenEye Realtime is serving ${url} (dashboard at ${url}/, API docs at ${url}/docs)\n`);
  if (config.demo) {
    const frames = mediaSink(server.media, () => server.metrics.mediaFramesIngested.inc({ source: 'demo' }));
    const sim = await startSimulator(domainSink(server.domain), {
      rate: 2,
      duration: 0,
      frames: { sink: frames, fps: 5 },
    });
    process.stdout.write(
      'Demo mode: the simulator is posting recognitions and camera events; its cameras show live synthetic views.\n',
    );
    process.once('beforeExit', () => sim.stop());
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.log.info({ event: 'signal', signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** Starts N nodes on consecutive ports against Redis (or NATS) and PostgreSQL, for local trials. */
async function cluster(config: Config, nodes: number): Promise<void> {
  if (!config.databaseUrl) {
    throw new UsageError(
      'cluster needs DATABASE_URL (the nodes share one PostgreSQL database), e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/openeye npm run cluster',
    );
  }
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const env = {
    ...process.env,
    // NATS_URL (already in the environment) selects NATS; otherwise Redis, local by default.
    ...(config.natsUrl ? {} : { REDIS_URL: config.redisUrl ?? 'redis://127.0.0.1:6379' }),
    OPENEYE_JWT_SECRET: loadSecret(config),
    OPENEYE_DATA_DIR: config.dataDir,
  };
  const children: import('node:child_process').ChildProcess[] = [];
  const stopAll = () => {
    for (const c of children) c.kill('SIGTERM');
  };
  process.on('SIGINT', stopAll);
  process.on('SIGTERM', stopAll);
  for (let i = 0; i < nodes; i++) {
    const port = config.port + i;
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'serve'], {
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const prefix = `[node ${i + 1} :${port}] `;
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (d: Buffer) => {
        for (const line of String(d).split('\n')) if (line) process.stdout.write(`${prefix}${line}\n`);
      });
    }
    child.once('exit', (code) => {
      process.stdout.write(`${prefix}exited (${code})\n`);
      if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(0);
    });
    // The first node migrates the schema and creates the admin; the others start after it answers.
    for (let tries = 0; tries < 100; tries++) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (child.exitCode !== null) throw new UsageError(`node ${i + 1} exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  process.stdout.write(
    `${nodes} nodes on ports ${config.port}-${config.port + nodes - 1}; put them behind one address (see README, "Several nodes"). Ctrl-C stops them.\n`,
  );
}

async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await Store.open({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function keyCommand(
  config: Config,
  sub: string | undefined,
  arg: string | undefined,
  values: { name?: string; cameras?: string },
): Promise<void> {
  await withStore(config, async (s) => {
    const keys = new ApiKeysService(s);
    if (sub === 'list') {
      for (const k of await keys.list()) {
        const state = k.revoked_at ? `revoked ${k.revoked_at}` : `last used ${k.last_used_at ?? 'never'}`;
        const cameras = k.camera_ids === null ? 'all cameras' : `cameras ${k.camera_ids.join(',') || 'none'}`;
        process.stdout.write(`${k.id}\t${k.prefix}\t${k.name}\tuser ${k.user_id}\t${cameras}\t${state}\n`);
      }
      return;
    }
    if (sub === 'create') {
      if (!arg) throw new UsageError('openeye key create needs a username');
      if (!values.name) throw new UsageError('openeye key create needs --name (what the key is for)');
      const user = await s.users.byUsername(arg);
      if (!user) throw new UsageError(`no user ${arg}`);
      const cameraIds = values.cameras === undefined ? null : cameraList(values.cameras);
      const created = await keys.create({ name: values.name, user_id: user.id, camera_ids: cameraIds }).catch((err) => {
        throw new UsageError((err as Error).message);
      });
      process.stdout.write(`${created.key}\n`);
      process.stderr.write(`API key ${created.id} (${created.prefix}) for ${arg}: shown once, keep it now.\n`);
      return;
    }
    if (sub === 'revoke') {
      const id = Number(arg);
      if (!arg || !Number.isInteger(id) || id < 1)
        throw new UsageError('openeye key revoke needs a key id (openeye key list)');
      const key = await keys.revoke(id).catch(() => {
        throw new UsageError(`no API key ${arg}`);
      });
      process.stdout.write(`API key ${key.id} (${key.prefix}) revoked\n`);
      return;
    }
    throw new UsageError(`unknown command: openeye key ${sub ?? ''} (see openeye key --help)`);
  });
}

function cameraList(text: string): number[] {
  const ids = text.split(',').map((part) => Number(part.trim()));
  if (ids.some((id) => !Number.isInteger(id) || id < 1)) {
    throw new UsageError(`--cameras must be camera ids separated by commas, got ${JSON.stringify(text)}`);
  }
  return ids;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  const [command, sub, arg] = positionals;
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return;
  }
  if (command === 'help' || values.help || !command) {
    const topic = command === 'help' ? sub : command;
    if (topic !== undefined && COMMANDS[topic] === undefined) throw unknownCommand(topic);
    process.stdout.write(topic === undefined ? USAGE : commandHelp(topic));
    return;
  }
  const resolved = resolveFrom(values);
  const config = resolved.config;
  switch (command) {
    case 'serve':
      return serve(config);
    case 'config':
      printConfig(resolved);
      return;
    case 'user': {
      if (sub === 'list') {
        const users = await withStore(config, (s) => s.users.list());
        for (const u of users)
          process.stdout.write(`${u.id}\t${u.username}\t${u.role}${u.disabled ? '\tdisabled' : ''}\n`);
        return;
      }
      if (!arg) throw new UsageError(`openeye user ${sub ?? '<add|list|passwd|disable|enable>'} needs a username`);
      if (sub === 'add') {
        const role = values.role as Role | undefined;
        if (!role || !ROLES.includes(role)) throw new UsageError('--role must be admin, viewer or producer');
        const password = await readPassword(values.password, arg);
        if (password.length < 8) throw new UsageError('the password must be at least 8 characters long');
        await withStore(config, async (s) => {
          if (await s.users.byUsername(arg)) throw new UsageError(`user ${arg} already exists`);
          const u = await s.users.create(
            { username: arg, role, password_hash: await hashPassword(password) },
            new Date().toISOString(),
          );
          process.stdout.write(`created user ${u.username} (id ${u.id}, ${u.role})\n`);
        });
        return;
      }
      if (sub === 'passwd') {
        const password = await readPassword(values.password, arg);
        if (password.length < 8) throw new UsageError('the password must be at least 8 characters long');
        await withStore(config, async (s) => {
          const u = await s.users.byUsername(arg);
          if (!u) throw new UsageError(`no user ${arg}`);
          await s.users.update(u.id, { password_hash: await hashPassword(password) });
          process.stdout.write(`password of ${arg} changed\n`);
        });
        return;
      }
      if (sub === 'disable' || sub === 'enable') {
        await withStore(config, async (s) => {
          const u = await s.users.byUsername(arg);
          if (!u) throw new UsageError(`no user ${arg}`);
          await s.users.update(u.id, { disabled: sub === 'disable' });
          process.stdout.write(`user ${arg} ${sub}d\n`);
        });
        return;
      }
      throw new UsageError(`unknown command: openeye user ${sub} (see openeye user --help)`);
    }
    case 'token': {
      if (!sub) throw new UsageError('openeye token needs a username');
      const expires = expiresFlag(values.expires, config.tokenLifetimeSeconds);
      const secret = config.jwtSecret ?? readSecretFile(config.dataDir);
      const user = await withStore(config, (s) => s.users.byUsername(sub));
      if (!user) throw new UsageError(`no user ${sub}`);
      process.stdout.write(`${new JwtService(secret, config.tokenLifetimeSeconds).sign(user, expires)}\n`);
      return;
    }
    case 'key':
      return keyCommand(config, sub, arg, values);
    case 'cluster':
      return cluster(config, number(values.nodes, 'nodes', 3, 1));
    case 'mqtt': {
      if (sub !== 'check') throw new UsageError(`unknown command: openeye mqtt ${sub ?? ''} (see openeye mqtt --help)`);
      const { mqttCheck } = await import('./integrations/check.js');
      const ok = await mqttCheck(config, number(values.seconds, 'seconds', 5, 0), (line) =>
        process.stdout.write(`${line}\n`),
      );
      if (!ok) process.exitCode = 1;
      return;
    }
    case 'simulate': {
      const url = values.url ?? `http://127.0.0.1:${config.port}`;
      let token = values.token;
      if (!token) {
        const username = values.username ?? config.adminUsername;
        const password = values.password ?? process.env.OPENEYE_PASSWORD ?? config.adminPassword;
        if (!password) throw new UsageError('give --token, or --username and --password (or OPENEYE_PASSWORD)');
        const res = await fetch(new URL('/api/auth/login', url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password }),
        }).catch((err: Error) => {
          throw new UsageError(`cannot reach ${url}: ${err.message}`);
        });
        if (!res.ok) throw new UsageError(`login as ${username} failed: HTTP ${res.status}`);
        token = ((await res.json()) as { access_token: string }).access_token;
      }
      const rate = number(values.rate, 'rate', 5, 0.1);
      const duration = number(values.duration, 'duration', 60, 0);
      const fps = number(values.fps, 'fps', 5, 0);
      if (fps > 30) throw new UsageError(`--fps must be at most 30, got ${values.fps}`);
      process.stdout.write(
        `simulating against ${url}: ${rate}/s for ${duration ? `${duration}s` : 'ever'}${fps ? `, frames at ${fps} fps while watched` : ''}\n`,
      );
      const sim = await startSimulator(httpSink(url, token), {
        rate,
        duration,
        frames: { sink: httpFrameSink(url, token), fps, idleIntervalMs: 1000 },
        onProgress: (sent, failed) => {
          if ((sent + failed) % Math.max(1, Math.round(rate * 5)) === 0)
            process.stdout.write(`  ${sent} posted, ${failed} failed\n`);
        },
      });
      process.once('SIGINT', () => sim.stop());
      const { sent, failed } = await sim.done;
      process.stdout.write(`done: ${sent} posted, ${failed} failed\n`);
      return;
    }
    default:
      throw unknownCommand(command);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // One line on stderr; 2 for a usage or configuration error, 1 for anything else.
  const usage =
    err instanceof UsageError ||
    err instanceof ConfigError ||
    (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
  process.stderr.write(`openeye: ${describeError(err)}\n`);
  if (!usage && /^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '')) {
    process.stderr.write(`${(err as Error).stack ?? ''}\n`);
  }
  process.exit(usage ? 2 : 1);
});
