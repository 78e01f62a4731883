/**
 * The cluster engine: everything one node needs from the others, behind one interface, so the
 * rest of the server does not know whether it runs alone (`local`), on Redis or on NATS.
 *
 * - a bus carrying what a node accepted to every node (stored events in id order, "statistics
 *   changed", user and API key revocations, presence hints): at-most-once is enough, the store is the log and
 *   the sequencer fills gaps (realtime/sequencer.ts);
 * - the per-user connection limit counted over every live node;
 * - the cluster's view: connections by user and who watches which camera, merged from each live
 *   node's snapshot, a dead node dropping out when its lease expires;
 * - counters with a window (login throttling) and named leases (work that one node must do);
 * - health, a reconnect hook, start and stop.
 *
 * Engines get this node's figures through a snapshot callback, never the hub itself.
 */
import type { ConnectionStatistics, EventMessage, Presence } from '@openeye/protocol';
import type { AttemptCounter } from '../auth/login-throttle.js';
import type { ConnectionLimiter } from './limiter.js';

export type BusMessage =
  | { kind: 'events'; events: EventMessage[] }
  | { kind: 'changed' }
  | { kind: 'user_revoked'; userId: number }
  /** An API key was revoked: nodes close the connections that came with it. */
  | { kind: 'key_revoked'; keyId: number }
  /** A user's cameras changed: nodes narrow (or widen) that user's open connections. */
  | { kind: 'user_access'; userId: number }
  /** Who watches which camera changed somewhere in the cluster. */
  | { kind: 'presence' };

export type BusHandler = (message: BusMessage) => void;

/** What the domain needs: publish only. */
export interface EventPublisher {
  /** Delivers to this node's handlers at once and to every other node as soon as the engine can. */
  publish(message: BusMessage): void;
}

/** This node's figures, as the cluster view merges them. */
export interface NodeSnapshot {
  /** Open connections by user id. */
  users: Record<string, number>;
  presence: Presence['cameras'];
  /** Cameras with live viewers on the node (their frames must reach it). */
  watched?: number[];
  /** The node's id, as the engine stores it. */
  node?: string;
}

export type EngineHealth = 'local' | 'up' | 'down';

export interface ClusterEngine extends EventPublisher {
  readonly name: 'local' | 'redis' | 'nats';
  readonly nodeId: string;
  /** Connects and subscribes (nothing touches the network before this); throws a clear error. */
  start(snapshot: () => NodeSnapshot): Promise<void>;
  /** Leaves the cluster (this node's keys removed) and disconnects. */
  stop(): Promise<void>;
  subscribe(handler: BusHandler): void;
  /** Called when the engine's connection comes back: the node catches up from the store. */
  onReconnect(handler: () => void): void;
  /** Whether the bus may drop messages (the node then polls the store as a safety net). */
  readonly lossy: boolean;
  health(): EngineHealth;

  readonly limiter: ConnectionLimiter;
  statistics(): Promise<ConnectionStatistics>;
  presence(): Promise<Presence>;
  /** This node's connections changed: its snapshot is refreshed soon (coalesced). */
  connectionsChanged(): void;
  /** This node's presence changed: its snapshot is refreshed, then every node is told. */
  presenceChanged(): void;

  /** Cameras with live viewers on another node: their frames must cross the bus (and only theirs). */
  watchedElsewhere(): Promise<ReadonlySet<number>>;
  /** A camera frame (protocol.md section 8 encoding) for the other nodes. */
  publishFrame(frame: Uint8Array): void;
  subscribeFrames(handler: (frame: Uint8Array) => void): void;

  readonly attempts: AttemptCounter;
  /**
   * Takes or renews the lease `name` for `ttlMs`; true while this node holds it. A holder that
   * dies loses it when the ttl runs out, and another node's next call takes it.
   */
  lease(name: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string): Promise<void>;
}

/** Sums the snapshots' connections by user. */
export function mergeStatistics(snapshots: readonly NodeSnapshot[]): ConnectionStatistics {
  const byUser: Record<string, number> = {};
  for (const s of snapshots) {
    for (const [u, n] of Object.entries(s.users)) byUser[u] = (byUser[u] ?? 0) + n;
  }
  return {
    total_connections: Object.values(byUser).reduce((a, b) => a + b, 0),
    total_users: Object.keys(byUser).length,
    connections_by_user: byUser,
  };
}

/** Merges the snapshots' presence: per camera, per user, connections summed. */
export function mergePresence(snapshots: readonly NodeSnapshot[]): Presence {
  const merged = new Map<string, Map<number, { user_id: number; username: string; connections: number }>>();
  for (const s of snapshots) {
    for (const [camera, watchers] of Object.entries(s.presence)) {
      let users = merged.get(camera);
      if (!users) {
        users = new Map();
        merged.set(camera, users);
      }
      for (const w of watchers) {
        const u = users.get(w.user_id);
        if (u) u.connections += w.connections;
        else users.set(w.user_id, { ...w });
      }
    }
  }
  const cameras: Presence['cameras'] = {};
  for (const [camera, users] of merged) cameras[camera] = [...users.values()];
  return { cameras };
}

/** The cameras the other nodes' snapshots watch. */
export function watchedBy(snapshots: readonly NodeSnapshot[], self: string): Set<number> {
  const out = new Set<number>();
  for (const s of snapshots) {
    if (s.node === self) continue;
    for (const id of s.watched ?? []) out.add(id);
  }
  return out;
}

/** A frame on a bus: 16 bytes of the sending node's id (a UUID), then the frame. */
export function framePayload(nodeId: string, frame: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(nodeId.replaceAll('-', ''), 'hex'), frame]);
}

/** The frame of a bus payload, or null when it is this node's own (or malformed). */
export function frameOf(payload: Uint8Array, nodeId: string): Uint8Array | null {
  if (payload.byteLength <= 16) return null;
  const sender = Buffer.from(payload.buffer, payload.byteOffset, 16).toString('hex');
  return sender === nodeId.replaceAll('-', '') ? null : payload.subarray(16);
}
