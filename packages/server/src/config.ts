/**
 * The one place that reads the environment. Every setting is typed, has a default, and is checked
 * at start with a message that names the variable and the bad value.
 */
import path from 'node:path';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  redisPrefix: string;
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
  tlsCert: string | null;
  tlsKey: string | null;
  webRoot: string | null;
  demo: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function str(env: Env, name: string): string | null {
  const raw = env[name];
  return raw === undefined || raw === '' ? null : raw;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Builds the config from environment variables, with `overrides` (from CLI flags or tests) on top. */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const databaseUrl = str(env, 'DATABASE_URL');
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite store)');
  }
  const redisUrl = str(env, 'REDIS_URL');
  if (redisUrl !== null && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('REDIS_URL must be a redis:// URL');
  }
  if (redisUrl !== null && databaseUrl === null) {
    throw new ConfigError('REDIS_URL (several nodes) needs DATABASE_URL: the nodes share one PostgreSQL database');
  }
  const redisPrefix = str(env, 'OPENEYE_REDIS_PREFIX') ?? 'openeye';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(redisPrefix)) {
    throw new ConfigError('OPENEYE_REDIS_PREFIX may contain letters, digits, _ . - (at most 64)');
  }
  const jwtSecret = str(env, 'OPENEYE_JWT_SECRET');
  if (jwtSecret !== null && jwtSecret.length < 32) {
    throw new ConfigError('OPENEYE_JWT_SECRET must be at least 32 characters long');
  }
  const timezone = str(env, 'OPENEYE_TIMEZONE') ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!validTimezone(timezone)) {
    throw new ConfigError(`OPENEYE_TIMEZONE is not a known IANA time zone: ${JSON.stringify(timezone)}`);
  }
  const logLevel = str(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }
  const origins = str(env, 'OPENEYE_ALLOWED_ORIGINS');
  const allowedOrigins =
    origins === null
      ? null
      : origins
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean);
  for (const o of allowedOrigins ?? []) {
    if (!/^https?:\/\/[^/]+$/.test(o)) {
      throw new ConfigError(`OPENEYE_ALLOWED_ORIGINS entries must be origins like https://host:port, got ${o}`);
    }
  }
  const adminUsername = str(env, 'OPENEYE_ADMIN_USERNAME') ?? 'admin';
  const adminPassword = str(env, 'OPENEYE_ADMIN_PASSWORD');
  if (adminPassword !== null && adminPassword.length < 8) {
    throw new ConfigError('OPENEYE_ADMIN_PASSWORD must be at least 8 characters long');
  }
  const tlsCert = str(env, 'OPENEYE_TLS_CERT');
  const tlsKey = str(env, 'OPENEYE_TLS_KEY');
  if ((tlsCert === null) !== (tlsKey === null)) {
    throw new ConfigError('OPENEYE_TLS_CERT and OPENEYE_TLS_KEY must be given together');
  }
  const config: Config = {
    port: int(env, 'PORT', 8000, 0, 65535),
    host: str(env, 'HOST') ?? '127.0.0.1',
    dataDir: path.resolve(str(env, 'OPENEYE_DATA_DIR') ?? './data'),
    databaseUrl,
    redisUrl,
    redisPrefix,
    nodeLeaseMs: int(env, 'OPENEYE_NODE_LEASE_MS', 15_000, 1000, 30_000),
    jwtSecret,
    tokenLifetimeSeconds: int(env, 'OPENEYE_TOKEN_LIFETIME_SECONDS', 3600, 10, 30 * 86400),
    adminUsername,
    adminPassword,
    timezone,
    logLevel,
    allowedOrigins,
    maxConnectionsPerUser: int(env, 'OPENEYE_MAX_CONNECTIONS_PER_USER', 5, 1, 100_000),
    broadcastIntervalMs: int(env, 'OPENEYE_BROADCAST_INTERVAL_MS', 5000, 50, 3_600_000),
    heartbeatIntervalMs: int(env, 'OPENEYE_HEARTBEAT_INTERVAL_MS', 30_000, 100, 3_600_000),
    maxMessageBytes: int(env, 'OPENEYE_MAX_MESSAGE_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    maxBufferedBytes: int(env, 'OPENEYE_MAX_BUFFERED_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    messageRate: int(env, 'OPENEYE_MESSAGE_RATE', 20, 1, 100_000),
    messageBurst: int(env, 'OPENEYE_MESSAGE_BURST', 40, 1, 100_000),
    historyMaxEvents: int(env, 'OPENEYE_HISTORY_MAX_EVENTS', 10_000, 1, 100_000_000),
    historyMaxAgeDays: int(env, 'OPENEYE_HISTORY_MAX_AGE_DAYS', 7, 1, 3650),
    websocketEnabled: bool(env, 'OPENEYE_WEBSOCKET_ENABLED', true),
    headersTimeoutMs: int(env, 'OPENEYE_HEADERS_TIMEOUT_MS', 10_000, 200, 15_000),
    handshakeTimeoutMs: int(env, 'OPENEYE_HANDSHAKE_TIMEOUT_MS', 5000, 100, 60_000),
    maxPendingUpgrades: int(env, 'OPENEYE_MAX_PENDING_UPGRADES', 1000, 1, 100_000),
    tlsCert,
    tlsKey,
    webRoot: str(env, 'OPENEYE_WEB_ROOT'),
    demo: bool(env, 'OPENEYE_DEMO', false),
    ...overrides,
  };
  return config;
}
