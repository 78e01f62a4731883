/**
 * Builders for every server-to-client message that is not an event with an id (those come from
 * events.ts). The server sends only what these return, so the compiler checks each message
 * against its schema; `now` is the message's timestamp.
 */
import { type ErrorCode, PROTOCOL_VERSION } from './constants.js';
import type {
  AuthOkMessage,
  ConnectionStatusMessage,
  ErrorMessage,
  PongMessage,
  Presence,
  PresenceUpdateMessage,
  Statistics,
  StatisticsUpdateMessage,
  SubscriptionConfirmedMessage,
  Subscriptions,
  UnsubscriptionConfirmedMessage,
  ViewersMessage,
  WatchingMessage,
} from './schemas.js';

const stamp = () => new Date().toISOString();

export function welcomeMessage(
  fields: Omit<ConnectionStatusMessage, 'type' | 'timestamp' | 'status' | 'message' | 'protocol_version'>,
  now = stamp(),
): ConnectionStatusMessage {
  return {
    type: 'connection_status',
    timestamp: now,
    status: 'connected',
    connection_id: fields.connection_id,
    user: fields.user,
    message: 'WebSocket connection established successfully',
    protocol_version: PROTOCOL_VERSION,
    subscriptions: fields.subscriptions,
    heartbeat_interval_ms: fields.heartbeat_interval_ms,
    token_expires_at: fields.token_expires_at,
    resumed: fields.resumed,
    last_event_id: fields.last_event_id,
  };
}

export function statisticsMessage(data: Statistics, now = stamp()): StatisticsUpdateMessage {
  return { type: 'statistics_update', timestamp: now, data };
}

export function errorMessage(code: ErrorCode, message: string, requestType?: string, now = stamp()): ErrorMessage {
  return requestType === undefined
    ? { type: 'error', timestamp: now, code, message }
    : { type: 'error', timestamp: now, code, message, request_type: requestType };
}

export function subscriptionMessage(
  kind: 'subscribe' | 'unsubscribe',
  eventTypes: SubscriptionConfirmedMessage['event_types'],
  subscriptions: Subscriptions,
  now = stamp(),
): SubscriptionConfirmedMessage | UnsubscriptionConfirmedMessage {
  return {
    type: kind === 'subscribe' ? 'subscription_confirmed' : 'unsubscription_confirmed',
    timestamp: now,
    event_types: eventTypes,
    subscriptions,
  };
}

export function pongMessage(pingTimestamp?: string | number, now = stamp()): PongMessage {
  return pingTimestamp === undefined
    ? { type: 'pong', timestamp: now }
    : { type: 'pong', timestamp: now, ping_timestamp: pingTimestamp };
}

export function presenceMessage(data: Presence, now = stamp()): PresenceUpdateMessage {
  return { type: 'presence_update', timestamp: now, data };
}

export function authOkMessage(tokenExpiresAt: string, now = stamp()): AuthOkMessage {
  return { type: 'auth_ok', timestamp: now, token_expires_at: tokenExpiresAt };
}

export function watchingMessage(cameras: WatchingMessage['cameras'], now = stamp()): WatchingMessage {
  return { type: 'watching', timestamp: now, cameras };
}

export function viewersMessage(cameraId: number, viewers: number, now = stamp()): ViewersMessage {
  return { type: 'viewers', timestamp: now, camera_id: cameraId, viewers };
}
