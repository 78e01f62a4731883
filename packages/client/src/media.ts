/**
 * @module media
 * Live camera views: which cameras the application watches (and at what fps), re-sent after
 * every (re)connect and failover, and the binary frames dispatched to their listeners.
 */
import { decodeFrame, type FrameContentType } from '@openeye/protocol/media';

/** A camera frame as the client hands it out. */
export interface CameraFrame {
  cameraId: number;
  seq: number;
  /** Capture time, ms since the epoch. */
  timestamp: number;
  contentType: FrameContentType;
  width: number;
  height: number;
  /** The image bytes (a view into the received message). */
  bytes: Uint8Array;
}

export interface WatchOptions {
  /** Frames per second at most (the server caps it); default 5. */
  maxFps?: number;
}

interface Watch {
  maxFps: number | undefined;
  listeners: Set<(frame: CameraFrame) => void>;
}

type Send = (message: object) => boolean;

export class MediaWatches {
  readonly #watches = new Map<number, Watch>();

  constructor(private readonly send: Send) {}

  /** Adds a listener for a camera's frames; the returned function removes it (the last one unwatches). */
  watch(cameraId: number, options: WatchOptions, onFrame: (frame: CameraFrame) => void): () => void {
    let w = this.#watches.get(cameraId);
    if (!w) {
      w = { maxFps: options.maxFps, listeners: new Set() };
      this.#watches.set(cameraId, w);
      this.send(this.#message(cameraId, w));
    } else if (options.maxFps !== undefined && options.maxFps !== w.maxFps) {
      // Several listeners: the highest rate any of them asked for.
      w.maxFps = Math.max(options.maxFps, w.maxFps ?? 0);
      this.send(this.#message(cameraId, w));
    }
    w.listeners.add(onFrame);
    return () => {
      const current = this.#watches.get(cameraId);
      if (!current?.listeners.delete(onFrame) || current.listeners.size > 0) return;
      this.#watches.delete(cameraId);
      this.send({ type: 'unwatch', camera_id: cameraId });
    };
  }

  /** The cameras watched now. */
  cameras(): number[] {
    return [...this.#watches.keys()];
  }

  /** After a welcome (a new connection, maybe another node): every watch again. */
  resend(): void {
    for (const [cameraId, w] of this.#watches) this.send(this.#message(cameraId, w));
  }

  /** A binary message: a frame for the listeners of its camera; false when it is none of ours. */
  receive(data: Uint8Array): boolean {
    const decoded = decodeFrame(data);
    if (!decoded) return false;
    const w = this.#watches.get(decoded.header.cameraId);
    if (!w) return false;
    const frame: CameraFrame = { ...decoded.header, bytes: decoded.image };
    for (const listener of w.listeners) {
      try {
        listener(frame);
      } catch {
        // A listener's error must not stop the others.
      }
    }
    return true;
  }

  #message(cameraId: number, w: Watch): object {
    return w.maxFps === undefined
      ? { type: 'watch', camera_id: cameraId }
      : { type: 'watch', camera_id: cameraId, max_fps: w.maxFps };
  }
}
