/**
 * Raw WebSocket over a plain `net` socket, for the hostile cases no client library can produce:
 * the upgrade written by hand, client frames built (and masked, or not) byte by byte, server
 * frames parsed from the wire. Plus an observer that checks the server kept serving others.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { expect } from 'vitest';
import { waitFor } from '../../../../test/support/wait.js';
import type { TestServer } from '../../src/testing.js';
import { api, connect, type TestClient } from '../helpers.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** Milliseconds from the end of the request to the status line. */
  ms: number;
}

export interface ServerFrame {
  fin: boolean;
  /** RSV1: the payload is compressed (permessage-deflate). */
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
}

export interface RawSocket {
  socket: net.Socket;
  response: RawResponse;
  frames: ServerFrame[];
  send(bytes: Buffer): void;
  /** Next frame with `opcode` (8 close, 1 text, 10 pong) within `timeoutMs`. */
  next(opcode: number, timeoutMs?: number): Promise<ServerFrame>;
  /** The close code the server sent (0 when the socket ended without a close frame). */
  closeCode(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  ended: Promise<void>;
  destroy(): void;
}

/** A client frame: masked unless `mask: false`; `rsv` is the 3 reserved bits (0..7). */
export function frame(
  opcode: number,
  payload: Buffer | string = Buffer.alloc(0),
  opts: { fin?: boolean; rsv?: number; mask?: boolean; declaredLength?: number } = {},
): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const fin = opts.fin ?? true;
  const mask = opts.mask ?? true;
  const len = opts.declaredLength ?? data.length;
  const head: number[] = [(fin ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 255);
  else {
    head.push(m | 127, 0, 0, 0, 0);
    head.push((len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = randomBytes(4);
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) masked[i] = data[i]! ^ key[i % 4]!;
  return Buffer.concat([Buffer.from(head), key, masked]);
}

export const text = (s: string | Buffer, opts?: Parameters<typeof frame>[2]) => frame(0x1, s, opts);
export const closeFrame = (code: number, reason = '') => {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return frame(0x8, b);
};

/** Sends an HTTP request by hand; resolves with the status and headers, the socket left open. */
export function rawRequest(port: number, lines: string[], body = ''): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    let response: RawResponse | null = null;
    const frames: ServerFrame[] = [];
    const consumed = new Map<number, number>();
    const waiters = new Set<() => void>();
    let sentAt = 0;
    const ended = new Promise<void>((r) => {
      socket.once('close', () => {
        for (const w of waiters) w();
        r();
      });
    });
    socket.on('error', () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no HTTP response within 5 s'));
    }, 5000);
    socket.once('connect', () => {
      socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
      sentAt = performance.now();
    });
    socket.on('close', () => {
      if (!response) {
        clearTimeout(timer);
        reject(new Error(`socket closed before a response: ${buf.toString('latin1').slice(0, 200)}`));
      }
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!response) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of head.slice(1)) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        response = { status: Number(head[0]!.split(' ')[1]), headers, ms: performance.now() - sentAt };
        buf = buf.subarray(end + 4);
        clearTimeout(timer);
        resolve(raw);
      }
      // Server frames are never masked.
      for (;;) {
        if (buf.length < 2) break;
        let len = buf[1]! & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) break;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) break;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) break;
        frames.push({
          fin: (buf[0]! & 0x80) !== 0,
          rsv1: (buf[0]! & 0x40) !== 0,
          opcode: buf[0]! & 0x0f,
          payload: buf.subarray(off, off + len),
        });
        buf = buf.subarray(off + len);
      }
      for (const w of waiters) w();
    });
    const raw: RawSocket = {
      socket,
      get response() {
        return response!;
      },
      frames,
      ended,
      send(bytes) {
        if (!socket.destroyed) socket.write(bytes);
      },
      next(opcode, timeoutMs = 3000) {
        return new Promise((res, rej) => {
          const check = () => {
            const skip = consumed.get(opcode) ?? 0;
            const f = frames.filter((x) => x.opcode === opcode)[skip];
            if (f) {
              consumed.set(opcode, skip + 1);
              waiters.delete(check);
              clearTimeout(t);
              res(f);
            } else if (socket.destroyed) {
              waiters.delete(check);
              clearTimeout(t);
              rej(new Error(`socket closed before a frame with opcode ${opcode}`));
            }
          };
          const t = setTimeout(() => {
            waiters.delete(check);
            rej(new Error(`no frame with opcode ${opcode} within ${timeoutMs} ms`));
          }, timeoutMs);
          waiters.add(check);
          check();
        });
      },
      async closeCode(timeoutMs = 3000) {
        const f = await raw.next(0x8, timeoutMs).catch(() => null);
        if (!f) return { code: 0, reason: '' };
        return {
          code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005,
          reason: f.payload.subarray(2).toString(),
        };
      },
      destroy() {
        socket.destroy();
      },
    };
  });
}

export function upgradeLines(
  path: string,
  extra: string[] = [],
  opts: { key?: string | null; version?: string | null } = {},
): string[] {
  const key = opts.key === undefined ? randomBytes(16).toString('base64') : opts.key;
  const version = opts.version === undefined ? '13' : opts.version;
  return [
    `GET ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    ...(key === null ? [] : [`Sec-WebSocket-Key: ${key}`]),
    ...(version === null ? [] : [`Sec-WebSocket-Version: ${version}`]),
    ...extra,
  ];
}

/** Upgrades with `token`, then waits for the welcome (a text frame). */
export async function rawConnect(t: TestServer, token: string, extra: string[] = []): Promise<RawSocket> {
  const raw = await rawRequest(t.port, upgradeLines(`/api/ws/statistics?token=${encodeURIComponent(token)}`, extra));
  expect(raw.response.status).toBe(101);
  const welcome = await raw.next(0x1);
  expect(JSON.parse(welcome.payload.toString()).type).toBe('connection_status');
  return raw;
}

/** An ordinary client that records when each statistics_update arrives. */
export interface Observer {
  client: TestClient;
  times: number[];
  /** The server is up and this client still gets statistics (a fresh one within 2.5 s, gaps < 6 s). */
  assertServing(): Promise<void>;
  close(): void;
}

export async function observe(t: TestServer, username = 'observer'): Promise<Observer> {
  const client = connect(t.url, { token: await t.tokenFor(username, 'viewer') });
  await client.next('connection_status');
  const times: number[] = [];
  client.ws.on('message', (d) => {
    if (String(d).startsWith('{"type":"statistics_update"')) times.push(Date.now());
  });
  return {
    client,
    times,
    async assertServing() {
      expect(client.ws.readyState).toBe(client.ws.OPEN);
      const before = times.length;
      await waitFor(() => times.length > before, 'a fresh statistics_update at the observer', 2500);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThan(6000);
      expect((await api(t.url, 'GET', '/healthz')).status).toBe(200);
    },
    close() {
      client.close();
    },
  };
}

/** Log lines (parsed) whose `event` is `event`. */
export function logEvents(t: TestServer, event: string): Array<Record<string, unknown>> {
  return t.logs
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((l) => l.event === event);
}
