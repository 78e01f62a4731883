/** Producer ingest (recognitions, alerts), the polling fallback (statistics, events) and the hub's REST face. */
import {
  ALERT_TYPES,
  AlertMessage,
  BroadcastRequest,
  type ConnectionStatistics,
  CreateAlertRequest,
  CreateRecognitionRequest,
  EventMessage,
  EventsQuery,
  EventsResponse,
  isStoredEventType,
  Presence,
  Recognition,
  Statistics,
  type StoredEventType,
  WsStatusResponse,
} from '@openeye/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, DomainError, notFound } from '../domain/errors.js';
import { TokenBucket } from '../realtime/rate-limit.js';
import { type EventFilter, parseEventId } from '../store/index.js';
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
      summary:
        'Event history, oldest first: after an id (polling), or the newest, or the newest before an id (paging back); filtered by time, camera, type, severity, person',
      description:
        'Filters narrow each other. `event_type` keeps camera events of those types, `alert_type` (or `severity`) alerts of those severities; given one, other kinds are left out; given both, either matches. List values may be repeated or comma-separated. 410 when `after` is older than the history.',
      tag: 'realtime',
      auth: 'user',
      rateLimit: pollLimit,
      querystring: EventsQuery,
      response: { 200: EventsResponse },
      errors: ['gone'],
    }),
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 100;
      // A viewer limited to some cameras reads only events about those (or about no camera).
      const filter = historyFilter(q, req.user!.access.cameras);
      const newest = await store.events.newestId();
      const lastEventId = newest === null ? null : String(newest);
      if (q.after !== undefined && q.before !== undefined) {
        throw badRequest('Give after (newer events) or before (older events), not both', 'before');
      }
      if (q.after === undefined) {
        let before: number | undefined;
        if (q.before !== undefined) {
          const id = parseEventId(q.before);
          if (id === null) throw badRequest('before must be an event id (the id of the oldest event shown)', 'before');
          before = id;
        }
        const page = await store.events.newest(limit + 1, filter, before);
        const has_more = page.length > limit;
        return { events: has_more ? page.slice(1) : page, last_event_id: lastEventId, has_more };
      }
      const after = parseEventId(q.after);
      if (after === null) throw badRequest('after must be an event id', 'after');
      const floor = await store.events.historyFloor();
      if (after < floor || after > (newest ?? 0)) {
        throw new DomainError('gone');
      }
      const page = await store.events.after(after, limit + 1, filter);
      const has_more = page.length > limit;
      return { events: has_more ? page.slice(0, limit) : page, last_event_id: lastEventId, has_more };
    },
  );

  app.get(
    '/api/events/:id',
    operation({
      operationId: 'getEvent',
      summary: 'One event of the history by id, exactly as the socket sent it (404 when pruned or not yours to see)',
      tag: 'realtime',
      auth: 'user',
      rateLimit: pollLimit,
      params: EventIdParams,
      response: { 200: EventMessage },
      errors: ['not_found'],
    }),
    async (req) => {
      const id = parseEventId(req.params.id);
      if (id === null) throw badRequest('id must be an event id', 'id');
      const event = await store.events.byId(id, { cameras: req.user!.access.cameras });
      if (!event) throw notFound('Event');
      return event;
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

const EventIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** The values of a list parameter: repeated and comma-separated alike, trimmed, without blanks and repeats. */
function listOf(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const out = [
    ...new Set(
      values
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean),
    ),
  ];
  return out.length > 0 ? out : undefined;
}

/** An ISO 8601 time with a zone (Z or an offset), as the instant toISOString writes; null when it is not one. */
function isoTime(text: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return null;
  // Date.parse rolls 2024-02-31 over into March: the day must be the one written.
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const check = new Date(Date.UTC(y, m - 1, d));
  if (check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return null;
  return new Date(ms).toISOString();
}

const EVENT_TYPE = /^[a-z0-9_.:-]{1,64}$/;

/** The store filter of a `GET /api/events` query; throws `validation_error` naming the bad field. */
function historyFilter(q: EventsQuery, cameras: ReadonlySet<number> | null): EventFilter {
  const filter: EventFilter = { cameras };
  if (q.types !== undefined) {
    const kinds: StoredEventType[] = [];
    for (const t of listOf([q.types]) ?? []) {
      if (!isStoredEventType(t)) throw badRequest(`Unknown event type ${JSON.stringify(t.slice(0, 32))}`, 'types');
      if (!kinds.includes(t)) kinds.push(t);
    }
    if (kinds.length > 0) filter.kinds = kinds;
  }
  for (const field of ['since', 'until'] as const) {
    const text = q[field];
    if (text === undefined) continue;
    const iso = isoTime(text);
    if (iso === null) {
      throw badRequest(`${field} must be an ISO 8601 time with a zone, e.g. 2024-05-01T08:00:00Z`, field);
    }
    filter[field] = iso;
  }
  if (filter.since !== undefined && filter.until !== undefined && filter.until < filter.since) {
    throw badRequest('until must not be before since', 'until');
  }
  const cameraIds = listOf(q.camera_id);
  if (cameraIds) {
    const ids = cameraIds.map((v) => (/^[0-9]{1,10}$/.test(v) ? Number(v) : 0));
    if (ids.some((id) => id < 1 || id > 2_147_483_647)) {
      throw badRequest('camera_id must be camera ids (whole numbers from 1), repeated or comma-separated', 'camera_id');
    }
    filter.cameraIds = ids;
  }
  const eventTypes = listOf(q.event_type);
  if (eventTypes) {
    const bad = eventTypes.find((t) => !EVENT_TYPE.test(t));
    if (bad !== undefined) {
      throw badRequest(
        `event_type ${JSON.stringify(bad.slice(0, 32))} is not a camera event type (lower-case letters, digits, _ . : -)`,
        'event_type',
      );
    }
    filter.eventTypes = eventTypes;
  }
  for (const field of ['alert_type', 'severity'] as const) {
    const values = listOf(q[field]);
    if (!values) continue;
    const bad = values.find((v) => !(ALERT_TYPES as readonly string[]).includes(v));
    if (bad !== undefined) {
      throw badRequest(`${field} must be info, warning or critical (not ${JSON.stringify(bad.slice(0, 32))})`, field);
    }
    filter.alertTypes = [...new Set([...(filter.alertTypes ?? []), ...values])];
  }
  if (q.person_id !== undefined) filter.personId = q.person_id;
  return filter;
}
