/** Plain `ws` 8: JWT checked before the upgrade, JSON.stringify per client on each event. */
import { type WebSocket, WebSocketServer } from 'ws';
import { createRestServer, makeVerifier, serve, welcomeFrame } from './common.ts';

const verify = makeVerifier(process.env.BENCH_SECRET!);
const clients = new Set<WebSocket>();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });

const server = createRestServer(verify, () => ({
  event(message) {
    for (const ws of clients) ws.send(JSON.stringify(message));
  },
  statistics(message) {
    const start = process.hrtime.bigint();
    for (const ws of clients) ws.send(JSON.stringify(message));
    return Number(process.hrtime.bigint() - start) / 1e6;
  },
}));

server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  const q = (req.url ?? '').indexOf('?');
  const token = new URLSearchParams(q < 0 ? '' : req.url!.slice(q + 1)).get('token');
  if (verify(token) === null) {
    socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    clients.add(ws);
    ws.on('error', () => ws.terminate());
    ws.once('close', () => clients.delete(ws));
    ws.send(welcomeFrame());
  });
});

serve(server);
