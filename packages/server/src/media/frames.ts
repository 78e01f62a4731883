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
  /** The image alone (for HTTP answers). */
  image: Buffer;
  /** The whole binary WebSocket frame (header and image), written as is to every viewer. */
  wire: Buffer;
  /** When this node received it (ms), for frame age. */
  receivedAt: number;
}

export function makeFrame(
  cameraId: number,
  seq: number,
  image: Buffer,
  contentType: FrameContentType,
  timestamp: number,
): MediaFrame {
  const { width, height } = imageSize(image, contentType);
  const header = { cameraId, seq, timestamp, contentType, width, height };
  return { ...header, image, wire: cameraFrame(header, image), receivedAt: Date.now() };
}
