/**
 * Operations: `/healthz` (the process), `/readyz` (the store answers; the cluster engine's state),
 * `/metrics` (Prometheus; behind a bearer token when OPENEYE_METRICS_TOKEN is set), and the request log (our own line per request, with the URL's token
 * redacted; Fastify's lines are off because they carry the query string).
 */

import { timingSafeEqual } from 'node:crypto';
import type { ClusterEngine } from '../cluster/engine.js';
import type { App } from '../http/context.js';
import { type Logger, redactUrl } from '../logger.js';
import type { Store } from '../store/index.js';
import type { Metrics } from './metrics.js';

/** More readiness fields (the MQTT connections); `degraded` when one of them is down. */
export type ReadinessProbe = () => { fields: Record<string, string>; degraded: boolean } | null;

export function opsRoutes(
  app: App,
  deps: {
    store: Store;
    engine: ClusterEngine;
    metrics: Metrics;
    readiness?: ReadinessProbe;
    /** `/metrics` answers only `Authorization: Bearer <metricsToken>` when set. */
    metricsToken?: string | null;
  },
): void {
  const { store, engine, metrics } = deps;
  const expected = deps.metricsToken ? Buffer.from(`Bearer ${deps.metricsToken}`) : null;
  const mayScrape = (authorization: string | undefined): boolean => {
    if (!expected) return true;
    const given = Buffer.from(authorization ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    // The line's fields (the redacted URL, the client's address) only when it is written: not at
    // LOG_LEVEL=warn. Fastify's request loggers are children of ours (pino).
    if (route !== '/metrics' && route !== '/healthz' && (req.log as Logger).isLevelEnabled('info')) {
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

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const health = engine.health();
    const extra = deps.readiness?.() ?? null;
    const cluster = { ...(health === 'local' ? {} : { [engine.name]: health }), ...extra?.fields };
    try {
      await store.ping();
      // Without its cluster engine (or a broker) a node still serves its own clients and catches up later.
      const degraded = health === 'down' || extra?.degraded === true;
      return { status: degraded ? 'degraded' : 'ready', storage: store.engine, ...cluster };
    } catch {
      return reply.code(503).send({ status: 'unavailable', storage: store.engine, ...cluster });
    }
  });

  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    if (!mayScrape(req.headers.authorization)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: 'This /metrics needs Authorization: Bearer <OPENEYE_METRICS_TOKEN>' });
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
