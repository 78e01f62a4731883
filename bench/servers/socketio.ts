/** Socket.IO 4.8: websocket transport, a JWT middleware, `io.emit`. */
import { Server } from 'socket.io';
import { createRestServer, makeVerifier, serve } from './common.ts';

const verify = makeVerifier(process.env.BENCH_SECRET!);
let io: Server;
const server = createRestServer(verify, () => ({
  event(message) {
    io.emit('camera_event', message);
  },
  statistics(message) {
    const start = process.hrtime.bigint();
    io.emit('statistics_update', message);
    return Number(process.hrtime.bigint() - start) / 1e6;
  },
}));
io = new Server(server, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
io.use((socket, next) => {
  if (verify(socket.handshake.auth?.token) === null) next(new Error('Invalid token'));
  else next();
});
io.on('connection', () => {});

serve(server);
