/** WebSocket framing for the bench's raw-socket clients (generator.ts, media-load.ts): RFC 6455 §5.2. */

/** A masked client frame (mask key 0: valid, and the payload goes out unchanged). */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 6 : n < 65536 ? 8 : 14;
  const out = Buffer.alloc(head + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(n, 6);
  }
  payload.copy(out, head);
  return out;
}

/** A server frame's header, read in place (one object reused per reader: no allocation per frame). */
export interface FrameHeader {
  op: number;
  rsv1: boolean;
  /** Payload length (up to 2^32 - 1). */
  len: number;
  /** Header length: 2, 4 or 10 (server frames are not masked). */
  hl: number;
}

/** Reads the header at `buf[i]` into `h`; false when fewer bytes than the header are there yet. */
export function readHeader(buf: Buffer, i: number, h: FrameHeader): boolean {
  const n = buf.length;
  if (n - i < 2) return false;
  h.op = buf[i]! & 0x0f;
  h.rsv1 = (buf[i]! & 0x40) !== 0;
  const len = buf[i + 1]! & 0x7f;
  if (len === 126) {
    if (n - i < 4) return false;
    h.len = buf.readUInt16BE(i + 2);
    h.hl = 4;
  } else if (len === 127) {
    if (n - i < 10) return false;
    h.len = buf.readUInt32BE(i + 6);
    h.hl = 10;
  } else {
    h.len = len;
    h.hl = 2;
  }
  return true;
}
