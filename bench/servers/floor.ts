/**
 * The floor: the least a Node server can do per recipient. Same handshake check, then one pre-built
 * frame written straight to each TCP socket; frames of one event-loop turn joined into one write.
 */
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { createRestServer, makeVerifier, serve, welcomeFrame } from './common.ts';

const verify = makeVerifier(process.env.BENCH_SECRET!);
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const sockets = new Set<Socket>();
let pending: Buffer[] = [];

function frame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + n);
  out[0] = 0x81;
  if (n < 126) out[1] = n;
  else if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(0, 2);
    out.writeUInt32BE(n, 6);
  }
  payload.copy(out, head);
  return out;
}

function writeAll(buf: Buffer): void {
  for (const s of sockets) s.write(buf);
}

function flush(): void {
  const bufs = pending;
  pending = [];
  writeAll(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
}

const server = createRestServer(verify, () => ({
  event(message) {
    if (pending.length === 0) setImmediate(flush);
    pending.push(frame(JSON.stringify(message)));
  },
  statistics(message) {
    const start = process.hrtime.bigint();
    writeAll(frame(JSON.stringify(message)));
    return Number(process.hrtime.bigint() - start) / 1e6;
  },
}));

server.on('upgrade', (req, socket: Socket) => {
  socket.on('error', () => socket.destroy());
  const q = (req.url ?? '').indexOf('?');
  const token = new URLSearchParams(q < 0 ? '' : req.url!.slice(q + 1)).get('token');
  const key = req.headers['sec-websocket-key'];
  if (verify(token) === null || typeof key !== 'string') {
    socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  socket.setNoDelay(true);
  socket.write(
    Buffer.concat([
      Buffer.from(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      ),
      frame(welcomeFrame()),
    ]),
  );
  sockets.add(socket);
  socket.on('data', () => {}); // pongs and the like: read and dropped
  socket.once('close', () => sockets.delete(socket));
});

serve(server);
