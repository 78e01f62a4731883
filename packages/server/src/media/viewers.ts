/**
 * Who watches which camera on this node, and how frames reach them: latest frame wins.
 *
 * Per viewer and camera at most one frame waits; a newer one replaces it (counted as dropped).
 * A connection gets a batch of waiting frames, then a WebSocket ping tagged for media; the next
 * batch goes out when the pong comes back, i.e. when the client has read up to it. So a slow link
 * holds at most one batch in flight and always gets the newest frames next, never a backlog; a
 * fast one is limited only by the fps it asked for. Frames never count toward the slow-consumer
 * close (1013): the outbox subtracts media bytes in flight from the backlog it judges.
 */
import type { Presence } from '@openeye/protocol';
import type { HubMetrics } from '../ops/metrics.js';
import type { Connection } from '../realtime/connection.js';
import type { Outbox } from '../realtime/outbox.js';
import type { MediaFrame } from './frames.js';

interface Watch {
  cameraId: number;
  minIntervalMs: number;
  maxFps: number;
  /**
   * When the next frame is due under the fps cap: one interval after the previous slot, or after
   * the previous send if that was later. A frame may go up to FPS_TOLERANCE_MS before it.
   */
  nextAt: number;
  /** When the camera's last frame was offered, and the time between its last two (0: unknown). */
  arrivedAt: number;
  periodMs: number;
  pending: MediaFrame | null;
  timer: NodeJS.Timeout | null;
}

/** A connection's media state (created on its first watch). */
export class ViewerState {
  readonly watches = new Map<number, Watch>();
  /** The tag of the media ping sent after the last batch, until its pong; 0: none outstanding. */
  awaiting = 0;
  sentAt = 0;
}

const PING_TAG = 0x6d; // 'm'
/** A client that never answers a media ping is still given frames after this long (it may ignore pings). */
const PONG_GIVE_UP_MS = 5000;
/**
 * A frame may go this much before its slot under the fps cap (at most a quarter of the interval):
 * camera clocks and timers jitter by milliseconds, and a frame that arrives 1 ms early must not wait
 * for the next timer, nor a late timer push every later frame back by its lateness.
 */
const FPS_TOLERANCE_MS = 20;

export interface MediaMetrics {
  framesDelivered(n: number, bytes: number): void;
  framesDropped(reason: 'superseded' | 'closed', n?: number): void;
}

export class MediaViewers {
  private readonly byCamera = new Map<number, Set<Connection>>();
  private tag = 0;
  /** The number of viewers of a camera on this node changed. */
  onWatchedChange: (cameraId: number, viewers: number) => void = () => undefined;
  /** Who watches what changed (presence). */
  onWatchersChanged: () => void = () => undefined;

  constructor(
    private readonly outbox: Outbox,
    private readonly metrics: MediaMetrics,
  ) {}

  /** Starts a watch, or changes its fps. */
  watch(conn: Connection, cameraId: number, maxFps: number): void {
    conn.media ??= new ViewerState();
    const state = conn.media;
    const existing = state.watches.get(cameraId);
    if (existing) {
      // The next slot moves with the new interval: a lower fps applies from the last frame sent.
      if (existing.nextAt > 0) existing.nextAt += 1000 / maxFps - existing.minIntervalMs;
      existing.maxFps = maxFps;
      existing.minIntervalMs = 1000 / maxFps;
      return;
    }
    state.watches.set(cameraId, {
      cameraId,
      maxFps,
      minIntervalMs: 1000 / maxFps,
      nextAt: 0,
      arrivedAt: 0,
      periodMs: 0,
      pending: null,
      timer: null,
    });
    let set = this.byCamera.get(cameraId);
    if (!set) {
      set = new Set();
      this.byCamera.set(cameraId, set);
    }
    set.add(conn);
    this.onWatchedChange(cameraId, set.size);
    this.onWatchersChanged();
  }

  unwatch(conn: Connection, cameraId: number): void {
    const w = conn.media?.watches.get(cameraId);
    if (!w) return;
    if (w.timer) clearTimeout(w.timer);
    if (w.pending) this.metrics.framesDropped('closed');
    conn.media!.watches.delete(cameraId);
    const set = this.byCamera.get(cameraId);
    set?.delete(conn);
    if (set?.size === 0) this.byCamera.delete(cameraId);
    this.onWatchedChange(cameraId, set?.size ?? 0);
    this.onWatchersChanged();
  }

  /** The connection closed: every watch ends. */
  drop(conn: Connection): void {
    if (!conn.media) return;
    for (const cameraId of [...conn.media.watches.keys()]) this.unwatch(conn, cameraId);
  }

  watching(conn: Connection): { camera_id: number; max_fps: number }[] {
    return [...(conn.media?.watches.values() ?? [])].map((w) => ({ camera_id: w.cameraId, max_fps: w.maxFps }));
  }

  viewers(cameraId: number): number {
    return this.byCamera.get(cameraId)?.size ?? 0;
  }

  /** The highest fps a viewer of the camera on this node asked for; 0 when nobody watches it here. */
  maxFps(cameraId: number): number {
    let max = 0;
    for (const conn of this.byCamera.get(cameraId) ?? []) {
      const fps = conn.media?.watches.get(cameraId)?.maxFps ?? 0;
      if (fps > max) max = fps;
    }
    return max;
  }

  /** Cameras with at least one viewer on this node. */
  watchedCameras(): number[] {
    return [...this.byCamera.keys()];
  }

  /** `presence` with this node's viewers added (a viewer counts as watching its camera). */
  addPresence(presence: Presence): Presence {
    for (const [cameraId, set] of this.byCamera) {
      const key = String(cameraId);
      presence.cameras[key] ??= [];
      const list = presence.cameras[key];
      for (const conn of set) {
        const known = list.find((w) => w.user_id === conn.userId);
        if (known) known.connections++;
        else list.push({ user_id: conn.userId, username: conn.username, connections: 1 });
      }
    }
    return presence;
  }

  /** A new frame of a camera: offered to each of its viewers, replacing what waited. */
  deliver(frame: MediaFrame): void {
    const set = this.byCamera.get(frame.cameraId);
    if (!set) return;
    const now = Date.now();
    for (const conn of set) {
      const w = conn.media?.watches.get(frame.cameraId);
      if (!w) continue;
      if (w.arrivedAt > 0) w.periodMs = now - w.arrivedAt;
      w.arrivedAt = now;
      if (w.pending) this.metrics.framesDropped('superseded');
      w.pending = frame;
      this.pump(conn);
    }
  }

  /** One frame to one viewer (a new watch gets the camera's newest frame at once). */
  deliverTo(conn: Connection, frame: MediaFrame): void {
    const w = conn.media?.watches.get(frame.cameraId);
    if (!w) return;
    w.pending = frame;
    this.pump(conn);
  }

  /** A pong arrived: true when it answered a media ping (then the next batch may go). */
  onPong(conn: Connection, data: Buffer): boolean {
    const state = conn.media;
    if (!state || state.awaiting === 0 || data.length !== 5 || data[0] !== PING_TAG) return false;
    if (data.readUInt32BE(1) !== state.awaiting) return false;
    state.awaiting = 0;
    this.pump(conn);
    return true;
  }

  /** Sends what may go now: frames whose fps interval passed, while no batch is unconfirmed. */
  private pump(conn: Connection): void {
    const state = conn.media;
    if (!state || conn.closing) return;
    const now = Date.now();
    if (state.awaiting !== 0 && now - state.sentAt < PONG_GIVE_UP_MS) return;
    let frames = 0;
    let bytes = 0;
    for (const w of state.watches.values()) {
      const frame = w.pending;
      if (!frame) continue;
      const slack = Math.min(FPS_TOLERANCE_MS, w.minIntervalMs / 4);
      // The slot opens `slack` before the schedule. A frame that came before its slot waits for
      // it; and when the camera's next frame is due by then (a camera faster than the cap), that
      // fresher one takes the slot: this one goes only if the next does not come in time.
      const due = w.nextAt - slack;
      const fresher = w.periodMs > 0 ? w.arrivedAt + w.periodMs : Number.POSITIVE_INFINITY;
      const sendAt = w.arrivedAt < due && fresher <= w.nextAt + slack ? Math.max(due, fresher + slack) : due;
      if (now < sendAt) {
        w.timer ??= setTimeout(
          () => {
            w.timer = null;
            this.pump(conn);
          },
          Math.max(1, Math.ceil(sendAt - now)),
        );
        continue;
      }
      w.pending = null;
      // The next slot: one interval after this one, or after now when this frame went late.
      w.nextAt = Math.max(w.nextAt, now) + w.minIntervalMs;
      if (!this.outbox.writeMedia(conn, frame.wire)) continue;
      frames++;
      bytes += frame.wire.length;
    }
    if (frames === 0) return;
    this.tag = (this.tag % 0xffffffff) + 1;
    state.awaiting = this.tag;
    state.sentAt = now;
    const ping = Buffer.allocUnsafe(5);
    ping[0] = PING_TAG;
    ping.writeUInt32BE(this.tag, 1);
    this.outbox.ping(conn, ping);
    this.metrics.framesDelivered(frames, bytes);
  }
}
