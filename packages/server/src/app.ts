/**
 * The composition root: builds the store, bus, services, hub and routes, and nothing else.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type AlertType, ErrorResponse, type Statistics } from '@openeye/protocol';
import Fastify, { type FastifyError, type FastifyReply, LogController } from 'fastify';
import type pino from 'pino';
import { createGuard } from './auth/guard.js';
import { JwtService } from './auth/jwt.js';
import { LocalAttemptCounter, LoginThrottle, WorkLimit } from './auth/login-throttle.js';
import { hashPassword } from './auth/passwords.js';
import type { Config } from './config.js';
import { DomainError } from './domain/errors.js';
import { DomainService } from './domain/service.js';
import { StatisticsService } from './domain/statistics.js';
import { authRoutes } from './http/auth.js';
import { installInputRules } from './http/body.js';
import type { App, RouteContext } from './http/context.js';
import { eventRoutes } from './http/events.js';
import { resourceRoutes } from './http/resources.js';
import { createLogger, type Logger, redactUrl, scrubTokens } from './logger.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { StatisticsBroadcaster } from './realtime/broadcaster.js';
import { type Bus, LocalBus } from './realtime/bus.js';
import { type ClusterView, localClusterView } from './realtime/cluster-view.js';
import { WebSocketEndpoint } from './realtime/endpoint.js';
import { Hub } from './realtime/hub.js';
import { LocalLimiter } from './realtime/limiter.js';
import { RedisBus } from './realtime/redis-bus.js';
import { Sequencer } from './realtime/sequencer.js';
import { Store } from './store/index.js';

export interface CreateServerOptions {
  /** Where log lines go (default stdout). Tests capture them here. */
  logStream?: pino.DestinationStream;
  /** Replaces the in-process bus (the multi-node engine). */
  bus?: Bus;
  /** Printed instead of the console banner when an admin password is generated. */
  onAdminCreated?: (username: string, password: string) => void;
}

/**
 * The guide's WebSocketConnectionManager for programs that embed the server: its backend API in
 * TypeScript naming. Events go through the store first, so they get ids and can be resumed.
 */
export interface ConnectionManager {
  broadcastStatisticsUpdate(data?: Statistics): Promise<void>;
  broadcastCameraEvent(cameraId: number, eventType: string, data?: object): Promise<unknown>;
  broadcastAlert(
    alertType: AlertType,
    data: { message: string; camera_id?: number; [k: string]: unknown },
  ): Promise<unknown>;
  getStatistics: Hub['getStatistics'];
  getUserConnectionCount: Hub['getUserConnectionCount'];
  sendPersonalMessage: Hub['sendPersonalMessage'];
  broadcastToUser: Hub['broadcastToUser'];
  getPresence: Hub['getPresence'];
}

export interface OpenEyeServer {
  readonly config: Config;
  readonly app: App;
  readonly store: Store;
  readonly hub: Hub;
  readonly domain: DomainService;
  readonly jwt: JwtService;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly manager: ConnectionManager;
  readonly endpoint: WebSocketEndpoint;
  /** Starts listening; resolves to the base URL. */
  listen(): Promise<string>;
  setWebSocketEnabled(enabled: boolean): void;
  /** Graceful stop: sockets closed 1001, HTTP closed, store closed. */
  close(): Promise<void>;
}

function loadSecret(config: Config): string {
  if (config.jwtSecret) return config.jwtSecret;
  fs.mkdirSync(config.dataDir, { recursive: true });
  const file = path.join(config.dataDir, 'jwt-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(48).toString('base64url');
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      // Another process sharing the data dir wrote it first.
      return fs.readFileSync(file, 'utf8').trim();
    }
  }
}

async function ensureAdmin(
  store: Store,
  config: Config,
  log: Logger,
  onCreated?: CreateServerOptions['onAdminCreated'],
) {
  if ((await store.users.count()) > 0) return;
  const generated = config.adminPassword === null;
  const password = config.adminPassword ?? randomBytes(12).toString('base64url');
  await store.users.create(
    { username: config.adminUsername, role: 'admin', password_hash: await hashPassword(password) },
    new Date().toISOString(),
  );
  log.info({ event: 'admin.created', username: config.adminUsername, generated }, 'first start: admin account created');
  if (generated) {
    if (onCreated) onCreated(config.adminUsername, password);
    else {
      process.stdout.write(
        `\n  OpenEye: first start, created the admin account.\n    username: ${config.adminUsername}\n    password: ${password}\n  This password is shown once. Change it with: npx openeye user passwd ${config.adminUsername}\n\n`,
      );
    }
  }
}

const STORAGE_ERROR = /^(SQLITE_|ECONNREFUSED|ECONNRESET|ETIMEDOUT|57P0|08|53)/;

function defaultWebRoot(): string {
  // packages/server/{src,dist}/app.* -> packages/web/dist
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');
}

export { loadSecret };

function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, log: Logger): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, text] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large']
        : [400, 'Bad Request'];
  log.debug({ event: 'http.client_error', code: err.code, status }, 'malformed request');
  if (socket.writable) {
    const body = JSON.stringify({ error: 'bad_request', message: text });
    socket.write(
      `HTTP/1.1 ${status} ${text}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export async function createServer(config: Config, options: CreateServerOptions = {}): Promise<OpenEyeServer> {
  const log = createLogger(config.logLevel, options.logStream);
  const store = await Store.open({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await ensureAdmin(store, config, log, options.onAdminCreated);
  const jwt = new JwtService(loadSecret(config), config.tokenLifetimeSeconds);
  const metrics = createMetrics();
  const redisBus = config.redisUrl
    ? new RedisBus(
        {
          url: config.redisUrl,
          prefix: config.redisPrefix,
          maxConnectionsPerUser: config.maxConnectionsPerUser,
          leaseMs: config.nodeLeaseMs,
        },
        log,
      )
    : null;
  const bus: Bus = options.bus ?? redisBus ?? new LocalBus();
  const statistics = new StatisticsService(store, config.timezone);
  const domain = new DomainService(store, bus);
  const localLimiter = new LocalLimiter(config.maxConnectionsPerUser);
  const hub = new Hub(
    {
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      maxBufferedBytes: config.maxBufferedBytes,
      messageRate: config.messageRate,
      messageBurst: config.messageBurst,
    },
    jwt,
    log,
    metrics,
    redisBus ? redisBus.limiter(localLimiter) : localLimiter,
  );
  const broadcaster = new StatisticsBroadcaster(hub, statistics, log, config.broadcastIntervalMs);
  const cluster: ClusterView = redisBus ? redisBus.clusterView(hub) : localClusterView(hub);
  const sequencer = new Sequencer(store, (events) => hub.deliverEvents(events), log);
  await sequencer.init();
  let presenceTimer: NodeJS.Timeout | null = null;
  bus.subscribe((m) => {
    if (m.kind === 'events') sequencer.offer(m.events);
    else if (m.kind === 'changed') broadcaster.changed();
    else if (m.kind === 'user_revoked') {
      endpoint.forgetUser(m.userId);
      hub.revokeUser(m.userId);
    } else if (m.kind === 'presence' && !presenceTimer) {
      presenceTimer = setTimeout(() => {
        presenceTimer = null;
        cluster.presence().then(
          (p) => hub.broadcastPresence(p),
          () => undefined,
        );
      }, 50);
    }
  });
  let pollTimer: NodeJS.Timeout | null = null;
  if (redisBus) {
    // Presence is the cluster's: a change here is told to every node, which merges the snapshots.
    hub.onPresenceChange = () => {
      void redisBus.refresh().then(() => bus.publish({ kind: 'presence' }));
    };
    hub.onConnectionsChange = () => redisBus.scheduleRefresh();
    redisBus.onReconnect = () => {
      void sequencer.catchUp();
      broadcaster.changed();
    };
    await redisBus.start(hub);
    pollTimer = setInterval(() => void sequencer.poll(), 2000);
    pollTimer.unref();
  }

  const app = Fastify({
    loggerInstance: log,
    // Fastify's own request lines carry the URL with its query string (the token): ours replace them.
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: 15_000,
    // Node's parse errors carry the raw request bytes (token and Authorization header included):
    // answered here with a fixed body and logged by code only.
    clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex) {
      answerClientError(err, socket, log);
    },
    // Fastify's own 400s for a malformed URL echo the URL: answered without it.
    frameworkErrors(err, _req, reply) {
      const status = typeof err.statusCode === 'number' ? err.statusCode : 400;
      (reply as FastifyReply).code(status).send({ error: 'bad_request', message: 'The request URL is malformed' });
    },
    bodyLimit: 256 * 1024,
    ...(config.tlsCert && config.tlsKey
      ? { https: { cert: fs.readFileSync(config.tlsCert), key: fs.readFileSync(config.tlsKey) } }
      : {}),
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;
  // Slowloris: a client gets this long to send its headers; checked every second (Node's default: 30 s).
  app.server.headersTimeout = config.headersTimeoutMs;
  // Read by Node when the server starts listening (not in @types/node 20).
  (app.server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.min(
    1000,
    config.headersTimeoutMs,
  );
  installInputRules(app);
  app.decorateRequest('user', null);
  app.addSchema({ ...ErrorResponse, $id: 'ErrorResponse' });

  // Our own request log: the URL with its token redacted, never headers or bodies.
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    if (route !== '/metrics' && route !== '/healthz') {
      req.log.info(
        {
          event: 'http',
          method: req.method,
          url: redactUrl(req.url),
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
          remote: req.ip,
        },
        'request',
      );
    }
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      const first = err.validation[0];
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const pathPart = (first?.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
      const field = missing
        ? pathPart
          ? `${pathPart}.${missing}`
          : missing
        : pathPart || err.validationContext || 'body';
      return reply
        .code(400)
        .send({ error: 'validation_error', message: `${field}: ${first?.message ?? err.message}`, field });
    }
    if (err instanceof DomainError) {
      return reply
        .code(err.status)
        .send({ error: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) });
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: 'bad_request', message: scrubTokens(err.message) });
    }
    if (STORAGE_ERROR.test(String((err as { code?: unknown }).code ?? ''))) {
      req.log.error(
        { event: 'storage.error', code: (err as { code?: unknown }).code, msg: err.message },
        'storage failed',
      );
      return reply.code(503).send({ error: 'unavailable', message: 'Storage is unavailable; nothing was stored' });
    }
    req.log.error({ event: 'http.error', err }, 'request failed');
    return reply.code(500).send({ error: 'internal_error', message: 'Internal server error' });
  });

  await app.register(formbody);
  await app.register(swagger, {
    openapi: {
      info: { title: 'OpenEye Realtime API', version: '1', description: 'REST beside the WebSocket of protocol.md' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (json.$id as string) ?? `def-${i}` },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const redis = redisBus ? (redisBus.healthy ? 'up' : 'down') : undefined;
    try {
      await store.ping();
      // Without Redis a node still serves its own clients and catches up later: degraded, not down.
      return { status: redis === 'down' ? 'degraded' : 'ready', storage: store.engine, ...(redis ? { redis } : {}) };
    } catch {
      return reply.code(503).send({ status: 'unavailable', storage: store.engine, ...(redis ? { redis } : {}) });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  const localAttempts = new LocalAttemptCounter();
  const ctx: RouteContext = {
    config,
    store,
    domain,
    statistics,
    jwt,
    guard: createGuard(jwt, store),
    hub,
    cluster,
    bus,
    loginThrottle: new LoginThrottle(redisBus ? redisBus.attemptCounter(localAttempts) : localAttempts),
    loginWork: new WorkLimit(2, 32),
  };
  authRoutes(app, ctx);
  resourceRoutes(app, ctx);
  eventRoutes(app, ctx);

  const webRoot = config.webRoot ?? defaultWebRoot();
  const hasWeb = fs.existsSync(path.join(webRoot, 'index.html'));
  if (hasWeb) await app.register(fastifyStatic, { root: webRoot, wildcard: false });
  app.setNotFoundHandler((req, reply) => {
    // The dashboard's routes get index.html; a missing file (a name with an extension) stays a 404.
    const pathname = req.url.split('?')[0] ?? '';
    const isRoute = !pathname.slice(pathname.lastIndexOf('/')).includes('.');
    if (hasWeb && req.method === 'GET' && isRoute && !pathname.startsWith('/api/') && !pathname.startsWith('/docs')) {
      return reply.sendFile('index.html');
    }
    return reply
      .code(404)
      .send({ error: 'not_found', message: `No route ${req.method} ${redactUrl(req.url).split('?')[0]}` });
  });

  const endpoint = new WebSocketEndpoint({
    config,
    jwt,
    store,
    hub,
    statistics,
    log,
    metrics,
    deliveredPosition: () => sequencer.position,
  });
  endpoint.attach(app.server);

  const pruneHistory = async () => {
    try {
      const cutoff = new Date(Date.now() - config.historyMaxAgeDays * 86400_000).toISOString();
      const removed = await store.events.prune(config.historyMaxEvents, cutoff);
      if (removed > 0) log.debug({ event: 'history.pruned', removed }, 'history pruned');
    } catch (err) {
      log.warn({ event: 'history.prune_failed', err }, 'history pruning failed');
    }
  };
  const pruneTimer = setInterval(pruneHistory, 60_000);
  pruneTimer.unref();

  const manager: ConnectionManager = {
    broadcastStatisticsUpdate: async (data) => hub.broadcastStatisticsUpdate(data ?? (await statistics.snapshot())),
    broadcastCameraEvent: (cameraId, eventType, data) => domain.postCameraEvent(cameraId, eventType, data),
    broadcastAlert: (alertType, data) => {
      const { message, camera_id, ...rest } = data;
      return domain.createAlert({
        alert_type: alertType,
        message,
        ...(camera_id === undefined ? {} : { camera_id }),
        data: rest,
      });
    },
    getStatistics: () => hub.getStatistics(),
    getUserConnectionCount: (userId) => hub.getUserConnectionCount(userId),
    sendPersonalMessage: (message, connectionId) => hub.sendPersonalMessage(message, connectionId),
    broadcastToUser: (message, userId) => hub.broadcastToUser(message, userId),
    getPresence: () => hub.getPresence(),
  };

  let closed = false;
  return {
    config,
    app,
    store,
    hub,
    domain,
    jwt,
    log,
    metrics,
    manager,
    endpoint,
    async listen() {
      await pruneHistory();
      await app.listen({ port: config.port, host: config.host });
      hub.start();
      broadcaster.start();
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      const scheme = config.tlsCert ? 'https' : 'http';
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      return `${scheme}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    },
    setWebSocketEnabled(enabled) {
      endpoint.enabled = enabled;
      if (!enabled) hub.closeAll();
    },
    async close() {
      if (closed) return;
      closed = true;
      log.info({ event: 'shutdown.begin' }, 'shutting down');
      clearInterval(pruneTimer);
      if (pollTimer) clearInterval(pollTimer);
      if (presenceTimer) clearTimeout(presenceTimer);
      broadcaster.stop();
      const result = await hub.shutdown();
      endpoint.close();
      await app.close();
      await bus.close();
      await store.close();
      log.info({ event: 'shutdown.done', ...result }, 'shut down');
    },
  };
}
