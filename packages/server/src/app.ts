/**
 * The composition root: builds the store, the cluster engine, the services, the realtime node and
 * the routes, and wires them; nothing else. `createServer` touches no network beyond the database
 * (the cluster engine connects in `listen`).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import type pino from 'pino';
import { ApiKeyVerifier } from './auth/api-keys.js';
import { createGuard } from './auth/guard.js';
import { JwtService } from './auth/jwt.js';
import { LoginThrottle, WorkLimit } from './auth/login-throttle.js';
import { hashPassword } from './auth/passwords.js';
import type { ClusterEngine } from './cluster/engine.js';
import { createEngine } from './cluster/select.js';
import type { Config } from './config.js';
import { AlertService } from './domain/alerts.js';
import { ApiKeysService } from './domain/api-keys.js';
import { CameraOfflineMonitor } from './domain/camera-offline.js';
import { EscalationService, EscalationWorker } from './domain/escalation.js';
import { HistoryRetention } from './domain/retention.js';
import { DomainService } from './domain/service.js';
import { StatisticsService } from './domain/statistics.js';
import { UsersService } from './domain/users.js';
import { alertRoutes } from './http/alerts.js';
import { authRoutes } from './http/auth.js';
import { installInputRules } from './http/body.js';
import { lazyCompilers } from './http/compilers.js';
import type { App, RouteContext } from './http/context.js';
import { earlyErrorOptions, installErrorHandler } from './http/errors.js';
import { eventRoutes } from './http/events.js';
import { keyRoutes } from './http/keys.js';
import { mediaRoutes } from './http/media.js';
import { installMultipart } from './http/multipart.js';
import { notifyRoutes } from './http/notify.js';
import { openApi } from './http/openapi.js';
import { resourceRoutes } from './http/resources.js';
import { registerSchemas } from './http/schemas.js';
import { installSecurityHeaders } from './http/security-headers.js';
import { staticRoutes } from './http/static.js';
import { Integrations } from './integrations/index.js';
import type { ConnectionTiming } from './integrations/mqtt-connection.js';
import { createLogger, type Logger } from './logger.js';
import { type ConnectionManager, connectionManager } from './manager.js';
import { PullManager } from './media/pull.js';
import type { MediaService } from './media/service.js';
import { OutboxWorker } from './notify/outbox.js';
import { loadVapidKeys, PushService } from './notify/web-push.js';
import { WebhookService } from './notify/webhooks.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { opsRoutes } from './ops/routes.js';
import type { WebSocketEndpoint } from './realtime/endpoint.js';
import type { Hub } from './realtime/hub.js';
import { RealtimeNode } from './realtime/node.js';
import { settleAfterStart } from './start-up-memory.js';
import { Store } from './store/index.js';

export type { ConnectionManager } from './manager.js';

export interface CreateServerOptions {
  /** Where log lines go (default stdout). Tests capture them here. */
  logStream?: pino.DestinationStream;
  /** Replaces the engine the configuration names (tests of the engine contract). */
  engine?: ClusterEngine;
  /** Printed instead of the console banner when an admin password is generated. */
  onAdminCreated?: (username: string, password: string) => void;
  /** MQTT timeouts and backoff (tests of stalling and restarting brokers). */
  mqttTiming?: ConnectionTiming;
}

export interface OpenEyeServer {
  readonly config: Config;
  readonly app: App;
  readonly store: Store;
  readonly engine: ClusterEngine;
  readonly hub: Hub;
  readonly domain: DomainService;
  readonly alerts: AlertService;
  readonly escalation: EscalationWorker;
  readonly outbox: OutboxWorker;
  readonly jwt: JwtService;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly manager: ConnectionManager;
  readonly endpoint: WebSocketEndpoint;
  /** Camera frames on this node: ingest, the newest frame, viewers. */
  readonly media: MediaService;
  /** Pulls frames from cameras' snapshot_url / mjpeg_url while they are watched. */
  readonly pull: PullManager;
  /** Frigate bridge, MQTT ingest and publishing, Home Assistant discovery (when configured). */
  readonly integrations: Integrations;
  /** Joins the cluster and starts listening; resolves to the base URL. */
  listen(): Promise<string>;
  setWebSocketEnabled(enabled: boolean): void;
  /** Graceful stop: sockets closed 1001, HTTP closed, cluster left, store closed. */
  close(): Promise<void>;
}

export function loadSecret(config: Config): string {
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
): Promise<void> {
  if ((await store.users.count()) > 0) return;
  const generated = config.adminPassword === null;
  const password = config.adminPassword ?? randomBytes(12).toString('base64url');
  await store.users.create(
    { username: config.adminUsername, role: 'admin', password_hash: await hashPassword(password) },
    new Date().toISOString(),
  );
  log.info({ event: 'admin.created', username: config.adminUsername, generated }, 'first start: admin account created');
  if (!generated) return;
  if (onCreated) onCreated(config.adminUsername, password);
  else {
    process.stdout.write(
      `\n  OpenEye: first start, created the admin account.\n    username: ${config.adminUsername}\n    password: ${password}\n  This password is shown once. Change it with: npx openeye user passwd ${config.adminUsername}\n\n`,
    );
  }
}

export async function createServer(config: Config, options: CreateServerOptions = {}): Promise<OpenEyeServer> {
  const log = createLogger(config.logLevel, options.logStream);
  const store = await Store.open({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await ensureAdmin(store, config, log, options.onAdminCreated);
  const secret = loadSecret(config);
  const jwt = new JwtService(secret, config.tokenLifetimeSeconds);
  const metrics = createMetrics();
  const engine = options.engine ?? (await createEngine(config, log));
  const statistics = new StatisticsService(store, config.timezone);
  const domain = new DomainService(store, engine, undefined, { maxImageBytes: config.maxFrameBytes });
  const alerts = new AlertService(store, domain);
  domain.onStored = (events) => metrics.eventsStored(events);
  domain.onRecognition = (result) => metrics.recognition(result);
  metrics.domainGauges = {
    openAlerts: () => store.alerts.openBySeverity(),
    engine: () => ({ name: engine.name, up: engine.health() !== 'down' }),
  };
  // Alerts: escalation to webhooks and Web Push through the durable outbox (docs/alerts.md).
  const notifySettings = {
    allowPrivate: config.webhookAllowPrivate,
    timeoutMs: config.notifyTimeoutMs,
    ca: config.notifyCaFile ? fs.readFileSync(config.notifyCaFile, 'utf8') : undefined,
  };
  const vapid = await loadVapidKeys(
    store,
    config.vapidPublicKey && config.vapidPrivateKey
      ? { publicKey: config.vapidPublicKey, privateKey: config.vapidPrivateKey }
      : null,
  );
  const push = new PushService(store, vapid, { ...notifySettings, subject: config.vapidSubject }, secret);
  const webhooks = new WebhookService(store, notifySettings, () => outbox.nudge());
  const outbox = new OutboxWorker(
    store,
    { webhook: (m) => webhooks.deliver(m), push: (m) => push.deliver(m) },
    {
      nodeId: engine.nodeId,
      timeoutMs: config.notifyTimeoutMs,
      retryBaseMs: config.notifyRetryBaseMs,
      retryForMs: config.notifyRetryForSeconds * 1000,
    },
    log,
  );
  const escalation = new EscalationWorker(store, engine, log, () => outbox.nudge());
  const offline = new CameraOfflineMonitor(store, domain, alerts, engine, config.cameraOfflineGraceSeconds, log);
  const keys = new ApiKeyVerifier(store);
  const realtime = new RealtimeNode({ config, store, engine, jwt, keys, statistics, log, metrics });
  // A frame is a sign of life of its camera (camera offline alerts).
  realtime.media.onSeen = (cameraId) => void domain.cameraSeen(cameraId).catch(() => undefined);
  // A camera with a snapshot or MJPEG URL is pulled while someone watches it (one node: a lease).
  const pull = new PullManager({
    media: realtime.media,
    sources: (id) => store.cameras.sources(id),
    setActive: (id, active) => domain.updateCamera(id, { active }),
    engine,
    log,
    metrics: metrics.pull,
    maxFps: config.mediaMaxFps,
    maxFrameBytes: config.maxFrameBytes,
    timeoutMs: config.mediaPullTimeoutMs,
  });
  realtime.media.onWatchedChange = (cameraId) => pull.update(cameraId);
  // Viewers on other nodes count too: the lease holder pulls for the whole cluster.
  pull.watchedAnywhere = (cameraId) => realtime.media.viewers(cameraId) > 0 || realtime.isWatchedElsewhere(cameraId);
  realtime.onWatchedElsewhereChange = (cameraIds) => {
    for (const id of cameraIds) pull.update(id);
  };
  const retention = new HistoryRetention(
    store,
    config.historyMaxEvents,
    config.historyMaxAgeDays,
    { maxAgeDays: config.mediaMaxAgeDays, maxBytes: config.mediaMaxBytes },
    log,
  );

  const app = Fastify({
    loggerInstance: log,
    // Fastify's own request lines carry the URL with its query string (the token): ops/routes.ts logs instead.
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: 15_000,
    // Serializers compiled on first use, Fastify's ajv compiler not loaded (http/compilers.ts).
    schemaController: lazyCompilers,
    bodyLimit: 256 * 1024,
    // Behind a reverse proxy, the client's address comes from X-Forwarded-For (only from these peers).
    trustProxy: config.trustProxy,
    ...earlyErrorOptions(log),
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
  installSecurityHeaders(app, { tls: Boolean(config.tlsCert && config.tlsKey) });
  installInputRules(app);
  installMultipart(app, config.maxFrameBytes);
  installErrorHandler(app);
  app.decorateRequest('user', null);
  registerSchemas(app);
  await app.register(formbody);
  await openApi(app);
  const integrations = new Integrations({
    config,
    store,
    domain,
    statistics,
    engine,
    log,
    registry: metrics.registry,
    ...(options.mqttTiming ? { timing: options.mqttTiming } : {}),
  });
  opsRoutes(app, {
    store,
    engine,
    metrics,
    readiness: () => integrations.health(),
    metricsToken: config.metricsToken,
  });

  const ctx: RouteContext = {
    config,
    store,
    domain,
    statistics,
    jwt,
    guard: createGuard(jwt, store, keys),
    users: new UsersService(store, engine),
    keys: new ApiKeysService(store, engine),
    engine,
    loginThrottle: new LoginThrottle(engine.attempts),
    // Two password hashes at a time (the cores), up to 256 waiting: a shift of operators logging in at
    // once waits its turn; a flood beyond that is told 503 at once.
    loginWork: new WorkLimit(2, 256),
  };
  authRoutes(app, ctx);
  resourceRoutes(app, ctx);
  eventRoutes(app, ctx);
  keyRoutes(app, ctx);
  mediaRoutes(app, ctx, realtime.media, metrics);
  alertRoutes(app, ctx, alerts);
  notifyRoutes(app, ctx, { alerts, rules: new EscalationService(store), webhooks, push });
  await staticRoutes(app, config.webRoot);
  realtime.attach(app.server);

  let closed = false;
  return {
    config,
    app,
    store,
    engine,
    hub: realtime.hub,
    domain,
    alerts,
    escalation,
    outbox,
    jwt,
    log,
    metrics,
    manager: connectionManager(realtime.hub, domain, statistics),
    endpoint: realtime.endpoint,
    media: realtime.media,
    pull,
    integrations,
    async listen() {
      await retention.start();
      await realtime.start();
      outbox.start();
      escalation.start();
      offline.start();
      pull.start();
      await app.listen({ port: config.port, host: config.host });
      await integrations.start();
      // Started: start-up's garbage compacted away, the young generation may grow under load again
      // (start-up-memory.ts; a no-op unless cli.ts prepared the start).
      settleAfterStart();
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      const scheme = config.tlsCert ? 'https' : 'http';
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      return `${scheme}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    },
    setWebSocketEnabled(enabled) {
      realtime.setEnabled(enabled);
    },
    async close() {
      if (closed) return;
      closed = true;
      log.info({ event: 'shutdown.begin' }, 'shutting down');
      retention.stop();
      offline.stop();
      escalation.stop();
      outbox.stop();
      await pull.stop();
      await integrations.stop();
      const result = await realtime.stop();
      await app.close();
      await engine.stop();
      await store.close();
      log.info({ event: 'shutdown.done', ...result }, 'shut down');
    },
  };
}
