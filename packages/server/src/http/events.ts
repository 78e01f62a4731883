/** Producer ingest (recognitions, alerts), the polling fallback (statistics, events) and the hub's REST face. */
import {
  AlertMessage,
  BroadcastRequest,
  type ConnectionStatistics,
  CreateAlertRequest,
  CreateRecognitionRequest,
  EventsQuery,
  EventsResponse,
  isStoredEventType,
  Presence,
  Recognition,
  Statistics,
  type StoredEventType,
  WsStatusResponse,
} from '@openeye/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, DomainError } from '../domain/errors.js';
import { TokenBucket } from '../realtime/rate-limit.js';
import { parseEventId } from '../store/index.js';
import type { App, RouteContext } from './context.js';
import { WITH_SNAPSHOT } from './multipart.js';
import { operations } from './operation.js';

/** Requests per second (and burst) one user may make to the polling routes. */
const POLL_RATE = 20;
const POLL_BURST = 60;

export function eventRoutes(app: App, ctx: RouteContext): void {
  const { domain, store, statistics, engine } = ctx;
  const operation = operations(ctx.guard);
  // The polling fallback is read in a loop: a client gone wild gets 429 instead of the store's time.
  // Runs after the guard (req.user is set).
  const buckets = new Map<number, TokenBucket>();
  const pollLimit = async (req: FastifyRequest, reply: FastifyReply) => {
    const userId = req.user!.id;
    let bucket = buckets.get(userId);
    if (!bucket) {
      if (buckets.size >= 10_000) buckets.clear();
      bucket = new TokenBucket(POLL_RATE, POLL_BURST, Date.now());
      buckets.set(userId, bucket);
    }
    if (!bucket.take(Date.now())) {
      reply.header('retry-after', '1');
      throw new DomainError('rate_limited', 'Too many requests; poll less often');
    }
  };
  const write = ['admin', 'producer'] as const;
  const admin = ['admin'] as const;

  app.post(
    '/api/recognitions',
    operation({
      operationId: 'createRecognition',
      summary: 'Record a recognition; person_id null is an unknown face, which also raises a warning alert',
      tag: 'ingest',
      auth: write,
      body: CreateRecognitionRequest,
      consumes: WITH_SNAPSHOT,
      response: { 201: Recognition },
      errors: ['not_found'],
    }),
    async (req, reply) =>
      reply
        .code(201)
        .send(await domain.createRecognition(req.body, { access: req.user!.access, image: req.snapshot ?? undefined })),
  );

  app.post(
    '/api/alerts',
    operation({
      operationId: 'createAlert',
      summary: 'Raise an alert: stored, then sent to every subscribed connection',
      tag: 'ingest',
      auth: write,
      body: CreateAlertRequest,
      consumes: WITH_SNAPSHOT,
      response: { 201: AlertMessage },
      errors: ['not_found'],
    }),
    async (req, reply) =>
      reply
        .code(201)
        .send(await domain.createAlert(req.body, { access: req.user!.access, image: req.snapshot ?? undefined })),
  );

  app.get(
    '/api/statistics',
    operation({
      operationId: 'getStatistics',
      summary: 'The statistics snapshot (the polling fallback)',
      tag: 'realtime',
      auth: 'user',
      rateLimit: pollLimit,
      response: { 200: Statistics },
    }),
    () => statistics.snapshot(),
  );

  app.get(
    '/api/events',
    operation({
      operationId: 'listEvents',
      summary: 'Event history: after an id (oldest first), or the newest; 410 when `after` is older than the history',
      tag: 'realtime',
      auth: 'user',
      rateLimit: pollLimit,
      querystring: EventsQuery,
      response: { 200: EventsResponse },
      errors: ['gone'],
    }),
    async (req) => {
      const limit = req.query.limit ?? 100;
      let kinds: StoredEventType[] | undefined;
      if (req.query.types !== undefined) {
        kinds = [];
        for (const t of req.query.types
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)) {
          if (!isStoredEventType(t)) throw badRequest(`Unknown event type ${JSON.stringify(t.slice(0, 32))}`, 'types');
          if (!kinds.includes(t)) kinds.push(t);
        }
        if (kinds.length === 0) kinds = undefined;
      }
      // A viewer limited to some cameras reads only events about those (or about no camera).
      const cameras = req.user!.access.cameras;
      const newest = await store.events.newestId();
      const lastEventId = newest === null ? null : String(newest);
      if (req.query.after === undefined) {
        const events = await store.events.newest(limit, kinds, cameras);
        return { events, last_event_id: lastEventId, has_more: false };
      }
      const after = parseEventId(req.query.after);
      if (after === null) throw badRequest('after must be an event id', 'after');
      const floor = await store.events.historyFloor();
      if (after < floor || after > (newest ?? 0)) {
        throw new DomainError('gone');
      }
      const page = await store.events.after(after, limit + 1, kinds, cameras);
      const has_more = page.length > limit;
      return { events: has_more ? page.slice(0, limit) : page, last_event_id: lastEventId, has_more };
    },
  );

  app.get(
    '/api/ws/status',
    operation({
      operationId: 'getConnectionStatus',
      summary: 'Connection counts across the cluster: every user’s for admins, only the caller’s for others',
      tag: 'realtime',
      auth: 'user',
      rateLimit: pollLimit,
      response: { 200: WsStatusResponse },
    }),
    async (req) => {
      const all = await engine.statistics();
      const me = String(req.user!.id);
      const mine = all.connections_by_user[me] ?? 0;
      const statistics: ConnectionStatistics =
        req.user!.role === 'admin' ? all : { ...all, connections_by_user: mine ? { [me]: mine } : {} };
      return { status: 'operational' as const, statistics, user_connections: mine };
    },
  );

  app.get(
    '/api/ws/presence',
    operation({
      operationId: 'getPresence',
      summary: 'Who watches which camera',
      tag: 'realtime',
      auth: admin,
      response: { 200: Presence },
    }),
    () => engine.presence(),
  );

  app.post(
    '/api/admin/broadcast',
    operation({
      operationId: 'broadcastAlert',
      summary: 'An alert to every connection',
      tag: 'realtime',
      auth: admin,
      body: BroadcastRequest,
      response: { 201: AlertMessage },
    }),
    async (req, reply) =>
      reply.code(201).send(await domain.broadcast(req.body.message, req.body.alert_type ?? 'info', req.user!.username)),
  );
}
