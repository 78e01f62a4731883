/**
 * What a client sends: every frame (text, binary, ping, pong) goes through the token bucket
 * (20/s, burst 40: the first overflow gets `error rate_limited`, a further burst closes 1008);
 * text goes through the total parser of @openeye/protocol; then ping, subscribe / unsubscribe
 * and auth are answered. Tokens are checked by the verifier from auth/, not here.
 */
import {
  ADMIN_ONLY_EVENT_TYPES,
  authOkMessage,
  type ClientMessage,
  CloseCode,
  CloseReason,
  type EventType,
  errorMessage,
  parseClientMessage,
  pongMessage,
  SOCKET_ERRORS,
  type SocketErrorCode,
  subscriptionMessage,
} from '@openeye/protocol';
import type { VerifyResult } from '../auth/jwt.js';
import type { Logger } from '../logger.js';
import type { HubMetrics } from '../ops/metrics.js';
import type { Connection } from './connection.js';
import type { Outbox } from './outbox.js';
import type { HeldMessage } from './resume.js';

const VIOLATION_LOGS_PER_CONNECTION = 5;
const adminOnly: ReadonlySet<EventType> = new Set(ADMIN_ONLY_EVENT_TYPES);

export interface ClientMessageDeps {
  outbox: Outbox;
  log: Logger;
  metrics: HubMetrics;
  messageBurst: number;
  verifyToken(token: string): VerifyResult;
  /** Changes the connection's subscriptions with `apply`, keeping the index in step. */
  resubscribe(conn: Connection, apply: () => void): void;
  /** The connection's token was renewed. */
  tokenRenewed(conn: Connection, expiresAt: number): void;
  /** watch / unwatch / publish (media/): answered by the media side. */
  media(conn: Connection, msg: MediaCommand): void;
  /** A binary message (a camera frame from a producer), or null to refuse it. */
  binary: ((conn: Connection, data: Buffer) => void) | null;
}

export type MediaCommand = Extract<ClientMessage, { type: 'watch' | 'unwatch' | 'publish' }>;

export class ClientMessages {
  constructor(private readonly deps: ClientMessageDeps) {}

  /** A ping or pong frame: counts toward the rate like any other frame. */
  onControlFrame(conn: Connection): void {
    conn.alive = true;
    this.rateCheck(conn);
  }

  onMessage(conn: Connection, data: Buffer, isBinary: boolean): void {
    conn.alive = true;
    if (conn.closing || !this.rateCheck(conn)) return;
    // Before the connection is live (welcome, replay), messages wait for it.
    if (conn.cursor.hold([data, isBinary])) return;
    this.handle(conn, data, isBinary);
  }

  handleHeld(conn: Connection, held: HeldMessage[]): void {
    for (const [data, isBinary] of held) this.handle(conn, data, isBinary);
  }

  sendError(conn: Connection, code: SocketErrorCode, message: string, requestType?: string): void {
    this.deps.outbox.send(conn, JSON.stringify(errorMessage(code, message, requestType)));
    this.deps.metrics.messagesSent.inc({ type: 'error' });
  }

  /** False when the message must be dropped (over the rate). */
  private rateCheck(conn: Connection): boolean {
    if (conn.bucket.take(Date.now())) {
      conn.overflow = 0;
      return true;
    }
    conn.overflow++;
    if (conn.overflow === 1) {
      this.sendError(conn, 'rate_limited', SOCKET_ERRORS.rate_limited.message);
      this.violation(conn, 'rate_limited');
    } else if (conn.overflow > this.deps.messageBurst) {
      this.deps.outbox.close(conn, CloseCode.POLICY_VIOLATION, CloseReason.MESSAGE_RATE);
    }
    return false;
  }

  private handle(conn: Connection, data: Buffer, isBinary: boolean): void {
    try {
      if (isBinary) {
        if (this.deps.binary && (conn.role === 'producer' || conn.role === 'admin')) this.deps.binary(conn, data);
        else this.refuse(conn, 'invalid_message', 'Binary frames are not supported; send JSON text');
        return;
      }
      const parsed = parseClientMessage(data.toString('utf8'));
      if (!parsed.ok) {
        this.refuse(conn, parsed.code, parsed.message, parsed.request_type);
        return;
      }
      const msg = parsed.message;
      switch (msg.type) {
        case 'ping':
          this.deps.outbox.send(conn, JSON.stringify(pongMessage(msg.timestamp)));
          return;
        case 'subscribe':
        case 'unsubscribe': {
          if (msg.type === 'subscribe' && conn.role !== 'admin' && msg.event_types.some((t) => adminOnly.has(t))) {
            // The same rule as GET /api/ws/presence: who watches what is for admins.
            this.refuse(conn, 'forbidden', 'presence_update is for admins', 'subscribe');
            return;
          }
          this.deps.resubscribe(conn, () => {
            for (const t of msg.event_types) {
              if (msg.type === 'subscribe') conn.subscriptions.add(t);
              else conn.subscriptions.delete(t);
            }
            if (msg.type === 'subscribe' && msg.camera_ids !== undefined) {
              conn.requestedCameras = msg.camera_ids === null ? null : new Set(msg.camera_ids);
              conn.applyAccess();
            }
          });
          const confirmation = subscriptionMessage(msg.type, msg.event_types, conn.subscriptionState());
          this.deps.outbox.send(conn, JSON.stringify(confirmation));
          return;
        }
        case 'watch':
        case 'unwatch':
        case 'publish':
          this.deps.media(conn, msg);
          return;
        case 'auth': {
          const result = this.deps.verifyToken(msg.token);
          if (!result.ok || result.userId !== conn.userId || result.claims.tv !== conn.tokenVersion) {
            this.refuse(conn, 'forbidden', "The token is not a valid token of this connection's user", 'auth');
            return;
          }
          this.deps.tokenRenewed(conn, result.claims.exp);
          const ok = authOkMessage(new Date(result.claims.exp * 1000).toISOString());
          this.deps.outbox.send(conn, JSON.stringify(ok));
          return;
        }
      }
    } catch (err) {
      this.deps.log.error({ event: 'ws.error', conn: conn.id, err }, 'message handler failed');
      this.deps.outbox.close(conn, CloseCode.INTERNAL_ERROR, CloseReason.INTERNAL);
    }
  }

  refuse(conn: Connection, code: SocketErrorCode, message: string, requestType?: string): void {
    this.sendError(conn, code, message, requestType);
    this.violation(conn, code);
  }

  private violation(conn: Connection, reason: string): void {
    // A flood must not become a log flood: a few lines per connection, then silence.
    if (conn.violationsLogged++ < VIOLATION_LOGS_PER_CONNECTION) {
      this.deps.log.warn(
        { event: 'ws.violation', conn: conn.id, user: conn.userId, remote: conn.remote, reason },
        'client violation',
      );
    }
  }
}
