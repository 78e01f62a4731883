/**
 * Camera frames as binary WebSocket messages (protocol.md section 7): a fixed 24-byte header,
 * then the image bytes. Runtime-free apart from DataView, so the browser bundle can use it.
 *
 *   offset size  field
 *   0      1     header version (1)
 *   1      1     kind (1: camera frame)
 *   2      1     content type (1: image/jpeg, 2: image/png, 3: image/webp)
 *   3      1     flags (0; reserved)
 *   4      4     camera id (uint32, big-endian)
 *   8      4     frame sequence number per camera (uint32, wraps)
 *   12     8     capture time, ms since the epoch (float64, big-endian)
 *   20     2     width in pixels (uint16; 0: unknown)
 *   22     2     height in pixels (uint16; 0: unknown)
 *   24     …     the image
 */

export const FRAME_HEADER_VERSION = 1;
export const FRAME_HEADER_BYTES = 24;
export const FRAME_KIND_CAMERA = 1;

export const FRAME_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type FrameContentType = (typeof FRAME_CONTENT_TYPES)[number];

export interface FrameHeader {
  cameraId: number;
  seq: number;
  /** Capture time, ms since the epoch. */
  timestamp: number;
  contentType: FrameContentType;
  width: number;
  height: number;
}

/** Writes the header for `h` into the first 24 bytes of `target`. */
export function writeFrameHeader(target: Uint8Array, h: FrameHeader): void {
  const view = new DataView(target.buffer, target.byteOffset, FRAME_HEADER_BYTES);
  view.setUint8(0, FRAME_HEADER_VERSION);
  view.setUint8(1, FRAME_KIND_CAMERA);
  view.setUint8(2, FRAME_CONTENT_TYPES.indexOf(h.contentType) + 1);
  view.setUint8(3, 0);
  view.setUint32(4, h.cameraId);
  view.setUint32(8, h.seq >>> 0);
  view.setFloat64(12, h.timestamp);
  view.setUint16(20, Math.min(h.width, 65535));
  view.setUint16(22, Math.min(h.height, 65535));
}

/** A whole binary message: header then image bytes. */
export function encodeFrame(h: FrameHeader, image: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + image.byteLength);
  writeFrameHeader(out, h);
  out.set(image, FRAME_HEADER_BYTES);
  return out;
}

/** The header and the image of a binary message; null when it is not a version-1 camera frame. */
export function decodeFrame(message: Uint8Array): { header: FrameHeader; image: Uint8Array } | null {
  if (message.byteLength < FRAME_HEADER_BYTES) return null;
  const view = new DataView(message.buffer, message.byteOffset, FRAME_HEADER_BYTES);
  if (view.getUint8(0) !== FRAME_HEADER_VERSION || view.getUint8(1) !== FRAME_KIND_CAMERA) return null;
  const contentType = FRAME_CONTENT_TYPES[view.getUint8(2) - 1];
  if (contentType === undefined) return null;
  const cameraId = view.getUint32(4);
  const timestamp = view.getFloat64(12);
  if (cameraId === 0 || !Number.isFinite(timestamp)) return null;
  return {
    header: {
      cameraId,
      seq: view.getUint32(8),
      timestamp,
      contentType,
      width: view.getUint16(20),
      height: view.getUint16(22),
    },
    image: message.subarray(FRAME_HEADER_BYTES),
  };
}

/** The image type its first bytes show (JPEG, PNG, WebP); null for anything else. */
export function sniffImage(bytes: Uint8Array): FrameContentType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (
    bytes.length >= 8 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47 &&
    bytes[4] === 0x0d &&
    bytes[5] === 0x0a &&
    bytes[6] === 0x1a &&
    bytes[7] === 0x0a
  ) {
    return 'image/png';
  }
  if (
    bytes.length >= 12 &&
    String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!) === 'RIFF' &&
    String.fromCharCode(bytes[8]!, bytes[9]!, bytes[10]!, bytes[11]!) === 'WEBP'
  ) {
    return 'image/webp';
  }
  return null;
}

/** Width and height from a JPEG's SOF or a PNG's IHDR; 0×0 when they cannot be read. */
export function imageSize(bytes: Uint8Array, type: FrameContentType): { width: number; height: number } {
  const none = { width: 0, height: 0 };
  if (type === 'image/png') {
    if (bytes.length < 24) return none;
    const v = new DataView(bytes.buffer, bytes.byteOffset, 24);
    return { width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (type === 'image/jpeg') {
    // Walk the markers to the first start-of-frame (C0-CF but C4, C8, CC), bounded by the buffer.
    let i = 2;
    while (i + 9 < bytes.length) {
      if (bytes[i] !== 0xff) return none;
      const marker = bytes[i + 1]!;
      const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: (bytes[i + 5]! << 8) | bytes[i + 6]!, width: (bytes[i + 7]! << 8) | bytes[i + 8]! };
      }
      if (length < 2) return none;
      i += 2 + length;
    }
  }
  return none;
}
