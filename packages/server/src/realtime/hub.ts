/**
 * The hub (the guide's WebSocketConnectionManager): the open connections of this node, who is
 * subscribed to what, fan-out, presence, heartbeats, token expiry, slow consumers and shutdown.
 *
 * Recipients are found through sets kept per subscription, never by scanning every connection's
 * filters; each broadcast is serialized once; one shared timer drives heartbeats and expiries.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  ADMIN_ONLY_EVENT_TYPES,
  CloseCode,
  CloseReason,
  type ConnectionStatistics,
  DEFAULT_SUBSCRIPTIONS,
  type ErrorCode,
  type EventMessage,
  type EventType,
  type Presence,
  parseClientMessage,
  type Role,
  type Statistics,
} from '@openeye/protocol';
import type { WebSocket } from 'ws';
import type { JwtService } from '../auth/jwt.js';
import type { Logger } from '../logger.js';
import type { HubMetrics } from '../ops/metrics.js';
import { Connection } from './connection.js';
import { statisticsFrame, textFrame } from './frame.js';
import type { ConnectionLimiter } from './limiter.js';

export interface HubOptions {
  heartbeatIntervalMs: number;
  maxBufferedBytes: number;
  messageRate: number;
  messageBurst: number;
}

interface Index {
  /** Every subscriber of the type. */
  all: Set<Connection>;
  /** Subscribers without a camera filter. */
  unfiltered: Set<Connection>;
  /** Subscribers with a camera filter, by camera. */
  byCamera: Map<number, Set<Connection>>;
}

const now = () => new Date().toISOString();
const isAdminOnly = (t: EventType) => (ADMIN_ONLY_EVENT_TYPES as readonly EventType[]).includes(t);

/** The camera an event is about: a camera event's, or a camera-scoped alert's; undefined otherwise. */
export function cameraOf(event: EventMessage): number | undefined {
  return event.type === 'camera_event' ? event.camera_id : event.data.camera_id;
}

/** Whether `conn`'s subscriptions let `event` through (the same rule the indexes encode). */
export function passes(conn: Connection, event: EventMessage): boolean {
  if (!conn.subscriptions.has(event.type)) return false;
  const cameraId = cameraOf(event);
  return conn.cameraIds === null || typeof cameraId !== 'number' || conn.cameraIds.has(cameraId);
}

/** Each socket points at its connection, so the hub's listeners are shared, not closures per socket. */
const CONN = Symbol('openeye.connection');
type Tagged = WebSocket & { [CONN]: Connection };
const VIOLATION_LOGS_PER_CONNECTION = 5;

export class Hub {
  private readonly connections = new Map<string, Connection>();
  private readonly byUser = new Map<number, Set<Connection>>();
  private readonly index = new Map<EventType, Index>();
  /** Connections by the second their token expires. */
  private readonly expiries = new Map<number, Set<Connection>>();
  private lastExpirySweep = Math.floor(Date.now() / 1000);
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private presenceTimer: NodeJS.Timeout | null = null;
  private shuttingDown = false;
  private dirty: Connection[] = [];
  private readonly listeners: {
    pong(this: Tagged): void;
    ping(this: Tagged): void;
    message(this: Tagged, data: Buffer, isBinary: boolean): void;
    close(this: Tagged, code: number): void;
  };
  private flushScheduled = false;
  /** Called (debounced) when who-watches-what changed on this node; default: tell local subscribers. */
  onPresenceChange: () => void = () => this.broadcastPresence(this.getPresence());
  /** Called when a connection opens or closes (the cluster engine refreshes its snapshot). */
  onConnectionsChange: () => void = () => undefined;

  constructor(
    private readonly options: HubOptions,
    private readonly jwt: JwtService,
    private readonly log: Logger,
    private readonly metrics: HubMetrics,
    readonly limiter: ConnectionLimiter,
  ) {
    const hub = this;
    this.listeners = {
      pong(this: Tagged) {
        // Counted like every other client frame: a stream of unsolicited pongs is a flood too.
        hub.onControlFrame(this[CONN]);
      },
      ping(this: Tagged) {
        hub.onControlFrame(this[CONN]);
      },
      message(this: Tagged, data: Buffer, isBinary: boolean) {
        hub.onMessage(this[CONN], data, isBinary);
      },
      close(this: Tagged, code: number) {
        hub.unregister(this[CONN], code);
      },
    };
    for (const t of ['statistics_update', 'camera_event', 'alert', 'presence_update'] as const) {
      this.index.set(t, { all: new Set(), unfiltered: new Set(), byCamera: new Map() });
    }
  }

  start(): void {
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatIntervalMs);
    this.expiryTimer = setInterval(() => this.sweepExpiries(), 1000);
    this.heartbeatTimer.unref();
    this.expiryTimer.unref();
  }

  get heartbeatIntervalMs(): number {
    return this.options.heartbeatIntervalMs;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  // ------------------------------------------------------------------ registry

  getUserConnectionCount(userId: number): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  /** Registers an authenticated socket whose slot was acquired from the limiter. */
  register(
    ws: WebSocket,
    user: { id: number; username: string; role: Role; token_version: number },
    tokenExpiresAt: number,
    remote: string,
  ): Connection {
    const conn = new Connection(
      randomUUID(),
      ws,
      user.id,
      user.username,
      user.role,
      tokenExpiresAt,
      remote,
      this.options.messageRate,
      this.options.messageBurst,
    );
    conn.tokenVersion = user.token_version;
    this.connections.set(conn.id, conn);
    let set = this.byUser.get(user.id);
    if (!set) {
      set = new Set();
      this.byUser.set(user.id, set);
    }
    set.add(conn);
    for (const t of DEFAULT_SUBSCRIPTIONS) conn.subscriptions.add(t);
    this.reindex(conn);
    this.addExpiry(conn);
    this.metrics.connections.set(this.connections.size);
    this.onConnectionsChange();
    (ws as Tagged)[CONN] = conn;
    // The listeners read the connection from the socket they are called on (`this`).
    const l = this.listeners as unknown as Record<'pong' | 'ping' | 'message' | 'close', (...args: unknown[]) => void>;
    ws.on('pong', l.pong);
    ws.on('ping', l.ping);
    ws.on('message', l.message);
    ws.once('close', l.close);
    return conn;
  }

  private unregister(conn: Connection, code: number): void {
    if (!this.connections.delete(conn.id)) return;
    this.limiter.release(conn.userId);
    const set = this.byUser.get(conn.userId);
    set?.delete(conn);
    if (set?.size === 0) this.byUser.delete(conn.userId);
    const hadCameras = this.unindex(conn);
    this.removeExpiry(conn);
    this.metrics.connections.set(this.connections.size);
    this.onConnectionsChange();
    this.log.info(
      {
        event: 'ws.close',
        conn: conn.id,
        user: conn.userId,
        code,
        duration_ms: Date.now() - conn.openedAt,
        sent: conn.sent,
      },
      'connection closed',
    );
    if (hadCameras) this.presenceChanged();
  }

  // ------------------------------------------------------------------ subscriptions

  private reindex(conn: Connection): void {
    const hadCameras = this.unindex(conn);
    for (const t of conn.subscriptions) {
      const idx = this.index.get(t)!;
      idx.all.add(conn);
      if (conn.cameraIds === null || (t !== 'camera_event' && t !== 'alert')) idx.unfiltered.add(conn);
      else {
        for (const id of conn.cameraIds) {
          let s = idx.byCamera.get(id);
          if (!s) {
            s = new Set();
            idx.byCamera.set(id, s);
          }
          s.add(conn);
        }
      }
    }
    if (hadCameras || this.watchesCameras(conn)) this.presenceChanged();
  }

  /** Removes `conn` from every index; true when it was marked as watching cameras. */
  private unindex(conn: Connection): boolean {
    const watched = this.index.get('camera_event')!;
    let hadCameras = false;
    for (const idx of this.index.values()) {
      idx.all.delete(conn);
      idx.unfiltered.delete(conn);
      if (conn.cameraIds) {
        for (const id of conn.cameraIds) {
          const s = idx.byCamera.get(id);
          if (s?.delete(conn)) {
            if (idx === watched) hadCameras = true;
            if (s.size === 0) idx.byCamera.delete(id);
          }
        }
      }
    }
    return hadCameras;
  }

  private watchesCameras(conn: Connection): boolean {
    return conn.cameraIds !== null && conn.cameraIds.size > 0 && conn.subscriptions.has('camera_event');
  }

  // ------------------------------------------------------------------ fan-out

  /** Delivers stored events (from the bus, in id order) to every matching connection. */
  deliverEvents(events: readonly EventMessage[]): void {
    for (const event of events) {
      const start = process.hrtime.bigint();
      const frame = textFrame(JSON.stringify(event));
      const id = Number(event.id);
      const cameraId = cameraOf(event);
      const idx = this.index.get(event.type)!;
      let count = 0;
      const deliver = (conn: Connection) => {
        if (conn.pending !== null) {
          conn.pending.push(event);
        } else if (id > conn.lastEventId) {
          conn.lastEventId = id;
          this.send(conn, frame);
          count++;
        }
      };
      if (typeof cameraId === 'number') {
        for (const conn of idx.unfiltered) deliver(conn);
        const filtered = idx.byCamera.get(cameraId);
        if (filtered) for (const conn of filtered) deliver(conn);
      } else {
        for (const conn of idx.all) deliver(conn);
      }
      this.metrics.messagesSent.inc({ type: event.type }, count);
      this.metrics.fanoutSeconds.observe(Number(process.hrtime.bigint() - start) / 1e9);
    }
  }

  /** Sends a statistics snapshot to every subscriber; remembered as the newest for new connections. */
  broadcastStatisticsUpdate(data: Statistics): void {
    const start = process.hrtime.bigint();
    const frame = statisticsFrame(data);
    const subscribers = this.index.get('statistics_update')!.all;
    for (const conn of subscribers) {
      // State, not an event: a connection still far behind gets the next one instead.
      if (conn.ws.bufferedAmount < this.options.maxBufferedBytes / 2) this.send(conn, frame);
    }
    this.metrics.messagesSent.inc({ type: 'statistics_update' }, subscribers.size);
    this.metrics.fanoutSeconds.observe(Number(process.hrtime.bigint() - start) / 1e9);
  }

  /** The guide's `send_personal_message`: one message to one connection. */
  sendPersonalMessage(message: object, connectionId: string): boolean {
    const conn = this.connections.get(connectionId);
    if (!conn) return false;
    this.send(conn, JSON.stringify(message));
    return true;
  }

  /** The guide's `broadcast_to_user`: one message to every connection of a user on this node. */
  broadcastToUser(message: object, userId: number): number {
    const set = this.byUser.get(userId);
    if (!set) return 0;
    const frame = textFrame(JSON.stringify(message));
    for (const conn of set) this.send(conn, frame);
    return set.size;
  }

  /**
   * Queues a frame for `conn`. Frames are written at the end of the event-loop turn, all of a
   * connection's at once (corked), straight to its socket: a broadcast is framed once and the same
   * buffer goes to every recipient.
   */
  send(conn: Connection, frame: Buffer | string): void {
    if (conn.closing) return;
    const buf = typeof frame === 'string' ? textFrame(frame) : frame;
    const out = conn.outbox;
    if (out === null) {
      conn.outbox = buf;
      this.dirty.push(conn);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    } else if (Array.isArray(out)) out.push(buf);
    else conn.outbox = [out, buf];
    conn.sent++;
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const start = process.hrtime.bigint();
    const dirty = this.dirty;
    this.dirty = [];
    for (const conn of dirty) this.flushConnection(conn);
    this.lastJoinedFrom = null;
    this.lastJoined = null;
    this.metrics.flushSeconds.observe(Number(process.hrtime.bigint() - start) / 1e9);
  };

  /** The frames of the previous connection flushed in this turn, and them joined into one buffer. */
  private lastJoinedFrom: Buffer[] | null = null;
  private lastJoined: Buffer | null = null;

  /**
   * Several frames for one socket become one buffer, so the socket sees one write. Connections that
   * got the same frames in the same turn (a burst of broadcasts) share the joined buffer: it is built
   * once per distinct sequence, not once per recipient.
   */
  private joined(frames: Buffer[]): Buffer {
    const prev = this.lastJoinedFrom;
    if (prev !== null && prev.length === frames.length) {
      let same = true;
      for (let i = 0; i < frames.length; i++) {
        if (prev[i] !== frames[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastJoined!;
    }
    const joined = Buffer.concat(frames);
    this.lastJoinedFrom = frames;
    this.lastJoined = joined;
    return joined;
  }

  private flushConnection(conn: Connection): void {
    const out = conn.outbox;
    if (out === null) return;
    conn.outbox = null;
    const socket = (conn.ws as unknown as { _socket: Socket | null })._socket;
    if (!socket || socket.destroyed || conn.ws.readyState !== conn.ws.OPEN) return;
    socket.write(Array.isArray(out) ? this.joined(out) : out);
    if (!conn.closing && conn.ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.log.warn(
        { event: 'ws.slow', conn: conn.id, user: conn.userId, buffered_bytes: conn.ws.bufferedAmount },
        'slow consumer closed',
      );
      this.metrics.slowConsumerCloses.inc();
      this.close(conn, CloseCode.TRY_AGAIN_LATER, CloseReason.TOO_SLOW);
    }
  }

  close(conn: Connection, code: number, reason: string): void {
    if (conn.closing) return;
    // What was queued before the close goes out before the close frame.
    this.flushConnection(conn);
    conn.closing = true;
    conn.ws.close(code, reason);
  }

  // ------------------------------------------------------------------ figures

  /** The guide's `get_statistics`. */
  getStatistics(): ConnectionStatistics {
    const connections_by_user: Record<string, number> = {};
    for (const [userId, set] of this.byUser) connections_by_user[String(userId)] = set.size;
    return { total_connections: this.connections.size, total_users: this.byUser.size, connections_by_user };
  }

  /** Who watches which camera. */
  getPresence(): Presence {
    const cameras: Presence['cameras'] = {};
    for (const [cameraId, set] of this.index.get('camera_event')!.byCamera) {
      const users = new Map<number, { user_id: number; username: string; connections: number }>();
      for (const conn of set) {
        const u = users.get(conn.userId);
        if (u) u.connections++;
        else users.set(conn.userId, { user_id: conn.userId, username: conn.username, connections: 1 });
      }
      cameras[String(cameraId)] = [...users.values()];
    }
    return { cameras };
  }

  private presenceChanged(): void {
    if (this.presenceTimer) return;
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = null;
      this.onPresenceChange();
    }, 100);
  }

  /** Sends `presence` to this node's `presence_update` subscribers. */
  broadcastPresence(presence: Presence): void {
    const subscribers = this.index.get('presence_update')!.all;
    if (subscribers.size === 0) return;
    const frame = textFrame(JSON.stringify({ type: 'presence_update', timestamp: now(), data: presence }));
    for (const conn of subscribers) this.send(conn, frame);
    this.metrics.messagesSent.inc({ type: 'presence_update' }, subscribers.size);
  }

  /** Connection counts by user on this node. */
  localCounts(): Map<number, number> {
    const out = new Map<number, number>();
    for (const [userId, set] of this.byUser) out.set(userId, set.size);
    return out;
  }

  // ------------------------------------------------------------------ client messages

  private onControlFrame(conn: Connection): void {
    conn.alive = true;
    this.rateCheck(conn);
  }

  /** False when the message must be dropped (over the rate). */
  private rateCheck(conn: Connection): boolean {
    if (conn.bucket.take(Date.now())) {
      conn.overflow = 0;
      return true;
    }
    conn.overflow++;
    if (conn.overflow === 1) {
      this.sendError(conn, 'rate_limited', 'Too many messages; slow down');
      this.violation(conn, 'rate_limited');
    } else if (conn.overflow > this.options.messageBurst) {
      this.close(conn, CloseCode.POLICY_VIOLATION, CloseReason.MESSAGE_RATE);
    }
    return false;
  }

  private onMessage(conn: Connection, data: Buffer, isBinary: boolean): void {
    conn.alive = true;
    if (conn.closing || !this.rateCheck(conn)) return;
    if (conn.pending !== null) {
      // Still in the welcome/replay phase: handled right after it (bounded by the rate limit).
      conn.queued ??= [];
      conn.queued.push([data, isBinary]);
      return;
    }
    this.handleMessage(conn, data, isBinary);
  }

  handleQueued(conn: Connection): void {
    const queued = conn.queued;
    conn.queued = undefined;
    if (queued) for (const [data, isBinary] of queued) this.handleMessage(conn, data, isBinary);
  }

  private handleMessage(conn: Connection, data: Buffer, isBinary: boolean): void {
    try {
      if (isBinary) {
        this.sendError(conn, 'invalid_message', 'Binary frames are not supported; send JSON text');
        this.violation(conn, 'invalid_message');
        return;
      }
      const parsed = parseClientMessage(data.toString('utf8'));
      if (!parsed.ok) {
        this.sendError(conn, parsed.code, parsed.message, parsed.request_type);
        this.violation(conn, parsed.code);
        return;
      }
      const msg = parsed.message;
      switch (msg.type) {
        case 'ping': {
          const pong: Record<string, unknown> = { type: 'pong', timestamp: now() };
          if (msg.timestamp !== undefined) pong.ping_timestamp = msg.timestamp;
          this.send(conn, JSON.stringify(pong));
          return;
        }
        case 'subscribe':
        case 'unsubscribe': {
          if (msg.type === 'subscribe' && conn.role !== 'admin' && msg.event_types.some(isAdminOnly)) {
            // The same rule as GET /api/ws/presence: who watches what is for admins.
            this.sendError(conn, 'forbidden', 'presence_update is for admins', 'subscribe');
            this.violation(conn, 'forbidden');
            return;
          }
          for (const t of msg.event_types) {
            if (msg.type === 'subscribe') conn.subscriptions.add(t);
            else conn.subscriptions.delete(t);
          }
          if (msg.type === 'subscribe' && msg.camera_ids !== undefined) {
            this.unindex(conn);
            conn.cameraIds = msg.camera_ids === null ? null : new Set(msg.camera_ids);
          }
          this.reindex(conn);
          this.send(
            conn,
            JSON.stringify({
              type: msg.type === 'subscribe' ? 'subscription_confirmed' : 'unsubscription_confirmed',
              timestamp: now(),
              event_types: msg.event_types,
              subscriptions: conn.subscriptionState(),
            }),
          );
          return;
        }
        case 'auth': {
          const result = this.jwt.verify(msg.token);
          if (!result.ok || result.userId !== conn.userId || result.claims.tv !== conn.tokenVersion) {
            this.sendError(conn, 'forbidden', "The token is not a valid token of this connection's user", 'auth');
            this.violation(conn, 'forbidden');
            return;
          }
          this.removeExpiry(conn);
          conn.tokenExpiresAt = result.claims.exp;
          this.addExpiry(conn);
          this.send(
            conn,
            JSON.stringify({
              type: 'auth_ok',
              timestamp: now(),
              token_expires_at: new Date(result.claims.exp * 1000).toISOString(),
            }),
          );
          return;
        }
      }
    } catch (err) {
      this.log.error({ event: 'ws.error', conn: conn.id, err }, 'message handler failed');
      this.close(conn, CloseCode.INTERNAL_ERROR, CloseReason.INTERNAL);
    }
  }

  sendError(conn: Connection, code: ErrorCode, message: string, requestType?: string): void {
    const body: Record<string, unknown> = { type: 'error', timestamp: now(), code, message };
    if (requestType !== undefined) body.request_type = requestType;
    this.send(conn, JSON.stringify(body));
    this.metrics.messagesSent.inc({ type: 'error' });
  }

  private violation(conn: Connection, reason: string): void {
    // A flood must not become a log flood: a few lines per connection, then silence.
    if (conn.violationsLogged++ < VIOLATION_LOGS_PER_CONNECTION) {
      this.log.warn(
        { event: 'ws.violation', conn: conn.id, user: conn.userId, remote: conn.remote, reason },
        'client violation',
      );
    }
  }

  // ------------------------------------------------------------------ timers

  private heartbeat(): void {
    for (const conn of this.connections.values()) {
      if (!conn.alive) {
        this.log.info({ event: 'ws.dead', conn: conn.id, user: conn.userId, missed_pongs: 1 }, 'dead peer terminated');
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  private addExpiry(conn: Connection): void {
    const second = Math.max(conn.tokenExpiresAt, this.lastExpirySweep + 1);
    let set = this.expiries.get(second);
    if (!set) {
      set = new Set();
      this.expiries.set(second, set);
    }
    set.add(conn);
  }

  private removeExpiry(conn: Connection): void {
    const second = Math.max(conn.tokenExpiresAt, this.lastExpirySweep + 1);
    const set = this.expiries.get(second);
    set?.delete(conn);
    if (set?.size === 0) this.expiries.delete(second);
  }

  private sweepExpiries(): void {
    const nowSecond = Math.floor(Date.now() / 1000);
    for (let s = this.lastExpirySweep + 1; s <= nowSecond; s++) {
      const set = this.expiries.get(s);
      if (!set) continue;
      this.expiries.delete(s);
      for (const conn of set) this.close(conn, CloseCode.POLICY_VIOLATION, CloseReason.TOKEN_EXPIRED);
    }
    this.lastExpirySweep = nowSecond;
  }

  /** Closes every connection of a user (disabled or deleted) with 1008 `Invalid token`. */
  revokeUser(userId: number): void {
    const set = this.byUser.get(userId);
    if (set) for (const conn of set) this.close(conn, CloseCode.POLICY_VIOLATION, CloseReason.INVALID_TOKEN);
  }

  /** Closes every connection of this node with 1001 (the endpoint was switched off); clients go elsewhere. */
  closeAll(): void {
    for (const conn of this.connections.values()) this.close(conn, CloseCode.GOING_AWAY, CloseReason.SHUTDOWN);
  }

  /** Closes every socket with 1001, waits up to `graceMs` for them, terminates the rest. */
  async shutdown(graceMs = 2000): Promise<{ closed: number; terminated: number }> {
    this.shuttingDown = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    if (this.presenceTimer) clearTimeout(this.presenceTimer);
    const all = [...this.connections.values()];
    const closed = all.map(
      (conn) =>
        new Promise<void>((resolve) => {
          conn.ws.once('close', () => resolve());
          conn.closing = false;
          this.close(conn, CloseCode.GOING_AWAY, CloseReason.SHUTDOWN);
        }),
    );
    let terminated = 0;
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, graceMs).unref())]);
    for (const conn of this.connections.values()) {
      conn.ws.terminate();
      terminated++;
    }
    return { closed: all.length - terminated, terminated };
  }
}
