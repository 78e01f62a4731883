/**
 * permessage-deflate (RFC 7692) for JSON text frames, compressed once per message for every
 * connection that negotiated it. Both sides are held to no context takeover, so the compressed
 * bytes of a message do not depend on the connection: the frame is built once and shared, like the
 * plain one, and no connection keeps a deflate context. Camera frames (binary) are never compressed.
 */
import { constants, deflateRawSync } from 'node:zlib';

/** What the server offers and accepts in the handshake (ws's PerMessageDeflate options). */
export function deflateOffer(windowBits: number, threshold: number) {
  return {
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: windowBits,
    clientMaxWindowBits: windowBits,
    threshold,
    // Inbound only (ws inflates what a client compressed); outbound frames are built below.
    concurrencyLimit: 4,
  };
}

export class Compressor {
  /** The compressed variant of each plain frame, built on first use, dropped with the frame. */
  private readonly variants = new WeakMap<Buffer, Buffer>();

  constructor(
    private readonly windowBits: number,
    private readonly threshold: number,
  ) {}

  /** The frame to write to a connection that negotiated permessage-deflate. */
  variant(frame: Buffer): Buffer {
    // Text frames only (FIN + opcode 1, no RSV bits), at least the threshold.
    if (frame[0] !== 0x81) return frame;
    const cached = this.variants.get(frame);
    if (cached) return cached;
    const { offset, length } = payloadOf(frame);
    const out = length < this.threshold ? frame : this.compress(frame.subarray(offset, offset + length));
    this.variants.set(frame, out);
    return out;
  }

  private compress(payload: Buffer): Buffer {
    const deflated = deflateRawSync(payload, {
      windowBits: this.windowBits,
      memLevel: 8,
      level: constants.Z_DEFAULT_COMPRESSION,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    // RFC 7692 7.2.1: the trailing empty block (00 00 ff ff) is removed.
    const body = deflated.subarray(0, deflated.length - 4);
    const headerLength = body.length < 126 ? 2 : body.length < 65536 ? 4 : 10;
    const out = Buffer.allocUnsafe(headerLength + body.length);
    out[0] = 0xc1; // FIN, RSV1 (compressed), text
    if (body.length < 126) out[1] = body.length;
    else if (body.length < 65536) {
      out[1] = 126;
      out.writeUInt16BE(body.length, 2);
    } else {
      out[1] = 127;
      out.writeUInt32BE(Math.floor(body.length / 2 ** 32), 2);
      out.writeUInt32BE(body.length >>> 0, 6);
    }
    body.copy(out, headerLength);
    return out;
  }
}

function payloadOf(frame: Buffer): { offset: number; length: number } {
  const len = frame[1]! & 0x7f;
  if (len < 126) return { offset: 2, length: len };
  if (len === 126) return { offset: 4, length: frame.readUInt16BE(2) };
  return { offset: 10, length: frame.readUInt32BE(2) * 2 ** 32 + frame.readUInt32BE(6) };
}
