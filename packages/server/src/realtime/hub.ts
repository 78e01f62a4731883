/**
 * The hub (the guide's WebSocketConnectionManager): this node's open connections and fan-out.
 * It composes the rooms of realtime/: the subscription index (who gets what), the outbox (how
 * frames reach sockets), client messages, liveness (heartbeats, token expiry, shutdown) and
 * presence; resume.ts decides, per connection, whether a live event goes out now.
 *
 *   sequencer ──► deliverEvents ──► index.recipients ──► cursor.admit ──► outbox.queue ──► socket
 */
import { randomUUID } from 'node:crypto';
import {
  CloseCode,
  CloseReason,
  type ConnectionStatistics,
  cameraOf,
  DEFAULT_SUBSCRIPTIONS,
  type EventMessage,
  type Presence,
  type Role,
  type ServerMessage,
  type Statistics,
} from '@openeye/protocol';
import type { WebSocket } from 'ws';
import { CameraAccess } from '../auth/access.js';
import type { VerifyResult } from '../auth/jwt.js';
import type { NodeSnapshot } from '../cluster/engine.js';
import type { ConnectionLimiter } from '../cluster/limiter.js';
import type { Logger } from '../logger.js';
import { MediaViewers } from '../media/viewers.js';
import type { HubMetrics } from '../ops/metrics.js';
import { Compressor } from './compression.js';
import { Connection } from './connection.js';
import { statisticsFrame, textFrame } from './frame.js';
import { Liveness } from './liveness.js';
import { ClientMessages, type MediaCommand } from './messages.js';
import { Outbox } from './outbox.js';
import { PresenceNotifier } from './presence.js';
import { Registry } from './registry.js';
import type { HeldMessage } from './resume.js';
import { SocketListeners } from './socket-events.js';
import { SubscriptionIndex } from './subscriptions.js';

export interface HubOptions {
  /** permessage-deflate for JSON frames, when enabled. */
  compression?: { windowBits: number; threshold: number } | null;
  heartbeatIntervalMs: number;
  maxBufferedBytes: number;
  messageRate: number;
  messageBurst: number;
}

export class Hub {
  private readonly connections = new Registry();
  private readonly index = new SubscriptionIndex();
  readonly outbox: Outbox;
  readonly messages: ClientMessages;
  readonly presence: PresenceNotifier;
  /** Who watches which camera here, and how frames reach them. */
  readonly media: MediaViewers;
  private readonly liveness: Liveness;
  /** watch / unwatch / publish, answered by the media service (media/service.ts). */
  mediaCommands: (conn: Connection, msg: MediaCommand) => void = (conn, msg) =>
    this.messages.refuse(conn, 'unknown_camera', 'Camera media is not available here', msg.type);
  /** A binary message of a producer connection (a camera frame). */
  binaryFrames: ((conn: Connection, data: Buffer) => void) | null = null;
  /** A connection closed (after the hub forgot it). */
  onClose: (conn: Connection) => void = () => undefined;
  private shuttingDown = false;
  private readonly sockets: SocketListeners;
  /** Called when a connection opens or closes (the cluster engine refreshes its snapshot). */
  onConnectionsChange: () => void = () => undefined;

  constructor(
    private readonly options: HubOptions,
    verifyToken: (token: string) => VerifyResult,
    private readonly log: Logger,
    private readonly metrics: HubMetrics,
    readonly limiter: ConnectionLimiter,
  ) {
    const { compression } = options;
    this.outbox = new Outbox(
      options.maxBufferedBytes,
      log,
      metrics,
      compression ? new Compressor(compression.windowBits, compression.threshold) : null,
    );
    this.media = new MediaViewers(this.outbox, metrics.media);
    this.media.onWatchersChanged = () => this.presence.localChange();
    this.liveness = new Liveness(options.heartbeatIntervalMs, () => this.connections.values(), this.outbox, log);
    this.presence = new PresenceNotifier(() => this.index.subscribers('presence_update'), this.outbox, metrics);
    this.presence.fetch = async () => this.getPresence();
    this.presence.announce = () => this.presence.clusterChange();
    this.messages = new ClientMessages({
      outbox: this.outbox,
      log,
      metrics,
      messageBurst: options.messageBurst,
      verifyToken,
      resubscribe: (conn, apply) => {
        const hadCameras = this.index.remove(conn);
        apply();
        if (this.index.update(conn) || hadCameras) this.presence.localChange();
      },
      tokenRenewed: (conn, expiresAt) => this.liveness.renewed(conn, expiresAt),
      media: (conn, msg) => this.mediaCommands(conn, msg),
      binary: (conn, data) => (this.binaryFrames ? this.binaryFrames(conn, data) : this.refuseBinary(conn)),
    });
    this.sockets = new SocketListeners({
      pong: (conn, data) => {
        // The answer to a media ping lets the next frames go; any other pong is counted like every
        // other client frame (a stream of unsolicited pongs is a flood too).
        if (this.media.onPong(conn, data)) conn.alive = true;
        else this.messages.onControlFrame(conn);
      },
      ping: (conn) => this.messages.onControlFrame(conn),
      message: (conn, data, isBinary) => this.messages.onMessage(conn, data, isBinary),
      close: (conn, code) => this.unregister(conn, code),
    });
  }

  start(): void {
    this.liveness.start();
  }

  get heartbeatIntervalMs(): number {
    return this.options.heartbeatIntervalMs;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  // ------------------------------------------------------------------ registry

  /** Registers an authenticated socket whose slot was acquired from the limiter. */
  register(
    ws: WebSocket,
    user: { id: number; username: string; role: Role; token_version: number },
    tokenExpiresAt: number,
    remote: string,
    early: HeldMessage[] = [],
    access: CameraAccess = CameraAccess.ALL,
    key: Connection['key'] = null,
  ): Connection {
    const { messageRate, messageBurst } = this.options;
    const conn = new Connection(
      randomUUID(),
      ws,
      user.id,
      user.username,
      user.role,
      tokenExpiresAt,
      remote,
      messageRate,
      messageBurst,
    );
    conn.tokenVersion = user.token_version;
    conn.key = key;
    conn.deflate = ws.extensions.includes('permessage-deflate');
    conn.access = access;
    conn.applyAccess();
    for (const message of early) conn.cursor.hold(message);
    this.connections.add(conn);
    for (const t of DEFAULT_SUBSCRIPTIONS) conn.subscriptions.add(t);
    this.index.add(conn);
    this.liveness.track(conn);
    this.metrics.connections.set(this.connections.size);
    this.onConnectionsChange();
    this.sockets.attach(ws, conn);
    return conn;
  }

  private unregister(conn: Connection, code: number): void {
    if (!this.connections.remove(conn)) return;
    this.limiter.release(conn.userId);
    const hadCameras = this.index.remove(conn);
    this.media.drop(conn);
    this.liveness.untrack(conn);
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
    if (hadCameras) this.presence.localChange();
    this.onClose(conn);
  }

  /** A typed message to one connection. */
  send(conn: Connection, message: ServerMessage): void {
    this.outbox.send(conn, JSON.stringify(message));
  }

  private refuseBinary(conn: Connection): void {
    this.messages.refuse(conn, 'invalid_message', 'Binary frames are not supported; send JSON text');
  }

  /** This node's open connections. */
  openConnections(): IterableIterator<Connection> {
    return this.connections.values();
  }

  getUserConnectionCount(userId: number): number {
    return this.connections.ofUser(userId).size;
  }

  // ------------------------------------------------------------------ fan-out

  /** Delivers stored events (from the sequencer, in id order) to every matching connection. */
  deliverEvents(events: readonly EventMessage[]): void {
    for (const event of events) {
      const start = process.hrtime.bigint();
      const frame = textFrame(JSON.stringify(event));
      const id = Number(event.id);
      let count = 0;
      for (const recipients of this.index.recipients(event, cameraOf(event))) {
        for (const conn of recipients) {
          if (conn.cursor.admit(event, id)) {
            this.outbox.queue(conn, frame);
            count++;
          }
        }
      }
      this.outbox.flushSoon();
      this.metrics.messagesSent.inc({ type: event.type }, count);
      this.metrics.fanoutSeconds.observe(Number(process.hrtime.bigint() - start) / 1e9);
    }
  }

  /** Sends a statistics snapshot to every subscriber. */
  broadcastStatisticsUpdate(data: Statistics): void {
    const start = process.hrtime.bigint();
    const frame = statisticsFrame(data);
    const subscribers = this.index.subscribers('statistics_update');
    for (const conn of subscribers) {
      // State, not an event: a connection still far behind gets the next one instead.
      if (!this.outbox.isBehind(conn)) this.outbox.queue(conn, frame);
    }
    this.outbox.flushSoon();
    this.metrics.messagesSent.inc({ type: 'statistics_update' }, subscribers.size);
    this.metrics.fanoutSeconds.observe(Number(process.hrtime.bigint() - start) / 1e9);
  }

  /** The guide's `send_personal_message`: one message to one connection. */
  sendPersonalMessage(message: object, connectionId: string): boolean {
    const conn = this.connections.get(connectionId);
    if (!conn) return false;
    this.outbox.send(conn, JSON.stringify(message));
    return true;
  }

  /** The guide's `broadcast_to_user`: one message to every connection of a user on this node. */
  broadcastToUser(message: object, userId: number): number {
    const set = this.connections.ofUser(userId);
    if (set.size === 0) return 0;
    const frame = textFrame(JSON.stringify(message));
    for (const conn of set) this.outbox.send(conn, frame);
    return set.size;
  }

  // ------------------------------------------------------------------ figures

  /** The guide's `get_statistics`. */
  getStatistics(): ConnectionStatistics {
    return this.connections.statistics();
  }

  /** Who watches which camera on this node: live views (watch) and camera filters of the feed. */
  getPresence(): Presence {
    return this.media.addPresence(this.index.presence());
  }

  /** This node's figures for the cluster engine. */
  snapshot(): NodeSnapshot {
    return {
      users: this.getStatistics().connections_by_user,
      presence: this.getPresence().cameras,
      watched: this.media.watchedCameras(),
    };
  }

  /**
   * A user's cameras changed: their open connections see exactly the new set from now on (those of
   * an API key: the new set within the key's own cameras).
   */
  setAccess(userId: number, access: CameraAccess): void {
    for (const conn of this.connections.ofUser(userId)) {
      this.index.remove(conn);
      conn.access = conn.key ? access.and(CameraAccess.of(conn.key.cameraIds)) : access;
      conn.applyAccess();
      this.index.update(conn);
    }
  }

  // ------------------------------------------------------------------ ending connections

  /** Closes every connection of a user (disabled, deleted, new password) with 1008 `Invalid token`. */
  revokeUser(userId: number): void {
    for (const conn of this.connections.ofUser(userId)) {
      this.outbox.close(conn, CloseCode.POLICY_VIOLATION, CloseReason.INVALID_TOKEN);
    }
  }

  /** Closes every connection that came with this API key (revoked) with 1008 `Invalid token`. */
  revokeKey(keyId: number): void {
    for (const conn of this.connections.values()) {
      if (conn.key?.id === keyId) this.outbox.close(conn, CloseCode.POLICY_VIOLATION, CloseReason.INVALID_TOKEN);
    }
  }

  /** Closes every connection of this node with 1001 (the endpoint was switched off); clients go elsewhere. */
  closeAll(): void {
    for (const conn of this.connections.values()) this.outbox.close(conn, CloseCode.GOING_AWAY, CloseReason.SHUTDOWN);
  }

  /** Closes every socket with 1001, waits up to `graceMs` for them, terminates the rest. */
  shutdown(graceMs = 2000): Promise<{ closed: number; terminated: number }> {
    this.shuttingDown = true;
    this.presence.stop();
    return this.liveness.shutdown(graceMs);
  }
}
