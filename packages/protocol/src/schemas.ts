/**
 * One source of truth for every message of protocol.md sections 2-3 and every REST payload.
 * TypeScript types are derived from these schemas (`Static<typeof X>`), never written twice.
 */
import { type Static, type TLiteral, type TSchema, type TUnion, Type } from '@sinclair/typebox';
import {
  ALERT_ACTIONS,
  ALERT_STATES,
  ALERT_TYPES,
  ERROR_CODES,
  EVENT_TYPES,
  MAX_ALERT_NOTE_BYTES,
  MAX_WATCH_FPS,
  PROTOCOL_VERSION,
  ROLES,
} from './constants.js';
import { REST_ERROR_CODES } from './errors.js';

type LiteralTuple<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };
const literalUnion = <const T extends readonly string[]>(values: T) =>
  Type.Union(values.map((v) => Type.Literal(v))) as unknown as TUnion<LiteralTuple<T>>;

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC, milliseconds, Z' });
export const EventId = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'Opaque, ordered event id; the resume cursor',
});
export const Id = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });
export const EventTypeName = literalUnion(EVENT_TYPES);
export const AlertTypeName = literalUnion(ALERT_TYPES);
export const AlertStateName = literalUnion(ALERT_STATES);
export const AlertActionName = literalUnion(ALERT_ACTIONS);
export const RoleName = literalUnion(ROLES);
export const ErrorCodeName = literalUnion(ERROR_CODES);
/** Free-form producer data: any JSON object. */
export const Data = Type.Record(Type.String(), Type.Unknown());

// ---------------------------------------------------------------- server to client

export const Subscriptions = Type.Object({
  event_types: Type.Array(EventTypeName),
  camera_ids: Nullable(Type.Array(Type.Integer())),
});

export const ConnectionStatusMessage = Type.Object({
  type: Type.Literal('connection_status'),
  timestamp: Timestamp,
  status: Type.Literal('connected'),
  connection_id: Type.String(),
  user: Type.Object({ id: Type.Integer(), username: Type.String() }),
  message: Type.String(),
  protocol_version: Type.Literal(PROTOCOL_VERSION),
  subscriptions: Subscriptions,
  heartbeat_interval_ms: Type.Integer(),
  token_expires_at: Timestamp,
  resumed: Nullable(Type.Boolean()),
  last_event_id: Nullable(EventId),
});

export const Statistics = Type.Object({
  face_recognition: Type.Object({
    total_people: Type.Integer(),
    recognitions_today: Type.Integer(),
    last_recognition: Nullable(Timestamp),
    unknown_faces_today: Type.Integer(),
  }),
  cameras: Type.Object({
    total_cameras: Type.Integer(),
    active_cameras: Type.Integer(),
    recording_cameras: Type.Integer(),
  }),
  timestamp: Timestamp,
  /**
   * (version 2) Alerts by state: open and acknowledged now, resolved since the day began. Always
   * sent by this server; optional in the type because a version 1 server does not.
   */
  alerts: Type.Optional(
    Type.Object({
      open: Type.Integer(),
      acknowledged: Type.Integer(),
      resolved_today: Type.Integer(),
    }),
  ),
});

export const StatisticsUpdateMessage = Type.Object({
  type: Type.Literal('statistics_update'),
  timestamp: Timestamp,
  data: Statistics,
});

/**
 * An image stored with an event (a face crop or the scene). `url` is served to users who may see
 * the event's camera: with their bearer token, or in a browser with the media cookie (protocol.md).
 */
export const Snapshot = Type.Object({
  url: Type.String(),
  content_type: Type.String(),
  bytes: Type.Integer(),
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
});

export const CameraEventMessage = Type.Object({
  type: Type.Literal('camera_event'),
  id: EventId,
  timestamp: Timestamp,
  camera_id: Type.Integer(),
  event_type: Type.String(),
  data: Data,
  snapshot: Type.Optional(Snapshot),
});

export const AlertData = Type.Object(
  { message: Type.String(), camera_id: Type.Optional(Type.Integer()) },
  { additionalProperties: true },
);

export const AlertMessage = Type.Object({
  type: Type.Literal('alert'),
  id: EventId,
  timestamp: Timestamp,
  alert_type: AlertTypeName,
  data: AlertData,
  snapshot: Type.Optional(Snapshot),
});

/** Who did something: a user, or null for the server itself (a camera back online resolves its alert). */
export const Actor = Nullable(Type.Object({ id: Type.Integer(), username: Type.String() }));

/**
 * (version 2) One transition of an alert's lifecycle, with its own event id: `alert_id` is the
 * alert's event id, `version` the alert's version after it. `camera_id` is the alert's camera (when
 * it has one), so camera filters and the cameras a user may see apply to it as to the alert.
 */
export const AlertUpdateMessage = Type.Object({
  type: Type.Literal('alert_update'),
  id: EventId,
  timestamp: Timestamp,
  alert_id: EventId,
  action: AlertActionName,
  state: AlertStateName,
  assigned_to: Nullable(Type.Integer()),
  by: Actor,
  at: Timestamp,
  note: Nullable(Type.String()),
  version: Type.Integer({ minimum: 1 }),
  camera_id: Type.Optional(Type.Integer()),
});

/** The events with ids: what the history keeps and what resume replays. */
export const EventMessage = Type.Union([CameraEventMessage, AlertMessage, AlertUpdateMessage]);

export const PongMessage = Type.Object({
  type: Type.Literal('pong'),
  timestamp: Timestamp,
  ping_timestamp: Type.Optional(Type.Unknown()),
});

export const SubscriptionConfirmedMessage = Type.Object({
  type: Type.Literal('subscription_confirmed'),
  timestamp: Timestamp,
  event_types: Type.Array(EventTypeName),
  subscriptions: Subscriptions,
});

export const UnsubscriptionConfirmedMessage = Type.Object({
  type: Type.Literal('unsubscription_confirmed'),
  timestamp: Timestamp,
  event_types: Type.Array(EventTypeName),
  subscriptions: Subscriptions,
});

export const PresenceWatcher = Type.Object({
  user_id: Type.Integer(),
  username: Type.String(),
  connections: Type.Integer(),
});

export const Presence = Type.Object({
  cameras: Type.Record(Type.String(), Type.Array(PresenceWatcher)),
});

export const PresenceUpdateMessage = Type.Object({
  type: Type.Literal('presence_update'),
  timestamp: Timestamp,
  data: Presence,
});

export const AuthOkMessage = Type.Object({
  type: Type.Literal('auth_ok'),
  timestamp: Timestamp,
  token_expires_at: Timestamp,
});

export const ErrorMessage = Type.Object({
  type: Type.Literal('error'),
  timestamp: Timestamp,
  code: ErrorCodeName,
  message: Type.String(),
  request_type: Type.Optional(Type.String()),
});

export const WatchedCamera = Type.Object({
  camera_id: Type.Integer(),
  /** Frames per second this connection gets at most (asked, capped by the server). */
  max_fps: Type.Number(),
});

/** The answer to `watch` / `unwatch`: every camera this connection watches now. */
export const WatchingMessage = Type.Object({
  type: Type.Literal('watching'),
  timestamp: Timestamp,
  cameras: Type.Array(WatchedCamera),
});

/** To a producer connection that publishes a camera: how many connections watch it (cluster-wide). */
export const ViewersMessage = Type.Object({
  type: Type.Literal('viewers'),
  timestamp: Timestamp,
  camera_id: Type.Integer(),
  viewers: Type.Integer(),
});

export const ServerMessage = Type.Union([
  ConnectionStatusMessage,
  StatisticsUpdateMessage,
  CameraEventMessage,
  AlertMessage,
  AlertUpdateMessage,
  PongMessage,
  SubscriptionConfirmedMessage,
  UnsubscriptionConfirmedMessage,
  PresenceUpdateMessage,
  AuthOkMessage,
  ErrorMessage,
  WatchingMessage,
  ViewersMessage,
]);

// ---------------------------------------------------------------- client to server

const MAX_LIST = 64;

export const PingCommand = Type.Object({
  type: Type.Literal('ping'),
  timestamp: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Number()])),
});

export const SubscribeCommand = Type.Object({
  type: Type.Literal('subscribe'),
  event_types: Type.Array(EventTypeName, { maxItems: MAX_LIST }),
  camera_ids: Type.Optional(Nullable(Type.Array(Id, { maxItems: 1024 }))),
});

export const UnsubscribeCommand = Type.Object({
  type: Type.Literal('unsubscribe'),
  event_types: Type.Array(EventTypeName, { maxItems: MAX_LIST }),
});

export const AuthCommand = Type.Object({
  type: Type.Literal('auth'),
  token: Type.String({ minLength: 1, maxLength: 8192 }),
});

export const WatchCommand = Type.Object({
  type: Type.Literal('watch'),
  camera_id: Id,
  max_fps: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: MAX_WATCH_FPS })),
});

export const UnwatchCommand = Type.Object({ type: Type.Literal('unwatch'), camera_id: Id });

/** A producer announces the camera whose frames it sends (binary messages) and gets `viewers`. */
export const PublishCommand = Type.Object({ type: Type.Literal('publish'), camera_id: Id });

export const ClientMessage = Type.Union([
  PingCommand,
  SubscribeCommand,
  UnsubscribeCommand,
  AuthCommand,
  WatchCommand,
  UnwatchCommand,
  PublishCommand,
]);

// ---------------------------------------------------------------- REST

export const ErrorResponse = Type.Object({
  error: Type.String({
    description: 'stable machine-readable code: REST_ERRORS of @openeye/protocol, protocol.md section 7',
    // An open list: a newer server may send a code an older client does not know.
    'x-extensible-enum': REST_ERROR_CODES,
  }),
  message: Type.String(),
  field: Type.Optional(Type.String({ description: 'the offending field, for validation errors' })),
});

export const LoginRequest = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
});

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer({ description: 'seconds' }),
});

export const Username = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' });
export const Password = Type.String({ minLength: 8, maxLength: 256 });

/** The cameras a user may see: a list of camera ids, or null for every camera (admins see every camera). */
export const CameraIds = Nullable(Type.Array(Id, { maxItems: 4096, uniqueItems: true }));

export const User = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  role: RoleName,
  disabled: Type.Boolean(),
  camera_ids: CameraIds,
  created_at: Timestamp,
});

export const CreateUserRequest = Type.Object(
  { username: Username, password: Password, role: RoleName, camera_ids: Type.Optional(CameraIds) },
  { additionalProperties: false },
);

export const UpdateUserRequest = Type.Object(
  {
    password: Type.Optional(Password),
    role: Type.Optional(RoleName),
    disabled: Type.Optional(Type.Boolean()),
    camera_ids: Type.Optional(CameraIds),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ApiKey = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  /** The user the key acts for (always with the producer role). */
  user_id: Type.Integer(),
  /** The key's public part, `oek_<prefix>_…`, to tell keys apart. */
  prefix: Type.String(),
  /** The cameras the key may post about (within its user's); null: its user's cameras. */
  camera_ids: CameraIds,
  created_at: Timestamp,
  last_used_at: Nullable(Timestamp),
  revoked_at: Nullable(Timestamp),
});

export const CreateApiKeyRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    user_id: Id,
    camera_ids: Type.Optional(CameraIds),
  },
  { additionalProperties: false },
);

/** The answer to creating a key: the only time the whole key is shown. */
export const CreatedApiKey = Type.Composite([ApiKey, Type.Object({ key: Type.String() })]);

export const Camera = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  location: Nullable(Type.String()),
  active: Type.Boolean(),
  recording: Type.Boolean(),
  last_seen_at: Nullable(Timestamp),
  created_at: Timestamp,
  /**
   * (version 2) Seconds without an event, status or frame before the camera is offline (a
   * `camera_offline` alert); null: the server's default (OPENEYE_CAMERA_OFFLINE_GRACE_SECONDS).
   */
  offline_grace_seconds: Type.Optional(Nullable(Type.Integer())),
  /** Where the server fetches the camera's newest JPEG while someone watches; the password shown as `***`. */
  snapshot_url: Type.Optional(Nullable(Type.String())),
  /** A `multipart/x-mixed-replace` MJPEG stream the server reads while someone watches; the password shown as `***`. */
  mjpeg_url: Type.Optional(Nullable(Type.String())),
  /** Where the camera came from when a bridge created it (`frigate`); absent for cameras created through the API. */
  source: Type.Optional(Type.String({ description: 'the system that created the camera, e.g. frigate' })),
});

const OfflineGrace = Nullable(Type.Integer({ minimum: 1, maximum: 7 * 86400 }));
const CameraName = Type.String({ minLength: 1, maxLength: 128 });
const Location = Nullable(Type.String({ maxLength: 256 }));
/** A camera's live source: http:// or https://, credentials as user:password@ (admins only). */
const SourceUrl = Nullable(Type.String({ minLength: 1, maxLength: 2048, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' }));

export const CreateCameraRequest = Type.Object(
  {
    name: CameraName,
    location: Type.Optional(Location),
    active: Type.Optional(Type.Boolean()),
    recording: Type.Optional(Type.Boolean()),
    offline_grace_seconds: Type.Optional(OfflineGrace),
    snapshot_url: Type.Optional(SourceUrl),
    mjpeg_url: Type.Optional(SourceUrl),
  },
  { additionalProperties: false },
);

export const UpdateCameraRequest = Type.Object(
  {
    name: Type.Optional(CameraName),
    location: Type.Optional(Location),
    active: Type.Optional(Type.Boolean()),
    recording: Type.Optional(Type.Boolean()),
    offline_grace_seconds: Type.Optional(OfflineGrace),
    snapshot_url: Type.Optional(SourceUrl),
    mjpeg_url: Type.Optional(SourceUrl),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const CreateCameraEventRequest = Type.Object(
  {
    event_type: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9_.:-]+$' }),
    data: Type.Optional(Data),
  },
  { additionalProperties: false },
);

export const Person = Type.Object({ id: Type.Integer(), name: Type.String(), created_at: Timestamp });

export const CreatePersonRequest = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
export const UpdatePersonRequest = CreatePersonRequest;

export const CreateRecognitionRequest = Type.Object(
  {
    camera_id: Id,
    person_id: Nullable(Id),
    confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    occurred_at: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);

export const Recognition = Type.Object({
  id: Type.Integer(),
  camera_id: Type.Integer(),
  person_id: Nullable(Type.Integer()),
  confidence: Nullable(Type.Number()),
  occurred_at: Timestamp,
  /** The unknown-face alert created with it, if any. */
  alert: Type.Optional(AlertMessage),
});

export const CreateAlertRequest = Type.Object(
  {
    alert_type: AlertTypeName,
    message: Type.String({ minLength: 1, maxLength: 1024 }),
    camera_id: Type.Optional(Id),
    data: Type.Optional(Data),
  },
  { additionalProperties: false },
);

export const BroadcastRequest = Type.Object(
  {
    message: Type.String({ minLength: 1, maxLength: 1024 }),
    alert_type: Type.Optional(AlertTypeName),
  },
  { additionalProperties: false },
);

/** A query value that may be repeated (`?a=1&a=2`) or a comma list (`?a=1,2`), or both. */
const QueryList = (description: string) => Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 64, description });
const QueryTime = (description: string) => Type.String({ maxLength: 64, description });

export const EventsQuery = Type.Object({
  after: Type.Optional(Type.String({ maxLength: 64, description: 'Events after this id, oldest first (polling)' })),
  before: Type.Optional(
    Type.String({
      maxLength: 64,
      description: 'The newest `limit` events with an id below this (history paging); not with `after`',
    }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  types: Type.Optional(
    Type.String({ maxLength: 256, description: 'comma-separated: camera_event, alert, alert_update' }),
  ),
  since: Type.Optional(QueryTime('ISO 8601 time: events at or after it')),
  until: Type.Optional(QueryTime('ISO 8601 time: events before it')),
  camera_id: Type.Optional(QueryList('Camera ids: events about these cameras')),
  event_type: Type.Optional(QueryList('Camera events of these `event_type`s (e.g. motion, face_recognized)')),
  alert_type: Type.Optional(QueryList('Alerts of these severities: info, warning, critical')),
  /** The same as `alert_type` (the dashboard calls it severity). */
  severity: Type.Optional(QueryList('The same as alert_type')),
  person_id: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Events that name this person' }),
  ),
});

export const EventsResponse = Type.Object({
  events: Type.Array(EventMessage),
  last_event_id: Nullable(EventId),
  has_more: Type.Boolean({
    description:
      'With `after`: newer events are left for the next page. Otherwise: older events that match are left (page on with `before`).',
  }),
});

export const ConnectionStatistics = Type.Object({
  total_connections: Type.Integer(),
  total_users: Type.Integer(),
  connections_by_user: Type.Record(Type.String(), Type.Integer()),
});

export const WsStatusResponse = Type.Object({
  status: Type.Literal('operational'),
  statistics: ConnectionStatistics,
  user_connections: Type.Integer(),
});

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });

// ---------------------------------------------------------------- alerts (version 2)

/** An alert with its lifecycle state (`GET /api/alerts`, `GET /api/alerts/:id`, 409 bodies). */
export const Alert = Type.Object({
  /** The alert's event id. */
  id: EventId,
  alert_type: AlertTypeName,
  message: Type.String(),
  camera_id: Nullable(Type.Integer()),
  /** `camera_offline` for the server's own offline alerts; null for producers' and broadcasts. */
  source: Nullable(Type.String()),
  data: Data,
  state: AlertStateName,
  assigned_to: Nullable(Type.Integer()),
  acknowledged_by: Actor,
  acknowledged_at: Nullable(Timestamp),
  resolved_by: Actor,
  resolved_at: Nullable(Timestamp),
  note: Nullable(Type.String()),
  version: Type.Integer({ minimum: 1 }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const AlertTransition = Type.Object({
  /** The `alert_update` event id of this transition. */
  event_id: Nullable(EventId),
  action: AlertActionName,
  state: AlertStateName,
  assigned_to: Nullable(Type.Integer()),
  by: Actor,
  at: Timestamp,
  note: Nullable(Type.String()),
  version: Type.Integer(),
});

export const AlertWithHistory = Type.Composite([Alert, Type.Object({ history: Type.Array(AlertTransition) })]);

export const AlertsQuery = Type.Object({
  state: Type.Optional(AlertStateName),
  camera_id: Type.Optional(Id),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  before: Type.Optional(Type.String({ maxLength: 64, description: 'an alert id: only older alerts (paging)' })),
});

export const AlertsPage = Type.Object({
  alerts: Type.Array(Alert),
  /** Pass as `before` for the next (older) page; null when this was the last. */
  next_before: Nullable(EventId),
});

/** An alert's id (its event id); anything that is not one is a 404. */
export const AlertIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const Note = Type.String({ maxLength: MAX_ALERT_NOTE_BYTES, description: `at most ${MAX_ALERT_NOTE_BYTES} bytes` });
/** The version the caller saw (optimistic concurrency). */
const SeenVersion = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });

export const AlertTransitionRequest = Type.Object(
  { version: SeenVersion, note: Type.Optional(Note) },
  { additionalProperties: false },
);

export const AssignAlertRequest = Type.Object(
  { version: SeenVersion, user_id: Nullable(Id), note: Type.Optional(Note) },
  { additionalProperties: false },
);

/** The 409 answer: the error, and the alert as it is now (who was first). */
export const AlertConflict = Type.Composite([ErrorResponse, Type.Object({ alert: Alert })]);

/** A push "Acknowledge" action from the service worker: the notification's action token. */
export const PushActionRequest = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false },
);

// ---------------------------------------------------------------- escalation and notifications (version 2)

export const EscalationRule = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  /** Alert types it applies to; null: every type. */
  alert_types: Nullable(Type.Array(AlertTypeName)),
  /** Cameras it applies to; null: every alert (with a camera or not). */
  camera_ids: Nullable(Type.Array(Type.Integer())),
  /** Notify when an alert stays open (not acknowledged) this long. */
  after_seconds: Type.Integer(),
  webhook_ids: Type.Array(Type.Integer()),
  /** Web Push to every subscribed device of the users who may see the alert. */
  push: Type.Boolean(),
  enabled: Type.Boolean(),
  created_at: Timestamp,
});

export const CreateEscalationRuleRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    alert_types: Type.Optional(Nullable(Type.Array(AlertTypeName, { minItems: 1, maxItems: 3, uniqueItems: true }))),
    camera_ids: Type.Optional(Nullable(Type.Array(Id, { minItems: 1, maxItems: 4096, uniqueItems: true }))),
    after_seconds: Type.Integer({ minimum: 0, maximum: 7 * 86400 }),
    webhook_ids: Type.Optional(Type.Array(Id, { maxItems: 32, uniqueItems: true })),
    push: Type.Optional(Type.Boolean()),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const UpdateEscalationRuleRequest = Type.Partial(CreateEscalationRuleRequest, {
  additionalProperties: false,
  minProperties: 1,
});

export const Webhook = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  url: Type.String(),
  enabled: Type.Boolean(),
  /** The secret's first characters, to tell secrets apart; the whole secret is shown once. */
  secret_prefix: Type.String(),
  created_at: Timestamp,
});

export const CreateWebhookRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const UpdateWebhookRequest = Type.Partial(CreateWebhookRequest, {
  additionalProperties: false,
  minProperties: 1,
});

/** The answer to creating a webhook: the only time its signing secret is shown. */
export const CreatedWebhook = Type.Composite([Webhook, Type.Object({ secret: Type.String() })]);

export const DeliveryStatusName = literalUnion(['pending', 'delivered', 'dead'] as const);

/** One message of the notification outbox, as the delivery log shows it (never the secret). */
export const Delivery = Type.Object({
  id: Type.Integer(),
  channel: literalUnion(['webhook', 'push'] as const),
  target_id: Type.Integer(),
  alert_id: Nullable(EventId),
  status: DeliveryStatusName,
  attempts: Type.Integer(),
  last_status_code: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  next_attempt_at: Nullable(Timestamp),
  created_at: Timestamp,
  delivered_at: Nullable(Timestamp),
});

export const DeliveriesQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});

export const PushSubscriptionKeys = Type.Object({
  p256dh: Type.String({ minLength: 1, maxLength: 256 }),
  auth: Type.String({ minLength: 1, maxLength: 64 }),
});

export const CreatePushSubscriptionRequest = Type.Object(
  {
    endpoint: Type.String({ minLength: 1, maxLength: 2048 }),
    keys: PushSubscriptionKeys,
    expirationTime: Type.Optional(Nullable(Type.Number())),
    /** A name for the device, shown in its list. */
    label: Type.Optional(Type.String({ maxLength: 128 })),
    /** Also a notification for every new critical alert (not only escalations). Default false. */
    critical: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const PushSubscription = Type.Object({
  id: Type.Integer(),
  endpoint: Type.String(),
  label: Nullable(Type.String()),
  critical: Type.Boolean(),
  created_at: Timestamp,
});

export const VapidKeyResponse = Type.Object({ public_key: Type.String() });

// ---------------------------------------------------------------- derived types

export type Subscriptions = Static<typeof Subscriptions>;
export type ConnectionStatusMessage = Static<typeof ConnectionStatusMessage>;
export type Statistics = Static<typeof Statistics>;
export type StatisticsUpdateMessage = Static<typeof StatisticsUpdateMessage>;
export type CameraEventMessage = Static<typeof CameraEventMessage>;
export type Snapshot = Static<typeof Snapshot>;
export type AlertMessage = Static<typeof AlertMessage>;
export type Actor = Static<typeof Actor>;
export type AlertUpdateMessage = Static<typeof AlertUpdateMessage>;
export type EventMessage = Static<typeof EventMessage>;
export type PongMessage = Static<typeof PongMessage>;
export type SubscriptionConfirmedMessage = Static<typeof SubscriptionConfirmedMessage>;
export type UnsubscriptionConfirmedMessage = Static<typeof UnsubscriptionConfirmedMessage>;
export type PresenceWatcher = Static<typeof PresenceWatcher>;
export type Presence = Static<typeof Presence>;
export type PresenceUpdateMessage = Static<typeof PresenceUpdateMessage>;
export type AuthOkMessage = Static<typeof AuthOkMessage>;
export type ErrorMessage = Static<typeof ErrorMessage>;
export type ServerMessage = Static<typeof ServerMessage>;
export type PingCommand = Static<typeof PingCommand>;
export type SubscribeCommand = Static<typeof SubscribeCommand>;
export type UnsubscribeCommand = Static<typeof UnsubscribeCommand>;
export type AuthCommand = Static<typeof AuthCommand>;
export type ClientMessage = Static<typeof ClientMessage>;
export type WatchedCamera = Static<typeof WatchedCamera>;
export type WatchingMessage = Static<typeof WatchingMessage>;
export type ViewersMessage = Static<typeof ViewersMessage>;
export type WatchCommand = Static<typeof WatchCommand>;
export type UnwatchCommand = Static<typeof UnwatchCommand>;
export type PublishCommand = Static<typeof PublishCommand>;
export type ErrorResponse = Static<typeof ErrorResponse>;
export type LoginRequest = Static<typeof LoginRequest>;
export type TokenResponse = Static<typeof TokenResponse>;
export type User = Static<typeof User>;
export type CreateUserRequest = Static<typeof CreateUserRequest>;
export type UpdateUserRequest = Static<typeof UpdateUserRequest>;
export type Camera = Static<typeof Camera>;
export type ApiKey = Static<typeof ApiKey>;
export type CreateApiKeyRequest = Static<typeof CreateApiKeyRequest>;
export type CreatedApiKey = Static<typeof CreatedApiKey>;
export type CreateCameraRequest = Static<typeof CreateCameraRequest>;
export type UpdateCameraRequest = Static<typeof UpdateCameraRequest>;
export type CreateCameraEventRequest = Static<typeof CreateCameraEventRequest>;
export type Person = Static<typeof Person>;
export type CreatePersonRequest = Static<typeof CreatePersonRequest>;
export type CreateRecognitionRequest = Static<typeof CreateRecognitionRequest>;
export type Recognition = Static<typeof Recognition>;
export type CreateAlertRequest = Static<typeof CreateAlertRequest>;
export type BroadcastRequest = Static<typeof BroadcastRequest>;
export type EventsQuery = Static<typeof EventsQuery>;
export type EventsResponse = Static<typeof EventsResponse>;
export type ConnectionStatistics = Static<typeof ConnectionStatistics>;
export type WsStatusResponse = Static<typeof WsStatusResponse>;
export type Alert = Static<typeof Alert>;
export type AlertTransition = Static<typeof AlertTransition>;
export type AlertWithHistory = Static<typeof AlertWithHistory>;
export type AlertsQuery = Static<typeof AlertsQuery>;
export type AlertsPage = Static<typeof AlertsPage>;
export type AlertTransitionRequest = Static<typeof AlertTransitionRequest>;
export type AssignAlertRequest = Static<typeof AssignAlertRequest>;
export type AlertConflict = Static<typeof AlertConflict>;
export type EscalationRule = Static<typeof EscalationRule>;
export type CreateEscalationRuleRequest = Static<typeof CreateEscalationRuleRequest>;
export type UpdateEscalationRuleRequest = Static<typeof UpdateEscalationRuleRequest>;
export type Webhook = Static<typeof Webhook>;
export type CreateWebhookRequest = Static<typeof CreateWebhookRequest>;
export type UpdateWebhookRequest = Static<typeof UpdateWebhookRequest>;
export type CreatedWebhook = Static<typeof CreatedWebhook>;
export type Delivery = Static<typeof Delivery>;
export type CreatePushSubscriptionRequest = Static<typeof CreatePushSubscriptionRequest>;
export type PushSubscription = Static<typeof PushSubscription>;
