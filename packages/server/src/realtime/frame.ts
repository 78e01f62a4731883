import {
  FRAME_HEADER_BYTES,
  type FrameHeader,
  type Statistics,
  statisticsMessage,
  writeFrameHeader,
} from '@openeye/protocol';

/** The `statistics_update` message for `data`, stamped now and framed. */
export function statisticsFrame(data: Statistics): Buffer {
  return textFrame(JSON.stringify(statisticsMessage(data)));
}

/** The length of the RFC 6455 header of an unmasked server frame with `length` payload bytes. */
function headerLength(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

function writeHeader(frame: Buffer, opcode: number, length: number): void {
  frame[0] = 0x80 | opcode;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
}

/**
 * A server-to-client WebSocket text frame (RFC 6455 section 5.2: FIN, opcode 1, unmasked), built
 * once per message and written as is to every recipient's socket.
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const offset = headerLength(length);
  const frame = Buffer.allocUnsafe(offset + length);
  writeHeader(frame, 0x1, length);
  frame.write(text, offset, 'utf8');
  return frame;
}

/**
 * A camera frame as one binary WebSocket frame (opcode 2): the WebSocket header, the 24-byte
 * frame header of protocol.md section 7, then the image. Built once, written to every viewer.
 */
export function cameraFrame(header: FrameHeader, image: Uint8Array): Buffer {
  const length = FRAME_HEADER_BYTES + image.byteLength;
  const offset = headerLength(length);
  const frame = Buffer.allocUnsafe(offset + length);
  writeHeader(frame, 0x2, length);
  writeFrameHeader(frame.subarray(offset), header);
  frame.set(image, offset + FRAME_HEADER_BYTES);
  return frame;
}
