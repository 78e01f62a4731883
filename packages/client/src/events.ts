/**
 * @module events
 * What `OpenEyeClient.on` can listen to: every server message type of protocol.md section 2,
 * plus the client's own `status_change`, `gap`, `auth_error` and `message` (every server message).
 */
import type { ServerMessage } from '@openeye/protocol';
import type { ConnectionStatus } from './state-machine.js';

/** Payload of `status_change`, as in the guide, plus the reason of the change when there is one. */
export interface StatusChange {
  status: ConnectionStatus;
  previousStatus: ConnectionStatus;
  timestamp: string;
  reason?: string;
}

/**
 * Payload of `gap`: events may have been missed, because the server's history no longer
 * reaches back to the client's cursor. The application should refetch its view.
 */
export interface GapEvent {
  type: 'gap';
  timestamp: string;
  /** Where the client's cursor stood when the gap was found. */
  lastEventId: string | null;
  /** Where delivery continues from (the newest id the server had), when known. */
  resumeFrom: string | null;
  /** Which path found the gap: the socket's welcome (`resumed: false`) or polling (HTTP 410). */
  source: 'websocket' | 'polling';
}

/** Payload of `auth_error`: the server refused the credentials even after a fresh token. */
export interface AuthErrorEvent {
  type: 'auth_error';
  timestamp: string;
  /** The close reason (`Invalid token`, `Token expired`, `Authentication required`) or what was missing. */
  reason: string;
  /** The WebSocket close code, or the HTTP status when polling found it; null when no token was available. */
  code: number | null;
}

/** Server messages keyed by their `type`. */
export type ServerMessageMap = { [M in ServerMessage as M['type']]: M };

/** Every event `on()` accepts, with its payload type. */
export type ClientEventMap = ServerMessageMap & {
  status_change: StatusChange;
  gap: GapEvent;
  auth_error: AuthErrorEvent;
  message: ServerMessage;
};

export type ClientEventType = keyof ClientEventMap;
