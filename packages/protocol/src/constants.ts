/**
 * Protocol constants with no runtime dependency, safe to import from a browser bundle.
 * See shared/design/protocol.md: these names and strings are part of the wire contract.
 */

export const PROTOCOL_VERSION = 2 as const;

export const WS_PATH = '/api/ws/statistics';

/**
 * Event types with ids: stored in the history, replayed on resume, returned by `GET /api/events`,
 * and filtered by a subscription's `camera_ids` through the camera they are about (`cameraOf`).
 * A new kind of event is added here (and its schema in schemas.ts, its record in events.ts).
 */
export const STORED_EVENT_TYPES = ['camera_event', 'alert', 'alert_update'] as const;
export type StoredEventType = (typeof STORED_EVENT_TYPES)[number];

/** Event types a connection can subscribe to (protocol.md section 4): the stored ones and state. */
export const EVENT_TYPES = ['statistics_update', ...STORED_EVENT_TYPES, 'presence_update'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Event types only admins may subscribe to (the same rule as `GET /api/ws/presence`). */
export const ADMIN_ONLY_EVENT_TYPES: readonly EventType[] = ['presence_update'];

/**
 * What a new connection receives until it subscribes otherwise: the guide's three. `alert_update`
 * (version 2) is asked for with `subscribe`; sent before the welcome, it applies to the replay too.
 */
export const DEFAULT_SUBSCRIPTIONS: readonly EventType[] = ['statistics_update', 'camera_event', 'alert'];

/** Camera event types the server knows by name; producers may send their own. */
export const KNOWN_CAMERA_EVENT_TYPES = [
  'motion_detected',
  'recording_started',
  'recording_stopped',
  'camera_online',
  'camera_offline',
  'face_recognized',
  'unknown_face',
] as const;

export const ALERT_TYPES = ['info', 'warning', 'critical'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** Where an alert is in its lifecycle (docs/alerts.md): open → acknowledged → resolved, reopened. */
export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** What was done to an alert; each is one `alert_update` event. */
export const ALERT_ACTIONS = ['acknowledge', 'resolve', 'assign', 'reopen'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

/** Longest note on a transition, in bytes of UTF-8. */
export const MAX_ALERT_NOTE_BYTES = 2048;

export const ROLES = ['admin', 'viewer', 'producer'] as const;
export type Role = (typeof ROLES)[number];

/** Codes of the socket's `error` message: the catalogue in errors.ts (protocol.md section 7) says what each means. */
export { SOCKET_ERROR_CODES as ERROR_CODES, type SocketErrorCode as ErrorCode } from './errors.js';

/** WebSocket close codes the server uses (protocol.md section 1). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  TRY_AGAIN_LATER: 1013,
} as const;

/** Close reasons: constant strings, never anything else. */
export const CloseReason = {
  AUTH_REQUIRED: 'Authentication required',
  INVALID_TOKEN: 'Invalid token',
  TOKEN_EXPIRED: 'Token expired',
  CONNECTION_LIMIT: 'Rate limit exceeded',
  MESSAGE_RATE: 'Message rate limit exceeded',
  SHUTDOWN: 'Server shutting down',
  TOO_SLOW: 'Client too slow',
  TOO_BIG: 'Message too big',
  INTERNAL: 'Internal error',
} as const;

/** Limits a client should know about. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
export const MAX_JSON_DEPTH = 8;

/** Producer `data` objects (alerts, camera events): at most this many bytes of JSON … */
export const MAX_DATA_BYTES = 16 * 1024;
/** … and this many levels of nesting (the `data` object itself is level 1). */
export const MAX_DATA_DEPTH = 8;
/** Nesting limit of any JSON request body (checked before it is parsed). */
export const MAX_BODY_DEPTH = 16;
/** Alert `data` fields only the server sets (the admin broadcast's); a producer sending one gets a 400. */
export const SERVER_ALERT_FIELDS = ['broadcast', 'from'] as const;

/** Frames per second a `watch` asks for when it names none; the server caps it (OPENEYE_MEDIA_MAX_FPS). */
export const DEFAULT_WATCH_FPS = 5;
/** Largest `max_fps` a `watch` may name (the server caps lower). */
export const MAX_WATCH_FPS = 1000;
