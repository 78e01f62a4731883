/** A camera frame as the server keeps and sends it: built once, the same buffer for every viewer. */
import { type FrameContentType, imageSize } from '@openeye/protocol';
import { cameraFrame } from '../realtime/frame.js';

export interface MediaFrame {
  cameraId: number;
  seq: number;
  /** Capture time, ms since the epoch. */
  timestamp: number;
  contentType: FrameContentType;
  width: number;
  height: number;
  /** The image alone (for HTTP answers): a view of `wire`. */
  image: Buffer;
  /** The whole binary WebSocket frame (header and image), written as is to every viewer. */
  wire: Buffer;
  /** When this node received it (ms), for frame age. */
  receivedAt: number;
}

export function makeFrame(
  cameraId: number,
  seq: number,
  image: Uint8Array,
  contentType: FrameContentType,
  timestamp: number,
): MediaFrame {
  const { width, height } = imageSize(image, contentType);
  const header = { cameraId, seq, timestamp, contentType, width, height };
  const wire = cameraFrame(header, image);
  // The image is kept as the tail of the wire frame: one copy of its bytes, whatever it came in.
  return { ...header, image: wire.subarray(wire.length - image.byteLength), wire, receivedAt: Date.now() };
}
