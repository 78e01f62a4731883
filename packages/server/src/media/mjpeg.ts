/**
 * MJPEG over HTTP: a `multipart/x-mixed-replace` body, one image per part, read as it streams.
 *
 *   --frame\r\n
 *   Content-Type: image/jpeg\r\n
 *   Content-Length: 48213\r\n          (optional: without it the part ends at the next boundary)
 *   \r\n
 *   <image bytes>\r\n
 *   --frame\r\n ...
 *
 * Tolerant of what cameras send: a boundary given with or without its leading `--`, bare `\n` line
 * ends, parts without Content-Length (found by scanning for the boundary), parts with no header
 * block at all (the image right after the boundary line), bytes between parts. Strict about memory:
 * a part may have at most `maxPartBytes` (the stream is refused as soon as one passes it, before it
 * is read whole), headers at most 8 KiB, and the bytes skipped between two parts at most
 * `maxPartBytes`. A part the caller does not want (`wanted()` says no when it begins) is skipped
 * without being kept.
 */

export type MjpegErrorKind = 'too_large' | 'bad_stream' | 'closed';

export class MjpegError extends Error {
  override name = 'MjpegError';
  constructor(
    readonly kind: MjpegErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** The boundary of a `multipart/x-mixed-replace` (or any `multipart/*`) Content-Type, without leading `--`. */
export function boundaryOf(contentType: string | undefined): string | null {
  if (!contentType || !/^\s*multipart\//i.test(contentType)) return null;
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const raw = m?.[1] ?? m?.[2];
  if (!raw) return null;
  const boundary = raw.replace(/^--/, '');
  return boundary.length > 0 && boundary.length <= 200 ? boundary : null;
}

const MAX_HEADER_BYTES = 8 * 1024;
const CR = 0x0d;
const LF = 0x0a;

type State =
  /** Looking for the next delimiter (before the first part, and between parts). */
  | { name: 'seek'; skipped: number }
  /** After the delimiter: the rest of its line (`--` there closes the stream). */
  | { name: 'delimiter' }
  | { name: 'headers'; size: number; contentType: string | null; contentLength: number | null }
  /** A body of known length; `chunks` null when the part is skipped. */
  | { name: 'body'; remaining: number; size: number; chunks: Buffer[] | null; contentType: string | null }
  /** A body without length: up to the next delimiter. */
  | { name: 'scan'; size: number; chunks: Buffer[] | null; contentType: string | null }
  | { name: 'end' };

export interface MjpegHandlers {
  /** Asked as a part's body begins: false skips it (frames beyond the fps wanted). */
  wanted(): boolean;
  /** A whole part that was wanted: its bytes and the Content-Type it declared. */
  part(body: Buffer, contentType: string | null): void;
}

export class MjpegParser {
  private readonly delimiter: Buffer;
  private buf: Buffer = Buffer.alloc(0);
  private state: State = { name: 'seek', skipped: 0 };

  constructor(
    boundary: string,
    private readonly maxPartBytes: number,
    private readonly handlers: MjpegHandlers,
  ) {
    this.delimiter = Buffer.from(`--${boundary}`, 'latin1');
  }

  /** Whether the stream is between parts (a close here loses no image). */
  get betweenParts(): boolean {
    return this.state.name === 'seek' || this.state.name === 'end';
  }

  /** Feeds bytes as they arrive; throws `MjpegError` when the stream breaks a rule. */
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.step()) {
      // each step consumes what it can; false when it needs more bytes
    }
  }

  /** The stream ended: an error when it ended inside a part. */
  finish(): void {
    if (!this.betweenParts) throw new MjpegError('closed', 'the stream ended in the middle of a part');
  }

  private step(): boolean {
    const s = this.state;
    switch (s.name) {
      case 'end':
        this.buf = Buffer.alloc(0);
        return false;
      case 'seek': {
        const at = this.buf.indexOf(this.delimiter);
        if (at < 0) {
          // Keep what could be the start of a delimiter split across chunks.
          const keep = Math.min(this.buf.length, this.delimiter.length - 1);
          s.skipped += this.buf.length - keep;
          this.buf = this.buf.subarray(this.buf.length - keep);
          if (s.skipped > this.maxPartBytes) throw new MjpegError('bad_stream', 'no multipart boundary in the stream');
          return false;
        }
        s.skipped += at;
        if (s.skipped > this.maxPartBytes) throw new MjpegError('bad_stream', 'no multipart boundary in the stream');
        this.buf = this.buf.subarray(at + this.delimiter.length);
        this.state = { name: 'delimiter' };
        return true;
      }
      case 'delimiter': {
        if (this.buf.length >= 2 && this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
          this.state = { name: 'end' };
          return true;
        }
        const lf = this.buf.indexOf(LF);
        if (lf < 0) {
          if (this.buf.length > 1024) throw new MjpegError('bad_stream', 'a boundary line without an end');
          return false;
        }
        this.buf = this.buf.subarray(lf + 1);
        this.state = { name: 'headers', size: 0, contentType: null, contentLength: null };
        return true;
      }
      case 'headers': {
        // A camera that sends the image right after the boundary line, with no header block.
        if (s.size === 0 && this.buf.length >= 2 && this.buf[0] === 0xff && this.buf[1] === 0xd8) {
          this.beginBody(null, null);
          return true;
        }
        const lf = this.buf.indexOf(LF);
        if (lf < 0) {
          if (s.size + this.buf.length > MAX_HEADER_BYTES) {
            throw new MjpegError('bad_stream', 'part headers larger than 8 KiB');
          }
          return false;
        }
        s.size += lf + 1;
        if (s.size > MAX_HEADER_BYTES) throw new MjpegError('bad_stream', 'part headers larger than 8 KiB');
        const end = lf > 0 && this.buf[lf - 1] === CR ? lf - 1 : lf;
        const line = this.buf.toString('latin1', 0, end);
        this.buf = this.buf.subarray(lf + 1);
        if (line === '') {
          this.beginBody(s.contentType, s.contentLength);
          return true;
        }
        const colon = line.indexOf(':');
        if (colon > 0) {
          const name = line.slice(0, colon).trim().toLowerCase();
          const value = line.slice(colon + 1).trim();
          if (name === 'content-type') s.contentType = value;
          else if (name === 'content-length' && /^\d{1,10}$/.test(value)) s.contentLength = Number(value);
        }
        return true;
      }
      case 'body': {
        if (this.buf.length === 0) return false;
        const take = Math.min(s.remaining, this.buf.length);
        s.chunks?.push(this.buf.subarray(0, take));
        s.remaining -= take;
        this.buf = this.buf.subarray(take);
        if (s.remaining > 0) return false;
        if (s.chunks) this.handlers.part(Buffer.concat(s.chunks, s.size), s.contentType);
        this.state = { name: 'seek', skipped: 0 };
        return true;
      }
      case 'scan': {
        const at = this.buf.indexOf(this.delimiter);
        const upto = at >= 0 ? at : Math.max(0, this.buf.length - (this.delimiter.length - 1));
        s.size += upto;
        if (s.size > this.maxPartBytes + 2) {
          throw new MjpegError('too_large', `a part larger than ${this.maxPartBytes} bytes`);
        }
        if (upto > 0) s.chunks?.push(this.buf.subarray(0, upto));
        this.buf = this.buf.subarray(upto);
        if (at < 0) return false;
        if (s.chunks) {
          let body = Buffer.concat(s.chunks, s.size);
          // The line end before the delimiter belongs to the boundary, not to the image.
          if (body.length > 0 && body[body.length - 1] === LF) body = body.subarray(0, body.length - 1);
          if (body.length > 0 && body[body.length - 1] === CR) body = body.subarray(0, body.length - 1);
          if (body.length > this.maxPartBytes) {
            throw new MjpegError('too_large', `a part larger than ${this.maxPartBytes} bytes`);
          }
          this.handlers.part(body, s.contentType);
        }
        this.state = { name: 'seek', skipped: 0 };
        return true;
      }
    }
  }

  private beginBody(contentType: string | null, contentLength: number | null): void {
    if (contentLength !== null && contentLength > this.maxPartBytes) {
      throw new MjpegError('too_large', `a part of ${contentLength} bytes (at most ${this.maxPartBytes})`);
    }
    const chunks = this.handlers.wanted() ? [] : null;
    this.state =
      contentLength === null
        ? { name: 'scan', size: 0, chunks, contentType }
        : { name: 'body', remaining: contentLength, size: contentLength, chunks, contentType };
    if (contentLength === 0) {
      // An empty part: nothing to read; the caller is told (it is not an image).
      if (chunks) this.handlers.part(Buffer.alloc(0), contentType);
      this.state = { name: 'seek', skipped: 0 };
    }
  }
}
