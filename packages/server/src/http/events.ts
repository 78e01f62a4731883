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
import { type App, errors, type RouteContext } from './context.js';

/** Requests per second (and burst) one user may make to the polling routes. */
const POLL_RATE = 20;
const POLL_BURST = 60;

export function eventRoutes(app: App, ctx: RouteContext): void {
  const { domain, guard, store, statistics, engine } = ctx;
  const authenticated = guard();
  // The polling fallback is read in a loop: a client gone wild gets 429 instead of the store's time.
  const buckets = new Map<number, TokenBucket>();
  const read = async (req: FastifyRequest, reply: FastifyReply) => {
    await authenticated(req, reply);
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
  const write = guard('admin', 'producer');
  const admin = guard('admin');
  const security = [{ bearer: [] }];

  app.post(
    '/api/recognitions',
    {
      preHandler: write,
      schema: {
        tags: ['ingest'],
        summary: 'Record a recognition; person_id null is an unknown face, which also raises a warning alert',
        security,
        body: CreateRecognitionRequest,
        response: { 201: Recognition, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await domain.createRecognition(req.body)),
  );

  app.post(
    '/api/alerts',
    {
      preHandler: write,
      schema: { tags: ['ingest'], security, body: CreateAlertRequest, response: { 201: AlertMessage, ...errors } },
    },
    async (req, reply) => reply.code(201).send(await domain.createAlert(req.body)),
  );

  app.get(
    '/api/statistics',
    {
      preHandler: read,
      schema: {
        tags: ['realtime'],
        summary: 'The statistics snapshot (the polling fallback)',
        security,
        response: { 200: Statistics, ...errors },
      },
    },
    () => statistics.snapshot(),
  );

  app.get(
    '/api/events',
    {
      preHandler: read,
      schema: {
        tags: ['realtime'],
        summary: 'Event history: after an id (oldest first), or the newest; 410 when `after` is older than the history',
        security,
        querystring: EventsQuery,
        response: { 200: EventsResponse, 410: { $ref: 'ErrorResponse#' }, ...errors },
      },
    },
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
      const newest = await store.events.newestId();
      const lastEventId = newest === null ? null : String(newest);
      if (req.query.after === undefined) {
        return { events: await store.events.newest(limit, kinds), last_event_id: lastEventId, has_more: false };
      }
      const after = parseEventId(req.query.after);
      if (after === null) throw badRequest('after must be an event id', 'after');
      const floor = await store.events.historyFloor();
      if (after < floor || after > (newest ?? 0)) {
        throw new DomainError('gone');
      }
      const page = await store.events.after(after, limit + 1, kinds);
      const has_more = page.length > limit;
      return { events: has_more ? page.slice(0, limit) : page, last_event_id: lastEventId, has_more };
    },
  );

  app.get(
    '/api/ws/status',
    { preHandler: read, schema: { tags: ['realtime'], security, response: { 200: WsStatusResponse, ...errors } } },
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
    {
      preHandler: admin,
      schema: {
        tags: ['realtime'],
        summary: 'Who watches which camera',
        security,
        response: { 200: Presence, ...errors },
      },
    },
    () => engine.presence(),
  );

  app.post(
    '/api/admin/broadcast',
    {
      preHandler: admin,
      schema: {
        tags: ['realtime'],
        summary: 'An alert to every connection',
        security,
        body: BroadcastRequest,
        response: { 201: AlertMessage, ...errors },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await domain.broadcast(req.body.message, req.body.alert_type ?? 'info', req.user!.username)),
  );
}
