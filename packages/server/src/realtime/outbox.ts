/**
 * The outbox: how frames reach sockets. A broadcast is framed once and the same buffer is queued
 * on every recipient; at the end of the event-loop turn each connection's frames are written in
 * one write straight to its TCP socket (connections that got the same frames share one joined
 * buffer). After the write, a connection whose send buffer passed the bound is closed 1013.
 *
 * The only code that knows `ws` internals (the socket under a WebSocket).
 */
import type { Socket } from 'node:net';
import { CloseCode, CloseReason } from '@openeye/protocol';
import type { Logger } from '../logger.js';
import type { HubMetrics } from '../ops/metrics.js';
import type { Compressor } from './compression.js';
import type { Connection } from './connection.js';
import { textFrame } from './frame.js';

export class Outbox {
  private dirty: Connection[] = [];
  private flushScheduled = false;
  /** The frames of the previous connection flushed in this turn, and them joined into one buffer. */
  private lastJoinedFrom: Buffer[] | null = null;
  private lastJoined: Buffer | null = null;

  constructor(
    private readonly maxBufferedBytes: number,
    private readonly log: Logger,
    private readonly metrics: HubMetrics,
    /** Compresses JSON frames for connections that negotiated permessage-deflate (null: off). */
    private readonly compressor: Compressor | null = null,
  ) {}

  /** Queues a frame (or a text, framed here) for `conn`; written at the end of this turn. */
  send(conn: Connection, frame: Buffer | string): void {
    this.queue(conn, typeof frame === 'string' ? textFrame(frame) : frame);
    this.flushSoon();
  }

  /**
   * Queues a frame for `conn` without scheduling the write: for a broadcast, which queues the same
   * frame on each recipient and then calls `flushSoon` once. The per-recipient path stays this small
   * on purpose: V8 compiles it while the first large fan-out runs, on the CPU that does the writes.
   */
  queue(conn: Connection, frame: Buffer): void {
    if (conn.closing) return;
    const buf = conn.deflate && this.compressor ? this.compressor.variant(frame) : frame;
    const out = conn.outbox;
    if (out === null) {
      conn.outbox = buf;
      this.dirty.push(conn);
    } else if (Array.isArray(out)) out.push(buf);
    else conn.outbox = [out, buf];
    conn.sent++;
  }

  /** Writes what is queued at the end of this event-loop turn. */
  flushSoon(): void {
    if (!this.flushScheduled && this.dirty.length > 0) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Whether `conn` is far behind (its send buffer over half the bound): skip state updates for it. */
  isBehind(conn: Connection): boolean {
    return this.backlog(conn) >= this.maxBufferedBytes / 2;
  }

  /** Bytes of events and other JSON waiting in the send buffer (camera frames in flight excluded). */
  private backlog(conn: Connection): number {
    return conn.ws.bufferedAmount - conn.mediaInFlight;
  }

  /**
   * Writes camera frames (prebuilt binary frames, shared by every viewer) and the media ping that
   * follows them now, after whatever JSON is queued for this turn, in one write (the socket is
   * corked). Their bytes are not held against the connection until written out.
   */
  writeMedia(conn: Connection, wires: Buffer[], bytes: number, ping: Buffer | null): boolean {
    const socket = this.socketOf(conn);
    if (!socket || conn.closing) return false;
    socket.cork();
    this.flushConnection(conn);
    if (conn.closing) {
      socket.uncork();
      return false;
    }
    if (bytes > 0) {
      conn.mediaInFlight += bytes;
      const last = wires.length - 1;
      for (let i = 0; i < last; i++) socket.write(wires[i]!);
      socket.write(wires[last]!, () => {
        conn.mediaInFlight -= bytes;
      });
    }
    if (ping) socket.write(ping);
    socket.uncork();
    return true;
  }

  private socketOf(conn: Connection): Socket | null {
    const socket = (conn.ws as unknown as { _socket: Socket | null })._socket;
    return socket && !socket.destroyed && conn.ws.readyState === conn.ws.OPEN ? socket : null;
  }

  /** Closes `conn` after what was queued for it (so an `error` precedes the close frame). */
  close(conn: Connection, code: number, reason: string): void {
    if (conn.closing) return;
    this.flushConnection(conn);
    conn.closing = true;
    conn.ws.close(code, reason);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const start = process.hrtime.bigint();
    const dirty = this.dirty;
    this.dirty = [];
    for (const conn of dirty) this.flushConnection(conn);
    this.lastJoinedFrom = null;
    this.lastJoined = null;
    this.metrics.flushSeconds.observe(Number(process.hrtime.bigint() - start) / 1e9);
  };

  /**
   * Several frames for one socket become one buffer, so the socket sees one write. Connections that
   * got the same frames in the same turn (a burst of broadcasts) share the joined buffer: it is built
   * once per distinct sequence, not once per recipient.
   */
  private joined(frames: Buffer[]): Buffer {
    const prev = this.lastJoinedFrom;
    if (prev !== null && prev.length === frames.length) {
      let same = true;
      for (let i = 0; i < frames.length; i++) {
        if (prev[i] !== frames[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastJoined!;
    }
    const joined = Buffer.concat(frames);
    this.lastJoinedFrom = frames;
    this.lastJoined = joined;
    return joined;
  }

  private flushConnection(conn: Connection): void {
    const out = conn.outbox;
    if (out === null) return;
    conn.outbox = null;
    const socket = this.socketOf(conn);
    if (!socket) return;
    socket.write(Array.isArray(out) ? this.joined(out) : out);
    if (!conn.closing && this.backlog(conn) > this.maxBufferedBytes) {
      this.log.warn(
        { event: 'ws.slow', conn: conn.id, user: conn.userId, buffered_bytes: this.backlog(conn) },
        'slow consumer closed',
      );
      this.metrics.slowConsumerCloses.inc();
      this.close(conn, CloseCode.TRY_AGAIN_LATER, CloseReason.TOO_SLOW);
    }
  }
}
