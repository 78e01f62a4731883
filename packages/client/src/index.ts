/**
 * @module @openeye/client
 * The OpenEye Realtime client: the guide's `WebSocketService` (default export `wsService`),
 * reconnecting with backoff, resuming by event id, falling back to HTTP polling; and the REST API.
 */

export type {
  Alert,
  AlertMessage,
  AlertUpdateMessage,
  AlertWithHistory,
  CameraEventMessage,
  ConnectionStatusMessage,
  EventMessage,
  EventType,
  RestErrorCode,
  ServerMessage,
  SocketErrorCode,
  Statistics,
  StatisticsUpdateMessage,
} from '@openeye/protocol';
export {
  ApiError,
  type ApiErrorCode,
  type ApiOptions,
  type ClientErrorCode,
  type EventsQuery,
  OpenEyeApi,
  type TokenProvider,
} from './api.js';
export { backoffDelay } from './backoff.js';
export { OpenEyeClient } from './client.js';
export { compareEventIds, EventDeduper } from './event-ids.js';
export type {
  AuthErrorEvent,
  ClientEventMap,
  ClientEventType,
  GapEvent,
  ServerMessageMap,
  StatusChange,
} from './events.js';
export type { CameraFrame, WatchOptions } from './media.js';
export type { BackoffOptions, ClientOptions } from './options.js';
export { default } from './singleton.js';
export {
  type ConnectionEvent,
  type ConnectionStatus,
  IllegalTransitionError,
  TRANSITIONS,
  transition,
} from './state-machine.js';
export type { WebSocketConstructor, WebSocketLike } from './transport.js';
