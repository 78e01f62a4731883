/**
 * The subscription index: per event type (the protocol's list), every subscriber, the ones without
 * a camera filter, and by camera the ones with one. A camera-scoped event (a stored event about a
 * camera) goes to `unfiltered ∪ byCamera[camera]`, anything else to `all`: no connection's
 * filters are scanned per message. It encodes exactly `passes()` of @openeye/protocol.
 */
import { EVENT_TYPES, type EventMessage, type EventType, isStoredEventType, type Presence } from '@openeye/protocol';
import type { Connection } from './connection.js';

interface Entry {
  /** Every subscriber of the type. */
  all: Set<Connection>;
  /** Subscribers without a camera filter (for types that have no camera: every subscriber). */
  unfiltered: Set<Connection>;
  /** Subscribers with a camera filter, by camera. */
  byCamera: Map<number, Set<Connection>>;
}

export class SubscriptionIndex {
  private readonly entries = new Map<EventType, Entry>();

  constructor() {
    for (const t of EVENT_TYPES) this.entries.set(t, { all: new Set(), unfiltered: new Set(), byCamera: new Map() });
  }

  /** Every subscriber of `type` (state messages: statistics, presence). */
  subscribers(type: EventType): ReadonlySet<Connection> {
    return this.entries.get(type)!.all;
  }

  /**
   * The connections whose subscriptions let `event` through: one or two disjoint sets, so a
   * connection is in at most one. The caller loops over them itself: V8 compiles a small callback
   * per recipient early, in the middle of the first large fan-out, on the CPU that then has to do
   * the writes (docs/benchmarks.md, "Before and after, fourth pass").
   */
  recipients(event: EventMessage, cameraId: number | undefined): ReadonlySet<Connection>[] {
    const entry = this.entries.get(event.type)!;
    if (typeof cameraId !== 'number') return [entry.all];
    const filtered = entry.byCamera.get(cameraId);
    return filtered ? [entry.unfiltered, filtered] : [entry.unfiltered];
  }

  /** (Re)indexes `conn` under its current subscriptions; true when who-watches-what changed. */
  update(conn: Connection): boolean {
    const hadCameras = this.remove(conn);
    return this.add(conn) || hadCameras;
  }

  /** Indexes a connection not indexed yet (just registered); true when it watches cameras. */
  add(conn: Connection): boolean {
    for (const t of conn.subscriptions) {
      const entry = this.entries.get(t)!;
      entry.all.add(conn);
      if (conn.cameraIds === null || !isStoredEventType(t)) entry.unfiltered.add(conn);
      else {
        for (const id of conn.cameraIds) {
          let s = entry.byCamera.get(id);
          if (!s) {
            s = new Set();
            entry.byCamera.set(id, s);
          }
          s.add(conn);
        }
      }
    }
    return conn.watchesCameras;
  }

  /** Removes `conn` from every entry; true when it was counted as watching cameras. */
  remove(conn: Connection): boolean {
    for (const entry of this.entries.values()) {
      entry.all.delete(conn);
      entry.unfiltered.delete(conn);
      if (conn.cameraIds) {
        for (const id of conn.cameraIds) {
          const s = entry.byCamera.get(id);
          if (s?.delete(conn) && s.size === 0) entry.byCamera.delete(id);
        }
      }
    }
    return conn.watchesCameras;
  }

  /** Who watches which camera on this node: connections with a camera filter on camera events. */
  presence(): Presence {
    const cameras: Presence['cameras'] = {};
    for (const [cameraId, set] of this.entries.get('camera_event')!.byCamera) {
      const users = new Map<number, { user_id: number; username: string; connections: number }>();
      for (const conn of set) {
        // Watching is asking for the camera; a filter that only access narrows is not watching.
        if (!conn.requestedCameras?.has(cameraId)) continue;
        const u = users.get(conn.userId);
        if (u) u.connections++;
        else users.set(conn.userId, { user_id: conn.userId, username: conn.username, connections: 1 });
      }
      if (users.size > 0) cameras[String(cameraId)] = [...users.values()];
    }
    return { cameras };
  }
}
