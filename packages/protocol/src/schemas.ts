/**
 * One source of truth for every message of protocol.md sections 2-3 and every REST payload.
 * TypeScript types are derived from these schemas (`Static<typeof X>`), never written twice.
 */
import { type Static, type TLiteral, type TSchema, type TUnion, Type } from '@sinclair/typebox';
import { ALERT_TYPES, ERROR_CODES, EVENT_TYPES, MAX_WATCH_FPS, PROTOCOL_VERSION, ROLES } from './constants.js';
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
});

export const StatisticsUpdateMessage = Type.Object({
  type: Type.Literal('statistics_update'),
  timestamp: Timestamp,
  data: Statistics,
});

export const CameraEventMessage = Type.Object({
  type: Type.Literal('camera_event'),
  id: EventId,
  timestamp: Timestamp,
  camera_id: Type.Integer(),
  event_type: Type.String(),
  data: Data,
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
});

/** The events with ids: what the history keeps and what resume replays. */
export const EventMessage = Type.Union([CameraEventMessage, AlertMessage]);

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
  /** Where the server fetches the camera's newest JPEG while someone watches; the password shown as `***`. */
  snapshot_url: Type.Optional(Nullable(Type.String())),
  /** A `multipart/x-mixed-replace` MJPEG stream the server reads while someone watches; the password shown as `***`. */
  mjpeg_url: Type.Optional(Nullable(Type.String())),
});

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

export const EventsQuery = Type.Object({
  after: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  types: Type.Optional(Type.String({ maxLength: 256, description: 'comma-separated: camera_event, alert' })),
});

export const EventsResponse = Type.Object({
  events: Type.Array(EventMessage),
  last_event_id: Nullable(EventId),
  has_more: Type.Boolean(),
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

// ---------------------------------------------------------------- derived types

export type Subscriptions = Static<typeof Subscriptions>;
export type ConnectionStatusMessage = Static<typeof ConnectionStatusMessage>;
export type Statistics = Static<typeof Statistics>;
export type StatisticsUpdateMessage = Static<typeof StatisticsUpdateMessage>;
export type CameraEventMessage = Static<typeof CameraEventMessage>;
export type AlertMessage = Static<typeof AlertMessage>;
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
