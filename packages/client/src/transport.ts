/**
 * @module transport
 * One WebSocket attempt. The client creates a new `Transport` (with a new id) for every
 * attempt and ignores callbacks whose id is not the current one, so a stale socket can never
 * touch the state of a newer one. Works with the browser's WebSocket and with `ws` in Node.
 */
import type { ServerMessage } from '@openeye/protocol';
import { WS_PATH } from '@openeye/protocol/constants';

/** The part of a WebSocket the client uses: the browser's `WebSocket` and `ws` both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket implementation: `globalThis.WebSocket` in browsers, `ws` (default export) in Node 20. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The handler properties both implementations have; kept out of `WebSocketLike` so both types are assignable. */
interface SocketHandlers {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

const OPEN = 1;

/** Receives what happens on a transport; the transport passes itself so the receiver can check its id. */
export interface TransportSink {
  onMessage(transport: Transport, message: ServerMessage): void;
  /** A binary message (a camera frame). */
  onBinary?(transport: Transport, data: Uint8Array): void;
  onClose(transport: Transport, code: number, reason: string): void;
}

export class Transport {
  readonly id: number;
  readonly #socket: WebSocketLike & SocketHandlers;

  /**
   * Opens the socket at once; `firstMessage` (the `auth` message of `?auth=message`) is sent as
   * soon as it is open. Throws when the implementation refuses the URL.
   */
  constructor(id: number, url: string, Impl: WebSocketConstructor, sink: TransportSink, firstMessage?: object) {
    this.id = id;
    const socket = new Impl(url) as WebSocketLike & SocketHandlers;
    this.#socket = socket;
    // An attempt succeeds only when the welcome arrives; opening only sends the token, if asked.
    socket.onopen = firstMessage ? () => this.send(firstMessage) : null;
    // Binary messages (camera frames) as ArrayBuffers, in browsers and in ws alike.
    (socket as { binaryType?: string }).binaryType = 'arraybuffer';
    socket.onmessage = (event) => {
      const data = event.data;
      if (typeof data !== 'string') {
        const bytes = binaryOf(data);
        if (bytes) sink.onBinary?.(this, bytes);
        return;
      }
      const message = parseServerMessage(data);
      if (message !== null) sink.onMessage(this, message);
    };
    socket.onclose = (event) => {
      this.#detach();
      sink.onClose(this, event.code, event.reason);
    };
    // Errors are always followed by a close event; the handler must exist (`ws` throws on an unhandled error).
    socket.onerror = () => {};
  }

  /** Sends one JSON message; false when the socket is not open. */
  send(message: object): boolean {
    if (this.#socket.readyState !== OPEN) return false;
    try {
      this.#socket.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  /** Stops listening and closes the socket; no callback reaches the sink afterwards. */
  close(code = 1000, reason = ''): void {
    this.#detach();
    try {
      this.#socket.close(code, reason);
    } catch {
      // Already closing, or never opened: nothing to do.
    }
  }

  #detach(): void {
    this.#socket.onopen = null;
    this.#socket.onmessage = null;
    this.#socket.onclose = null;
    this.#socket.onerror = () => {};
  }
}

function binaryOf(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

/** Parses a text frame into a server message; null for binary data, invalid JSON or a value without `type`. */
export function parseServerMessage(data: unknown): ServerMessage | null {
  if (typeof data !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  if (typeof (value as { type?: unknown }).type !== 'string') return null;
  return value as ServerMessage;
}

/**
 * The socket URL for an http(s) (or ws(s)) base URL:
 * `ws(s)://host[/prefix]/api/ws/statistics?auth=message&last_event_id=...` (the token follows as
 * the first message), or with `token=...` in the URL when `tokenInUrl`.
 */
export function buildSocketUrl(
  baseUrl: string,
  token: string | null,
  lastEventId: string | null,
  tokenInUrl = false,
  subscribe: readonly string[] = [],
): string {
  const url = new URL(baseUrl.replace(/\/+$/, '') + WS_PATH);
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  if (token) url.searchParams.set(tokenInUrl ? 'token' : 'auth', tokenInUrl ? token : 'message');
  if (lastEventId !== null) url.searchParams.set('last_event_id', lastEventId);
  if (subscribe.length > 0) url.searchParams.set('subscribe', subscribe.join(','));
  return url.toString();
}
