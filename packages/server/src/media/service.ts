/**
 * Camera media on this node: frames in (HTTP push, producer sockets, pulled from cameras), the
 * newest frame of each camera kept in memory (live frames are not stored), and out to the
 * connections that watch (media/viewers.ts). Also the socket commands: watch, unwatch, publish.
 */
import {
  DEFAULT_WATCH_FPS,
  decodeFrame,
  type FrameContentType,
  sniffImage,
  viewersMessage,
  watchingMessage,
} from '@openeye/protocol';
import type { Logger } from '../logger.js';
import type { Connection } from '../realtime/connection.js';
import type { Hub } from '../realtime/hub.js';
import type { MediaCommand } from '../realtime/messages.js';
import { type MediaFrame, makeFrame } from './frames.js';

/** A camera's last_seen_at moves with its frames at most this often (not one write per frame). */
const SEEN_EVERY_MS = 5000;

export interface MediaOptions {
  maxFps: number;
  maxWatches: number;
  maxFrameBytes: number;
}

export type IngestResult =
  | { ok: true; frame: MediaFrame }
  | { ok: false; code: 'payload_too_large' | 'unsupported_media_type'; message: string };

export class MediaService {
  private readonly latest = new Map<number, MediaFrame>();
  private readonly seq = new Map<number, number>();
  /** Producer connections by the camera they publish, told how many watch it. */
  private readonly publishers = new Map<number, Set<Connection>>();

  constructor(
    private readonly hub: Hub,
    private readonly options: MediaOptions,
    /** Whether the camera exists (and so may be watched or pushed to). */
    private readonly cameraExists: (id: number) => Promise<boolean>,
    private readonly log: Logger,
  ) {
    hub.mediaCommands = (conn, msg) => void this.command(conn, msg);
    hub.binaryFrames = (conn, data) => this.fromSocket(conn, data);
    hub.media.onWatchedChange = (cameraId, viewers) => {
      this.tellPublishers(cameraId, viewers);
      this.onWatchedChange(cameraId, viewers);
    };
    hub.onClose = (conn) => this.forget(conn);
  }

  /** A camera gained its first or lost its last viewer here (pulling and the cluster listen). */
  onWatchedChange: (cameraId: number, viewers: number) => void = () => undefined;
  /** A frame was taken in on this node (the cluster forwards it where the camera is watched). */
  onIngested: (frame: MediaFrame) => void = () => undefined;
  /** A camera sent a frame: a sign of life (camera offline alerts), told at most every SEEN_EVERY_MS. */
  onSeen: (cameraId: number) => void = () => undefined;
  private readonly seenAt = new Map<number, number>();

  /** The newest frame this node has of a camera. */
  latestFrame(cameraId: number): MediaFrame | null {
    return this.latest.get(cameraId) ?? null;
  }

  viewers(cameraId: number): number {
    return this.hub.media.viewers(cameraId);
  }

  /** The highest fps a viewer of the camera on this node asked for (already within the cap); 0: none. */
  wantedFps(cameraId: number): number {
    return this.hub.media.maxFps(cameraId);
  }

  /**
   * Takes an image for a camera: its type from its first bytes (not from what the sender says),
   * its size bounded; then it is the camera's newest frame and goes to its viewers.
   */
  ingest(cameraId: number, image: Uint8Array, capturedAt = Date.now()): IngestResult {
    if (image.byteLength > this.options.maxFrameBytes) {
      return {
        ok: false,
        code: 'payload_too_large',
        message: `A frame may have at most ${this.options.maxFrameBytes} bytes`,
      };
    }
    const type: FrameContentType | null = sniffImage(image);
    if (!type) return { ok: false, code: 'unsupported_media_type', message: 'Not a JPEG, PNG or WebP image' };
    const seq = ((this.seq.get(cameraId) ?? 0) + 1) >>> 0;
    this.seq.set(cameraId, seq);
    const frame = makeFrame(cameraId, seq, image, type, capturedAt);
    this.accept(frame);
    this.onIngested(frame);
    const now = Date.now();
    if (now - (this.seenAt.get(cameraId) ?? 0) >= SEEN_EVERY_MS) {
      this.seenAt.set(cameraId, now);
      this.onSeen(cameraId);
    }
    return { ok: true, frame };
  }

  /** A frame made elsewhere (another node): kept as the newest and delivered. */
  accept(frame: MediaFrame): void {
    const prev = this.latest.get(frame.cameraId);
    if (prev && prev.receivedAt > frame.receivedAt && prev.timestamp > frame.timestamp) return;
    this.latest.set(frame.cameraId, frame);
    this.hub.media.deliver(frame);
  }

  private async command(conn: Connection, msg: MediaCommand): Promise<void> {
    const { hub } = this;
    if (msg.type === 'unwatch') {
      hub.media.unwatch(conn, msg.camera_id);
      hub.send(conn, watchingMessage(hub.media.watching(conn)));
      return;
    }
    // A camera this user may not see is as unknown as one that does not exist.
    const known = conn.access.canSee(msg.camera_id) && (await this.cameraExists(msg.camera_id).catch(() => false));
    if (conn.closing) return;
    if (!known) {
      hub.messages.refuse(conn, 'unknown_camera', `No camera ${msg.camera_id}`, msg.type);
      return;
    }
    if (msg.type === 'publish') {
      if (conn.role !== 'producer' && conn.role !== 'admin') {
        hub.messages.refuse(conn, 'forbidden', 'Publishing frames needs the producer role', 'publish');
        return;
      }
      let set = this.publishers.get(msg.camera_id);
      if (!set) {
        set = new Set();
        this.publishers.set(msg.camera_id, set);
      }
      set.add(conn);
      conn.publishing ??= new Set();
      conn.publishing.add(msg.camera_id);
      hub.send(conn, viewersMessage(msg.camera_id, this.viewers(msg.camera_id)));
      return;
    }
    const watching = conn.media?.watches;
    if (!watching?.has(msg.camera_id) && (watching?.size ?? 0) >= this.options.maxWatches) {
      hub.messages.refuse(conn, 'too_many_watches', `At most ${this.options.maxWatches} cameras at once`, 'watch');
      return;
    }
    const fps = Math.min(msg.max_fps ?? DEFAULT_WATCH_FPS, this.options.maxFps);
    hub.media.watch(conn, msg.camera_id, fps);
    hub.send(conn, watchingMessage(hub.media.watching(conn)));
    // A new viewer sees the camera at once: the newest frame, if this node has one.
    const latest = this.latest.get(msg.camera_id);
    if (latest) hub.media.deliverTo(conn, latest);
  }

  /** A binary message from a producer connection: a camera frame of a camera it published. */
  private fromSocket(conn: Connection, data: Buffer): void {
    const decoded = decodeFrame(data);
    if (!decoded) {
      this.hub.messages.refuse(
        conn,
        'invalid_message',
        'A binary message must be a camera frame (protocol.md section 7)',
      );
      return;
    }
    const { cameraId, timestamp } = decoded.header;
    if (!conn.publishing?.has(cameraId)) {
      this.hub.messages.refuse(conn, 'forbidden', `Send {"type":"publish","camera_id":${cameraId}} first`);
      return;
    }
    const result = this.ingest(cameraId, decoded.image, timestamp);
    if (!result.ok) this.hub.messages.refuse(conn, 'invalid_message', result.message);
  }

  private tellPublishers(cameraId: number, viewers: number): void {
    const set = this.publishers.get(cameraId);
    if (!set) return;
    const message = viewersMessage(cameraId, viewers);
    for (const conn of set) this.hub.send(conn, message);
  }

  private forget(conn: Connection): void {
    for (const cameraId of conn.publishing ?? []) {
      const set = this.publishers.get(cameraId);
      set?.delete(conn);
      if (set?.size === 0) this.publishers.delete(cameraId);
    }
  }

  /** Forgets a deleted camera's frames. */
  cameraDeleted(cameraId: number): void {
    this.latest.delete(cameraId);
    this.seq.delete(cameraId);
    this.seenAt.delete(cameraId);
    this.log.debug({ event: 'media.camera_deleted', camera: cameraId }, 'camera frames forgotten');
  }
}
