/**
 * The one place that reads the environment. Every setting is typed, has a default, and is checked
 * at start with a message that names the variable and the bad value.
 *
 * TO ADD A SETTING: add its field to `Config` and one entry to `SETTINGS` below (the type checker
 * refuses a `Config` field without an entry). Everything else follows from that entry: `loadConfig`,
 * the environment section of `openeye --help`, `openeye config` (effective values, secrets masked,
 * where each came from), and the README check (`config-readme.test.ts` fails until the README's
 * configuration table has a row for the new variable). Rules that involve several settings go in
 * `CROSS_FIELD_RULES`.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { MAX_TOKEN_LIFETIME_SECONDS } from './auth/jwt.js';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  redisPrefix: string;
  natsUrl: string | null;
  natsPrefix: string;
  nodeLeaseMs: number;
  jwtSecret: string | null;
  tokenLifetimeSeconds: number;
  adminUsername: string;
  adminPassword: string | null;
  timezone: string;
  logLevel: string;
  allowedOrigins: string[] | null;
  maxConnectionsPerUser: number;
  broadcastIntervalMs: number;
  heartbeatIntervalMs: number;
  maxMessageBytes: number;
  maxBufferedBytes: number;
  messageRate: number;
  messageBurst: number;
  historyMaxEvents: number;
  historyMaxAgeDays: number;
  websocketEnabled: boolean;
  /** Budget for a client to send its request headers (slowloris), ms. */
  headersTimeoutMs: number;
  /** Budget for the post-upgrade steps (user lookup, connection limit), ms. */
  handshakeTimeoutMs: number;
  /** Upgrades between the 101 and the welcome (or refusal) at once; more are answered 503. */
  maxPendingUpgrades: number;
  /** Frames per second a viewer gets at most, whatever it asks. */
  mediaMaxFps: number;
  /** Cameras one connection may watch at once. */
  mediaMaxWatches: number;
  /** Largest camera image accepted (HTTP push, producer socket, pulled from a camera). */
  maxFrameBytes: number;
  /** permessage-deflate for JSON messages (never images). */
  wsCompression: boolean;
  /** Messages smaller than this are sent uncompressed, bytes. */
  wsCompressionThreshold: number;
  /** zlib window of compression both ways (8-15): memory per connection for inflating is 2^bits. */
  wsCompressionWindowBits: number;
  /** Event snapshots older than this are removed. */
  mediaMaxAgeDays: number;
  /** Event snapshots beyond this many bytes in all are removed, oldest first. */
  mediaMaxBytes: number;
  /** A camera URL pulled must connect and answer its headers within this; a body may stall this long, ms. */
  mediaPullTimeoutMs: number;
  tlsCert: string | null;
  tlsKey: string | null;
  webRoot: string | null;
  demo: boolean;
  /**
   * Which peers may set `X-Forwarded-*` (Fastify's `trustProxy`): `false` none, `true` every peer,
   * or a list of addresses / CIDR ranges (and proxy-addr's `loopback`, `linklocal`, `uniquelocal`).
   */
  trustProxy: boolean | string[];
  /** When set, `/metrics` answers only `Authorization: Bearer <this>` (401 otherwise). */
  metricsToken: string | null;
  /** Seconds without an event, status or frame before a camera raises a `camera_offline` alert. */
  cameraOfflineGraceSeconds: number;
  /** Webhook and push endpoints on loopback, link-local or private addresses are allowed (tests). */
  webhookAllowPrivate: boolean;
  /** PEM file of extra CA certificates trusted for webhook and push endpoints (a private CA). */
  notifyCaFile: string | null;
  /** Budget of one webhook or push request (connect, send, answer), ms. */
  notifyTimeoutMs: number;
  /** Scale of the retry backoff (full jitter, doubling), ms. */
  notifyRetryBaseMs: number;
  /** How long a message is retried before it is dead-lettered, seconds. */
  notifyRetryForSeconds: number;
  vapidPublicKey: string | null;
  vapidPrivateKey: string | null;
  vapidSubject: string;
  /** Frigate's MQTT broker: set, the Frigate bridge runs (integrations/frigate-bridge.ts). */
  frigateMqttUrl: string | null;
  frigateTopicPrefix: string;
  /** Frigate's HTTP address, for snapshot, thumbnail and live links. */
  frigateUrl: string | null;
  /** A face name Frigate recognised that no OpenEye person has: create the person (else skipped). */
  frigateCreatePeople: boolean;
  /** OpenEye's MQTT broker: set, generic ingest and publishing run (integrations/). */
  mqttUrl: string | null;
  mqttTopicPrefix: string;
  /** The stable client id of the persistent sessions; null: derived from the topic prefix. */
  mqttClientId: string | null;
  mqttUsername: string | null;
  mqttPassword: string | null;
  mqttCaFile: string | null;
  haDiscovery: boolean;
  haPrefix: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** One setting: where it comes from, how it is read and checked, what it means. */
export interface Setting<T> {
  /** The environment variable. */
  env: string;
  /** The flag of `openeye` that sets it too (and wins), without the dashes. */
  flag?: string;
  /** `boolean` settings take a flag without a value (`--demo`). */
  kind: 'string' | 'integer' | 'boolean' | 'list';
  /** Reads a non-empty raw value; throws `ConfigError` naming `name` (the variable or the flag). */
  parse: (raw: string, name: string) => T;
  /** The value when the variable is unset or empty; a function when it depends on the machine. */
  default: T | (() => T);
  /** How the default reads in help and docs, when the value alone does not say it. */
  defaultText?: string;
  /** One line: what it does. */
  meaning: string;
  /**
   * `true`: never printed; `'url'`: printed with the password of the URL masked; `'url-credentials'`:
   * printed with the whole user part masked (a NATS URL may carry a bare token there).
   */
  secret?: true | 'url' | 'url-credentials';
}

// ------------------------------------------------------------------ parsers

function integer(min: number, max: number) {
  return (raw: string, name: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
    }
    return n;
  };
}

const text = (raw: string): string => raw;

function matching(pattern: RegExp, message: string) {
  return (raw: string, name: string): string => {
    if (!pattern.test(raw)) throw new ConfigError(`${name} ${message}`);
    return raw;
  };
}

function atLeast(length: number) {
  return (raw: string, name: string): string => {
    if (raw.length < length) throw new ConfigError(`${name} must be at least ${length} characters long`);
    return raw;
  };
}

/** `nats://[credentials@]host:port`: one server (the client learns the rest of a NATS cluster from it). */
function natsUrl(raw: string, name: string): string {
  let u: URL | null = null;
  try {
    u = new URL(raw);
  } catch {
    // reported below, without echoing the value (it may hold credentials)
  }
  if (u?.protocol !== 'nats:' || u.hostname === '' || (u.pathname !== '' && u.pathname !== '/') || u.search) {
    throw new ConfigError(
      `${name} must be a URL like nats://host:4222, got ${JSON.stringify(maskUrlCredentials(raw))}`,
    );
  }
  return raw;
}

function oneOf(values: readonly string[]) {
  return (raw: string, name: string): string => {
    if (!values.includes(raw)) {
      throw new ConfigError(`${name} must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
    }
    return raw;
  };
}

const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off)$/i;

function boolean(raw: string, name: string): boolean {
  if (TRUE.test(raw)) return true;
  if (FALSE.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

/** An MQTT broker URL (credentials may be in it: shown masked). */
function mqttUrl(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a broker URL like mqtt://host:1883 or mqtts://host:8883`);
  }
  if (!/^(mqtt|mqtts|tcp|ssl|tls|ws|wss):$/.test(url.protocol) || url.hostname === '') {
    throw new ConfigError(
      `${name} must be a broker URL like mqtt://host:1883 or mqtts://host:8883 (mqtt, mqtts, ws, wss), got scheme ${url.protocol}`,
    );
  }
  return raw;
}

/** An MQTT topic prefix: one or more levels, no wildcards, no leading or trailing slash. */
const topicPrefix = matching(
  /^(?!\/)(?!.*\/$)(?!.*\/\/)[^#+\u0000$][^#+\u0000]{0,127}$/,
  'must be an MQTT topic prefix without wildcards (+ #), leading $ or a leading or trailing /, at most 128 characters',
);

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function origins(raw: string, name: string): string[] {
  const items = list(raw);
  for (const o of items) {
    if (!/^https?:\/\/[^/]+$/.test(o)) {
      throw new ConfigError(`${name} entries must be origins like https://host:port, got ${o}`);
    }
  }
  return items;
}

function timezone(raw: string, name: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: raw });
    return raw;
  } catch {
    throw new ConfigError(`${name} is not a known IANA time zone: ${JSON.stringify(raw)}`);
  }
}

/** proxy-addr's names for address ranges, accepted by Fastify's `trustProxy`. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function proxyEntry(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const slash = entry.lastIndexOf('/');
  if (slash < 0) return isIP(entry) !== 0;
  const family = isIP(entry.slice(0, slash));
  const range = entry.slice(slash + 1);
  if (family === 0) return false;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4; // a netmask: 10.0.0.0/255.0.0.0
}

function trustProxy(raw: string, name: string): boolean | string[] {
  if (TRUE.test(raw) && raw !== '1') return true;
  if (FALSE.test(raw) && raw !== '0') return false;
  if (/^\d+$/.test(raw)) {
    // Fastify 5 ignores a hop count (it trusts nobody then: it cannot check the nearest peer).
    throw new ConfigError(
      `${name} must be true, false or a comma list of proxy addresses or CIDR ranges; a hop count (${raw}) is not supported by Fastify 5, name the proxies instead`,
    );
  }
  const entries = list(raw);
  const bad = entries.find((e) => !proxyEntry(e));
  if (entries.length === 0 || bad !== undefined) {
    throw new ConfigError(
      `${name} must be true, false or a comma list of addresses or CIDR ranges (e.g. 127.0.0.1,10.0.0.0/8), got ${JSON.stringify(bad ?? raw)}`,
    );
  }
  return entries;
}

// ------------------------------------------------------------------ the definition

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every setting, in the order of `openeye --help` and `openeye config`. One entry per `Config` field.
 * A value that is unset or empty takes the default.
 */
export const SETTINGS: { readonly [K in keyof Config]: Setting<Config[K]> } = {
  port: {
    env: 'PORT',
    flag: 'port',
    kind: 'integer',
    parse: integer(0, 65535),
    default: 8000,
    meaning: 'HTTP and WebSocket port',
  },
  host: {
    env: 'HOST',
    flag: 'host',
    kind: 'string',
    parse: text,
    default: '127.0.0.1',
    meaning: 'listen address (0.0.0.0 to serve the network)',
  },
  dataDir: {
    env: 'OPENEYE_DATA_DIR',
    flag: 'data-dir',
    kind: 'string',
    parse: (raw) => path.resolve(raw),
    default: () => path.resolve('./data'),
    defaultText: './data',
    meaning: 'SQLite file, generated JWT secret',
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    kind: 'string',
    parse: matching(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (leave it unset for the embedded SQLite store)'),
    default: null,
    defaultText: 'unset (SQLite)',
    meaning: 'postgres://user@host:5432/db to use PostgreSQL',
    secret: 'url',
  },
  jwtSecret: {
    env: 'OPENEYE_JWT_SECRET',
    kind: 'string',
    parse: atLeast(32),
    default: null,
    defaultText: 'generated, kept in the data dir',
    meaning: 'HMAC secret (>= 32 chars); set the same on every node of a cluster',
    secret: true,
  },
  tokenLifetimeSeconds: {
    env: 'OPENEYE_TOKEN_LIFETIME_SECONDS',
    kind: 'integer',
    parse: integer(10, MAX_TOKEN_LIFETIME_SECONDS),
    default: 3600,
    meaning: 'lifetime of issued tokens (at most 30 days)',
  },
  adminUsername: {
    env: 'OPENEYE_ADMIN_USERNAME',
    kind: 'string',
    parse: text,
    default: 'admin',
    meaning: 'the account created on the first start',
  },
  adminPassword: {
    env: 'OPENEYE_ADMIN_PASSWORD',
    kind: 'string',
    parse: atLeast(8),
    default: null,
    defaultText: 'generated and printed once',
    meaning: 'its password (at least 8 characters)',
    secret: true,
  },
  timezone: {
    env: 'OPENEYE_TIMEZONE',
    kind: 'string',
    parse: timezone,
    default: () => Intl.DateTimeFormat().resolvedOptions().timeZone,
    defaultText: "the system's",
    meaning: 'IANA time zone where "today" starts for recognitions_today',
  },
  logLevel: {
    env: 'LOG_LEVEL',
    kind: 'string',
    parse: oneOf(LOG_LEVELS),
    default: 'info',
    meaning: `log level: ${LOG_LEVELS.join(', ')}`,
  },
  allowedOrigins: {
    env: 'OPENEYE_ALLOWED_ORIGINS',
    kind: 'list',
    parse: origins,
    default: null,
    defaultText: "the server's own origin",
    meaning: 'comma-separated origins allowed to open the WebSocket',
  },
  trustProxy: {
    env: 'OPENEYE_TRUST_PROXY',
    kind: 'list',
    parse: trustProxy,
    default: false,
    meaning: 'true, or a comma list of proxy addresses/CIDRs whose X-Forwarded-* headers are believed',
  },
  maxConnectionsPerUser: {
    env: 'OPENEYE_MAX_CONNECTIONS_PER_USER',
    kind: 'integer',
    parse: integer(1, 100_000),
    default: 5,
    meaning: 'per-user WebSocket connection limit',
  },
  broadcastIntervalMs: {
    env: 'OPENEYE_BROADCAST_INTERVAL_MS',
    kind: 'integer',
    parse: integer(50, 3_600_000),
    default: 5000,
    meaning: 'periodic statistics broadcast, ms',
  },
  heartbeatIntervalMs: {
    env: 'OPENEYE_HEARTBEAT_INTERVAL_MS',
    kind: 'integer',
    parse: integer(100, 3_600_000),
    default: 30_000,
    meaning: 'protocol pings, ms; a peer silent for one interval is dropped',
  },
  maxMessageBytes: {
    env: 'OPENEYE_MAX_MESSAGE_BYTES',
    kind: 'integer',
    parse: integer(1024, 16 * 1024 * 1024),
    default: 64 * 1024,
    meaning: 'largest client frame (bigger: close 1009)',
  },
  maxBufferedBytes: {
    env: 'OPENEYE_MAX_BUFFERED_BYTES',
    kind: 'integer',
    parse: integer(1024, 1024 * 1024 * 1024),
    default: 1024 * 1024,
    meaning: 'send buffer bound per connection (past it: close 1013)',
  },
  messageRate: {
    env: 'OPENEYE_MESSAGE_RATE',
    kind: 'integer',
    parse: integer(1, 100_000),
    default: 20,
    meaning: 'client messages per second',
  },
  messageBurst: {
    env: 'OPENEYE_MESSAGE_BURST',
    kind: 'integer',
    parse: integer(1, 100_000),
    default: 40,
    meaning: 'client message burst',
  },
  historyMaxEvents: {
    env: 'OPENEYE_HISTORY_MAX_EVENTS',
    kind: 'integer',
    parse: integer(1, 100_000_000),
    default: 10_000,
    meaning: 'events kept for resume',
  },
  historyMaxAgeDays: {
    env: 'OPENEYE_HISTORY_MAX_AGE_DAYS',
    kind: 'integer',
    parse: integer(1, 3650),
    default: 7,
    meaning: 'days of events kept for resume',
  },
  websocketEnabled: {
    env: 'OPENEYE_WEBSOCKET_ENABLED',
    kind: 'boolean',
    parse: boolean,
    default: true,
    meaning: 'false refuses WebSocket upgrades (503): clients fall back to polling',
  },
  headersTimeoutMs: {
    env: 'OPENEYE_HEADERS_TIMEOUT_MS',
    kind: 'integer',
    parse: integer(200, 15_000),
    default: 10_000,
    meaning: 'a client gets this long to send its request headers (slowloris), ms',
  },
  handshakeTimeoutMs: {
    env: 'OPENEYE_HANDSHAKE_TIMEOUT_MS',
    kind: 'integer',
    parse: integer(100, 60_000),
    default: 5000,
    meaning: 'budget of the user check and connection limit after the upgrade (then 1013), ms',
  },
  maxPendingUpgrades: {
    env: 'OPENEYE_MAX_PENDING_UPGRADES',
    kind: 'integer',
    parse: integer(1, 100_000),
    default: 1000,
    meaning: 'upgrades allowed in that step at once (beyond: HTTP 503)',
  },
  mediaMaxFps: {
    env: 'OPENEYE_MEDIA_MAX_FPS',
    kind: 'integer',
    parse: integer(1, 60),
    default: 15,
    meaning: 'frames per second a viewer of a camera gets at most (a watch asks for 5 by default)',
  },
  mediaMaxWatches: {
    env: 'OPENEYE_MEDIA_MAX_WATCHES',
    kind: 'integer',
    parse: integer(1, 256),
    default: 16,
    meaning: 'cameras one connection may watch at once',
  },
  maxFrameBytes: {
    env: 'OPENEYE_MAX_FRAME_BYTES',
    kind: 'integer',
    parse: integer(1024, 64 * 1024 * 1024),
    default: 2 * 1024 * 1024,
    meaning: 'largest camera image accepted (pushed over HTTP or a producer socket, or pulled), bytes',
  },
  wsCompression: {
    env: 'OPENEYE_WS_COMPRESSION',
    kind: 'boolean',
    parse: boolean,
    default: false,
    meaning: 'permessage-deflate for JSON messages (never camera frames); see README "Compression"',
  },
  wsCompressionThreshold: {
    env: 'OPENEYE_WS_COMPRESSION_THRESHOLD',
    kind: 'integer',
    parse: integer(0, 1024 * 1024),
    default: 256,
    meaning: 'messages smaller than this are sent uncompressed, bytes',
  },
  wsCompressionWindowBits: {
    env: 'OPENEYE_WS_COMPRESSION_WINDOW_BITS',
    kind: 'integer',
    parse: integer(9, 15),
    default: 11,
    meaning: "zlib window of compression both ways: a client's compressed messages take 2^bits bytes to inflate",
  },
  mediaMaxAgeDays: {
    env: 'OPENEYE_MEDIA_MAX_AGE_DAYS',
    kind: 'integer',
    parse: integer(1, 3650),
    default: 7,
    meaning: 'event snapshots older than this are removed, days',
  },
  mediaMaxBytes: {
    env: 'OPENEYE_MEDIA_MAX_BYTES',
    kind: 'integer',
    parse: integer(1024 * 1024, Number.MAX_SAFE_INTEGER),
    default: 1024 * 1024 * 1024,
    meaning: 'event snapshots kept in all, bytes; beyond it the oldest are removed',
  },
  mediaPullTimeoutMs: {
    env: 'OPENEYE_MEDIA_PULL_TIMEOUT_MS',
    kind: 'integer',
    parse: integer(200, 60_000),
    default: 5000,
    meaning: "a camera's snapshot_url or mjpeg_url must answer within this, and may stall no longer, ms",
  },
  tlsCert: {
    env: 'OPENEYE_TLS_CERT',
    kind: 'string',
    parse: text,
    default: null,
    defaultText: 'unset',
    meaning: 'PEM certificate file: serve HTTPS and wss:// (with OPENEYE_TLS_KEY)',
  },
  tlsKey: {
    env: 'OPENEYE_TLS_KEY',
    kind: 'string',
    parse: text,
    default: null,
    defaultText: 'unset',
    meaning: 'PEM private key file (with OPENEYE_TLS_CERT)',
  },
  metricsToken: {
    env: 'OPENEYE_METRICS_TOKEN',
    kind: 'string',
    parse: atLeast(16),
    default: null,
    defaultText: 'unset (/metrics open)',
    meaning: 'bearer token (>= 16 chars) Prometheus must send to scrape /metrics; without it 401',
    secret: true,
  },
  webRoot: {
    env: 'OPENEYE_WEB_ROOT',
    kind: 'string',
    parse: text,
    default: null,
    defaultText: 'packages/web/dist',
    meaning: 'directory of the dashboard served at /',
  },
  demo: {
    env: 'OPENEYE_DEMO',
    flag: 'demo',
    kind: 'boolean',
    parse: boolean,
    default: false,
    meaning: 'run the simulator inside the server',
  },
  redisUrl: {
    env: 'REDIS_URL',
    kind: 'string',
    parse: matching(/^rediss?:\/\//, 'must be a redis:// URL'),
    default: null,
    defaultText: 'unset',
    meaning: 'redis://127.0.0.1:6379: several nodes (needs DATABASE_URL)',
    secret: 'url',
  },
  redisPrefix: {
    env: 'OPENEYE_REDIS_PREFIX',
    kind: 'string',
    parse: matching(/^[A-Za-z0-9_.-]{1,64}$/, 'may contain letters, digits, _ . - (at most 64)'),
    default: 'openeye',
    meaning: 'key and channel prefix in Redis',
  },
  natsUrl: {
    env: 'NATS_URL',
    kind: 'string',
    parse: natsUrl,
    default: null,
    defaultText: 'unset',
    meaning: 'nats://127.0.0.1:4222: several nodes over NATS with JetStream (needs DATABASE_URL; not with REDIS_URL)',
    secret: 'url-credentials',
  },
  natsPrefix: {
    env: 'OPENEYE_NATS_PREFIX',
    kind: 'string',
    parse: matching(
      /^[A-Za-z0-9_-]{1,48}$/,
      'may contain letters, digits, _ and - (at most 48): it is a subject token and names key-value buckets',
    ),
    default: 'openeye',
    meaning: 'subject and key-value bucket prefix in NATS',
  },
  nodeLeaseMs: {
    env: 'OPENEYE_NODE_LEASE_MS',
    kind: 'integer',
    parse: integer(1000, 30_000),
    default: 15_000,
    meaning: 'how long a silent node keeps counting, ms',
  },
  cameraOfflineGraceSeconds: {
    env: 'OPENEYE_CAMERA_OFFLINE_GRACE_SECONDS',
    kind: 'integer',
    parse: integer(1, 7 * 86400),
    default: 60,
    meaning: 'a camera silent this long (no event, status or frame) raises a camera_offline alert; per camera too',
  },
  webhookAllowPrivate: {
    env: 'OPENEYE_WEBHOOK_ALLOW_PRIVATE',
    kind: 'boolean',
    parse: boolean,
    default: false,
    meaning: 'allow webhook and push endpoints on loopback, link-local and private addresses',
  },
  notifyCaFile: {
    env: 'OPENEYE_NOTIFY_CA_FILE',
    kind: 'string',
    parse: text,
    default: null,
    defaultText: 'unset',
    meaning: 'PEM file of extra CA certificates trusted for webhook and push endpoints',
  },
  notifyTimeoutMs: {
    env: 'OPENEYE_NOTIFY_TIMEOUT_MS',
    kind: 'integer',
    parse: integer(100, 60_000),
    default: 10_000,
    meaning: 'budget of one webhook or push request, ms',
  },
  notifyRetryBaseMs: {
    env: 'OPENEYE_NOTIFY_RETRY_BASE_MS',
    kind: 'integer',
    parse: integer(10, 3_600_000),
    default: 10_000,
    meaning: 'first retry delay scale of webhook and push deliveries (doubling, full jitter, at most 1 h), ms',
  },
  notifyRetryForSeconds: {
    env: 'OPENEYE_NOTIFY_RETRY_FOR_SECONDS',
    kind: 'integer',
    parse: integer(1, 7 * 86400),
    default: 86_400,
    meaning: 'a delivery still failing this long after it was queued is dead-lettered, seconds',
  },
  vapidPublicKey: {
    env: 'OPENEYE_VAPID_PUBLIC_KEY',
    kind: 'string',
    parse: matching(/^[A-Za-z0-9_-]{87}$/, 'must be a base64url P-256 public key (87 characters)'),
    default: null,
    defaultText: 'generated, kept in the data dir',
    meaning: 'Web Push VAPID public key (with OPENEYE_VAPID_PRIVATE_KEY; the same on every node)',
  },
  vapidPrivateKey: {
    env: 'OPENEYE_VAPID_PRIVATE_KEY',
    kind: 'string',
    parse: matching(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url P-256 private key (43 characters)'),
    default: null,
    defaultText: 'generated, kept in the data dir',
    meaning: 'Web Push VAPID private key',
    secret: true,
  },
  vapidSubject: {
    env: 'OPENEYE_VAPID_SUBJECT',
    kind: 'string',
    parse: matching(/^(mailto:|https:\/\/)\S+$/, 'must be a mailto: or https:// contact URI'),
    default: 'mailto:openeye@localhost',
    meaning: 'contact URI push services see in the VAPID token',
  },
  frigateMqttUrl: {
    env: 'OPENEYE_FRIGATE_MQTT_URL',
    kind: 'string',
    parse: mqttUrl,
    default: null,
    defaultText: 'unset (no Frigate bridge)',
    meaning: "Frigate's MQTT broker, mqtt://[user:pass@]host:1883: turns the Frigate bridge on",
    secret: 'url',
  },
  frigateTopicPrefix: {
    env: 'OPENEYE_FRIGATE_TOPIC_PREFIX',
    kind: 'string',
    parse: topicPrefix,
    default: 'frigate',
    meaning: "Frigate's mqtt.topic_prefix",
  },
  frigateUrl: {
    env: 'OPENEYE_FRIGATE_URL',
    kind: 'string',
    parse: matching(/^https?:\/\/[^/]+/, 'must be an http(s):// URL, e.g. http://frigate:5000'),
    default: null,
    defaultText: 'unset',
    meaning: "Frigate's HTTP address: snapshot, thumbnail and live links in the events",
    secret: 'url',
  },
  frigateCreatePeople: {
    env: 'OPENEYE_FRIGATE_CREATE_PEOPLE',
    kind: 'boolean',
    parse: boolean,
    default: true,
    meaning: 'a face name Frigate recognised that no person has creates the person (false: skipped)',
  },
  mqttUrl: {
    env: 'OPENEYE_MQTT_URL',
    kind: 'string',
    parse: mqttUrl,
    default: null,
    defaultText: 'unset (no MQTT)',
    meaning: 'MQTT broker, mqtt://[user:pass@]host:1883: turns on MQTT ingest, publishing and HA discovery',
    secret: 'url',
  },
  mqttTopicPrefix: {
    env: 'OPENEYE_MQTT_TOPIC_PREFIX',
    kind: 'string',
    parse: topicPrefix,
    default: 'openeye',
    meaning: 'prefix of every OpenEye topic (<prefix>/in/..., <prefix>/out/..., <prefix>/status)',
  },
  mqttClientId: {
    env: 'OPENEYE_MQTT_CLIENT_ID',
    kind: 'string',
    parse: matching(/^[A-Za-z0-9_.-]{1,64}$/, 'may contain letters, digits, _ . - (at most 64)'),
    default: null,
    defaultText: 'openeye-<topic prefix>',
    meaning: 'client id of the persistent MQTT sessions; the same on every node of a cluster',
  },
  mqttUsername: {
    env: 'OPENEYE_MQTT_USERNAME',
    kind: 'string',
    parse: text,
    default: null,
    defaultText: 'unset (from the URL)',
    meaning: 'broker username, when not in the URL (both brokers)',
  },
  mqttPassword: {
    env: 'OPENEYE_MQTT_PASSWORD',
    kind: 'string',
    parse: text,
    default: null,
    defaultText: 'unset (from the URL)',
    meaning: 'broker password, when not in the URL (both brokers)',
    secret: true,
  },
  mqttCaFile: {
    env: 'OPENEYE_MQTT_CA_FILE',
    kind: 'string',
    parse: text,
    default: null,
    defaultText: "the system's CAs",
    meaning: 'PEM file of the CA that signed the broker certificate (mqtts://, wss://)',
  },
  haDiscovery: {
    env: 'OPENEYE_HA_DISCOVERY',
    kind: 'boolean',
    parse: boolean,
    default: true,
    meaning: 'Home Assistant MQTT discovery when OPENEYE_MQTT_URL is set',
  },
  haPrefix: {
    env: 'OPENEYE_HA_PREFIX',
    kind: 'string',
    parse: topicPrefix,
    default: 'homeassistant',
    meaning: "Home Assistant's discovery prefix",
  },
};

/** The settings as a list, in definition order. */
export const SETTING_LIST: readonly (Setting<unknown> & { key: keyof Config })[] = (
  Object.keys(SETTINGS) as (keyof Config)[]
).map((key) => ({ key, ...(SETTINGS[key] as Setting<unknown>) }));

/** Rules between settings, checked after each value on its own (before `overrides`). */
const CROSS_FIELD_RULES: ((c: Config) => string | null)[] = [
  (c) =>
    c.redisUrl !== null && c.natsUrl !== null
      ? 'REDIS_URL and NATS_URL are both set: a cluster runs on one engine, set only one of them'
      : null,
  (c) =>
    c.redisUrl !== null && c.databaseUrl === null
      ? 'REDIS_URL (several nodes) needs DATABASE_URL: the nodes share one PostgreSQL database'
      : null,
  (c) =>
    c.natsUrl !== null && c.databaseUrl === null
      ? 'NATS_URL (several nodes) needs DATABASE_URL: the nodes share one PostgreSQL database'
      : null,
  (c) =>
    (c.tlsCert === null) !== (c.tlsKey === null) ? 'OPENEYE_TLS_CERT and OPENEYE_TLS_KEY must be given together' : null,
  (c) =>
    (c.vapidPublicKey === null) !== (c.vapidPrivateKey === null)
      ? 'OPENEYE_VAPID_PUBLIC_KEY and OPENEYE_VAPID_PRIVATE_KEY must be given together'
      : null,
];

// ------------------------------------------------------------------ loading

/** Where a value came from: the environment, a flag of `openeye`, the default, or code (`overrides`). */
export type SettingSource = 'env' | 'flag' | 'default' | 'override';

export interface ResolvedConfig {
  config: Config;
  sources: Record<keyof Config, SettingSource>;
}

/**
 * Builds the config: for each setting the flag (raw, as typed after `--name`), else the environment
 * variable, else the default; then the cross-field rules; then `overrides` on top.
 */
export function resolveConfig(
  env: Env = process.env,
  options: { flags?: Partial<Record<keyof Config, string>>; overrides?: Partial<Config> } = {},
): ResolvedConfig {
  const config = {} as Record<keyof Config, unknown>;
  const sources = {} as Record<keyof Config, SettingSource>;
  for (const s of SETTING_LIST) {
    const flag = options.flags?.[s.key];
    const raw = env[s.env];
    if (flag !== undefined && flag !== '' && s.flag !== undefined) {
      config[s.key] = s.parse(flag, `--${s.flag}`);
      sources[s.key] = 'flag';
    } else if (raw !== undefined && raw !== '') {
      config[s.key] = s.parse(raw, s.env);
      sources[s.key] = 'env';
    } else {
      config[s.key] = typeof s.default === 'function' ? (s.default as () => unknown)() : s.default;
      sources[s.key] = 'default';
    }
  }
  for (const rule of CROSS_FIELD_RULES) {
    const message = rule(config as unknown as Config);
    if (message !== null) throw new ConfigError(message);
  }
  for (const key of Object.keys(options.overrides ?? {}) as (keyof Config)[]) {
    config[key] = options.overrides![key];
    sources[key] = 'override';
  }
  return { config: config as unknown as Config, sources };
}

/** Builds the config from environment variables, with `overrides` (from CLI flags or tests) on top. */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  return resolveConfig(env, { overrides }).config;
}

// ------------------------------------------------------------------ describing

/** A URL with its password (if any) replaced by `****`. */
export function maskUrlPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^/?#]*@/i, '$1:****@');
}

/** A URL with everything before its `@` (user, password or token) replaced by `****`. */
export function maskUrlCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1****@');
}

/** A value as `openeye config` prints it: lists joined, unset as `unset`, secrets masked. */
export function displayValue(setting: Pick<Setting<unknown>, 'secret'>, value: unknown): string {
  if (value === null || value === undefined) return 'unset';
  if (setting.secret === true) return '****';
  const shown = Array.isArray(value) ? value.join(',') : String(value);
  if (setting.secret === 'url-credentials') return maskUrlCredentials(shown);
  return setting.secret === 'url' ? maskUrlPassword(shown) : shown;
}

/** The default as help and docs show it. */
export function defaultText(setting: Setting<unknown>): string {
  if (setting.defaultText !== undefined) return setting.defaultText;
  const value = typeof setting.default === 'function' ? (setting.default as () => unknown)() : setting.default;
  return displayValue(setting, value);
}

/** The environment section of `openeye --help`, one line per setting. */
export function environmentHelp(): string {
  const names = SETTING_LIST.map((s) => (s.flag ? `${s.env} (--${s.flag})` : s.env));
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return SETTING_LIST.map((s, i) => `  ${names[i]!.padEnd(width)}${s.meaning} [default: ${defaultText(s)}]`).join('\n');
}

/** The effective settings, one row each, for `openeye config`. */
export function describeConfig(resolved: ResolvedConfig): { env: string; value: string; source: SettingSource }[] {
  return SETTING_LIST.map((s) => {
    const value = resolved.config[s.key];
    const note = s.defaultText;
    const unset = note === undefined ? 'unset' : note.startsWith('unset') ? note : `unset (${note})`;
    return {
      env: s.env,
      value: value === null ? unset : displayValue(s, value),
      source: resolved.sources[s.key],
    };
  });
}
