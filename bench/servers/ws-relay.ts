/**
 * A plain `ws` 8 camera relay, the media scenario's peer: the JWT checked before the upgrade, the
 * same text commands as ours (`publish`, `watch`, `unwatch`), and every binary frame a publisher sends
 * (the 24-byte header of protocol.md section 8, then the image) passed on as is to every watcher of
 * its camera with `ws.send`. Nothing else: no fps cap, no latest-frame-wins, no flow control, so a
 * slow viewer's frames wait in its send buffer (`ws` queues them all).
 */
import { type WebSocket, WebSocketServer } from 'ws';
import { createRestServer, makeVerifier, serve, welcomeFrame } from './common.ts';

const verify = makeVerifier(process.env.BENCH_SECRET!);
const watchers = new Map<number, Set<WebSocket>>();
const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  clientTracking: false,
  maxPayload: 2 * 1024 * 1024,
});

const server = createRestServer(verify, () => ({
  event() {},
  statistics() {
    return 0;
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
    const watching = new Set<number>();
    const publishing = new Set<number>();
    ws.on('error', () => ws.terminate());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        if (data.length < 24) return;
        const cameraId = data.readUInt32BE(4);
        if (!publishing.has(cameraId)) return;
        for (const viewer of watchers.get(cameraId) ?? []) viewer.send(data, { binary: true });
        return;
      }
      let msg: { type?: string; camera_id?: number };
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        return;
      }
      const id = Number(msg.camera_id);
      if (!Number.isInteger(id) || id <= 0) return;
      if (msg.type === 'publish') publishing.add(id);
      else if (msg.type === 'watch') {
        watching.add(id);
        let set = watchers.get(id);
        if (!set) {
          set = new Set();
          watchers.set(id, set);
        }
        set.add(ws);
      } else if (msg.type === 'unwatch') {
        watching.delete(id);
        watchers.get(id)?.delete(ws);
      }
      if (msg.type === 'watch' || msg.type === 'unwatch')
        ws.send(JSON.stringify({ type: 'watching', cameras: [...watching].map((c) => ({ camera_id: c })) }));
    });
    ws.once('close', () => {
      for (const id of watching) watchers.get(id)?.delete(ws);
    });
    ws.send(welcomeFrame());
  });
});

serve(server);
