/** Small pieces of the WebSocket handshake (endpoint.ts) that need no state. */
import type { Duplex } from 'node:stream';
import { parseClientMessage } from '@openeye/protocol';
import type { WebSocket } from 'ws';

/**
 * The token of a first message `{"type":"auth","token":…}` sent within `ms`; null when the first
 * message is anything else, or none comes. The messages after it go to `then` from the moment it
 * is read (a client may send them in the same TCP segment).
 */
export function firstMessageToken(
  ws: WebSocket,
  ms: number,
  then: (data: Buffer, isBinary: boolean) => void,
): Promise<string | null> {
  return new Promise((resolve) => {
    const done = (token: string | null) => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      if (token !== null) ws.on('message', then);
      resolve(token);
    };
    const onMessage = (data: Buffer, isBinary: boolean) => {
      const parsed = isBinary ? null : parseClientMessage(data.toString('utf8'));
      done(parsed?.ok && parsed.message.type === 'auth' ? parsed.message.token : null);
    };
    const onClose = () => done(null);
    const timer = setTimeout(() => done(null), ms);
    ws.on('message', onMessage);
    ws.once('close', onClose);
  });
}

/** Listeners that live as long as the connection: plain functions, no closure over the request. */
export function destroySocket(this: Duplex): void {
  this.destroy();
}

export function terminateSocket(this: WebSocket): void {
  this.terminate();
}

/** Refuses an upgrade with a bare HTTP status. */
export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
  socket.destroy();
}

/** `p`, or 'timeout' after `ms`. */
export async function withBudget<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
