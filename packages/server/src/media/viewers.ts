/**
 * Who watches which camera on this node, and how frames reach them: latest frame wins.
 *
 * Per viewer and camera at most one frame waits; a newer one replaces it (counted as dropped).
 * Flow control is a byte window per connection, confirmed by WebSocket pings tagged for media: the
 * pong of a ping says the client has read every frame written before it. Frames go while the bytes
 * written but not yet confirmed stay within the window. The window starts at one frame and doubles
 * while the client confirms well within WINDOW_TARGET_MS (slow start, as TCP); otherwise it is what
 * the client read in that time. So a slow link holds about a fifth of a second of frames in flight
 * and always gets the newest next, never a backlog, while a fast one is limited only by the fps it
 * asked for and is pinged a few times a second, not once per frame. Frames never count toward the
 * slow-consumer close (1013): the outbox subtracts media bytes in flight from the backlog it judges.
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
  /** Media bytes written to this connection, and how many of them its pongs confirmed read. */
  written = 0;
  confirmed = 0;
  /** The tag of the media ping awaiting its pong (0: none), when it went, and `written` then. */
  awaiting = 0;
  pingedAt = 0;
  pingedMark = 0;
  /** The bytes that may be written but unconfirmed (beyond this, one frame: 0 at first). */
  window = 0;
  /** When a frame kept back for a fresher one goes anyway (the sweep); infinite: none kept back. */
  lagUntil = Number.POSITIVE_INFINITY;
}

const PING_TAG = 0x6d; // 'm'
/** A client that never answers a media ping is still given frames after this long (it may ignore pings). */
const PONG_GIVE_UP_MS = 5000;
/**
 * The window: what the connection reads in this long. Frames written stay at most about this old
 * in the pipe (for a viewer reading 200 KB/s: 40 KB, one typical frame).
 */
const WINDOW_TARGET_MS = 200;
/** The window never exceeds this (a fast local viewer), and one frame may always go. */
const MAX_WINDOW_BYTES = 1024 * 1024;
/** A connection with unconfirmed bytes is pinged at least this often (the rate stays current). */
const PING_EVERY_MS = 250;
/**
 * A frame may go this much before its slot under the fps cap (at most a quarter of the interval):
 * camera clocks and timers jitter by milliseconds, and a frame that arrives 1 ms early must not wait
 * for the next timer, nor a late timer push every later frame back by its lateness.
 */
const FPS_TOLERANCE_MS = 20;
/**
 * How often frames kept back for a camera's next one are looked at: one that has not come in time
 * (a camera that stops, or jitters more than the tolerance) lets the kept one go, up to this late.
 */
const SWEEP_MS = 25;

export interface MediaMetrics {
  framesDelivered(n: number, bytes: number): void;
  framesDropped(reason: 'superseded' | 'closed', n?: number): void;
}

export class MediaViewers {
  private readonly byCamera = new Map<number, Set<Connection>>();
  private tag = 0;
  /** Connections with a frame kept back for a fresher one that may not come, and the sweep's timer. */
  private readonly lagging = new Set<Connection>();
  private sweep: NodeJS.Timeout | null = null;
  private readonly sweepLagging = (): void => {
    this.sweep = null;
    const now = Date.now();
    const due: Connection[] = [];
    for (const conn of this.lagging) {
      const at = conn.media?.lagUntil ?? Number.POSITIVE_INFINITY;
      if (at > now && at !== Number.POSITIVE_INFINITY) continue;
      this.lagging.delete(conn);
      if (at <= now) due.push(conn);
    }
    for (const conn of due) this.pump(conn);
    if (this.lagging.size > 0) this.sweep ??= setTimeout(this.sweepLagging, SWEEP_MS);
  };
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
    this.lagging.delete(conn);
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

  /** A pong arrived: true when it answered a media ping (then more frames may go). */
  onPong(conn: Connection, data: Buffer): boolean {
    const state = conn.media;
    if (!state || state.awaiting === 0 || data.length !== 5 || data[0] !== PING_TAG) return false;
    if (data.readUInt32BE(1) !== state.awaiting) return false;
    // The window: doubled while the client reads what was written well within the target time
    // (slow start, as TCP: a reader that takes a burst quickly is not yet known to be fast), else
    // what it read in the time it took, scaled to the target (a link that slows down shrinks it).
    const bytes = state.pingedMark - state.confirmed;
    const took = Math.max(1, Date.now() - state.pingedAt);
    state.window =
      took * 2 <= WINDOW_TARGET_MS
        ? Math.min(MAX_WINDOW_BYTES, 2 * Math.max(state.window, bytes))
        : Math.min(MAX_WINDOW_BYTES, (bytes / took) * WINDOW_TARGET_MS);
    state.confirmed = state.pingedMark;
    state.awaiting = 0;
    this.pump(conn);
    return true;
  }

  /** Sends what may go now: frames whose fps interval passed, while the window allows. */
  private pump(conn: Connection): void {
    const state = conn.media;
    if (!state || conn.closing) return;
    const now = Date.now();
    if (state.awaiting !== 0 && now - state.pingedAt >= PONG_GIVE_UP_MS) {
      // No answer: the client may ignore pings. Count what was written as read, as before.
      state.awaiting = 0;
      state.confirmed = state.written;
    }
    const window = state.window;
    state.lagUntil = Number.POSITIVE_INFINITY;
    let wires: Buffer[] | null = null;
    let sent: Watch[] | null = null;
    let bytes = 0;
    let held = false;
    for (const w of state.watches.values()) {
      const frame = w.pending;
      if (!frame) continue;
      const slack = Math.min(FPS_TOLERANCE_MS, w.minIntervalMs / 4);
      // The slot opens `slack` before the schedule. A frame that came before its slot waits for
      // it; and when the camera's next frame is due by then (a camera faster than the cap), that
      // fresher one takes the slot: this one goes only if the next does not come in time.
      const due = w.nextAt - slack;
      const fresher = w.periodMs > 0 ? w.arrivedAt + w.periodMs : Number.POSITIVE_INFINITY;
      // A fresher frame that is late is waited for up to half a camera interval: under load,
      // cameras jitter by more than the tolerance, and the kept one is a whole interval old.
      const sendAt =
        w.arrivedAt < due && fresher <= w.nextAt + slack
          ? Math.max(due, fresher + Math.max(slack, w.periodMs / 2))
          : due;
      if (now < sendAt) {
        if (sendAt > due) {
          // Waiting for the camera's next frame, which almost always comes and takes the slot:
          // no timer of its own, the sweep sends this one if the next does not come.
          state.lagUntil = Math.min(state.lagUntil, sendAt);
          this.lagging.add(conn);
          this.sweep ??= setTimeout(this.sweepLagging, SWEEP_MS);
          continue;
        }
        w.timer ??= setTimeout(
          () => {
            w.timer = null;
            this.pump(conn);
          },
          Math.max(1, Math.ceil(sendAt - now)),
        );
        continue;
      }
      const unconfirmed = state.written + bytes - state.confirmed;
      if (unconfirmed > 0 && unconfirmed + frame.wire.length > window) {
        // The pipe is full: the frame waits (a newer one may replace it) for a pong.
        held = true;
        continue;
      }
      w.pending = null;
      // The next slot: one interval after this one, or after now when this frame went late.
      w.nextAt = Math.max(w.nextAt, now) + w.minIntervalMs;
      wires ??= [];
      wires.push(frame.wire);
      bytes += frame.wire.length;
      sent ??= [];
      sent.push(w);
    }
    // The cameras take turns when the window is short: the ones just sent go last.
    if (held && sent) {
      for (const w of sent) {
        state.watches.delete(w.cameraId);
        state.watches.set(w.cameraId, w);
      }
    }
    if (wires === null && !held) return;
    const unconfirmed = state.written + bytes - state.confirmed;
    // Ask the client to confirm: when the window is half used or a frame waits for room, and at
    // least every PING_EVERY_MS (only one ping at a time).
    const ping =
      state.awaiting === 0 &&
      unconfirmed > 0 &&
      (held || unconfirmed * 2 >= window || now - state.pingedAt >= PING_EVERY_MS)
        ? this.pingFor(state, state.written + bytes, now)
        : null;
    if (wires === null && ping === null) return;
    if (!this.outbox.writeMedia(conn, wires ?? [], bytes, ping)) return;
    state.written += bytes;
    if (wires) this.metrics.framesDelivered(wires.length, bytes);
  }

  private pingFor(state: ViewerState, mark: number, now: number): Buffer {
    this.tag = (this.tag % 0xffffffff) + 1;
    state.awaiting = this.tag;
    state.pingedAt = now;
    state.pingedMark = mark;
    return mediaPing(this.tag);
  }
}

/** A WebSocket ping frame (RFC 6455: FIN, opcode 9, unmasked) with the 5-byte media payload. */
function mediaPing(tag: number): Buffer {
  const frame = Buffer.allocUnsafe(7);
  frame[0] = 0x89;
  frame[1] = 5;
  frame[2] = PING_TAG;
  frame.writeUInt32BE(tag, 3);
  return frame;
}
