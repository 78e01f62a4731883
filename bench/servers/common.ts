/**
 * What the three comparison servers share: the same HS256 check as ours (node:crypto, pre-built key,
 * algorithm pinned, exp checked), the same REST POST that turns a body into a camera event message, a
 * statistics snapshot of the size ours sends, and the bench control channel (IPC: gc, exit).
 */
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export function makeVerifier(secret: string): (token: string | null | undefined) => number | null {
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return (token) => {
    if (typeof token !== 'string' || token.length > 8192) return null;
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (first < 0 || second < 0) return null;
    if (token.slice(0, first) !== HEADER) return null;
    const expected = createHmac('sha256', key).update(token.slice(0, second)).digest();
    const sig = Buffer.from(token.slice(second + 1), 'base64url');
    if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) return null;
    try {
      const claims = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return null;
      const id = Number(claims.sub);
      return Number.isInteger(id) && id > 0 ? id : null;
    } catch {
      return null;
    }
  };
}

export function signToken(secret: string, sub: number, lifetimeSeconds = 3600): string {
  const iat = Math.floor(Date.now() / 1000);
  const body = `${HEADER}.${Buffer.from(JSON.stringify({ sub: String(sub), username: `u${sub}`, role: 'viewer', iat, exp: iat + lifetimeSeconds })).toString('base64url')}`;
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

/** A statistics snapshot shaped and sized like ours (packages/protocol Statistics). */
export const STATISTICS = {
  total_people: 120,
  total_cameras: 12,
  active_cameras: 11,
  recording_cameras: 9,
  recognitions_today: 4821,
  unknown_faces_today: 37,
  alerts_today: 41,
  unacknowledged_alerts: 3,
  recognitions_last_hour: 212,
  connections: { total_connections: 10000, total_users: 1, connections_by_user: { '2': 10000 } },
  generated_at: new Date().toISOString(),
};

export function welcomeFrame(): string {
  return JSON.stringify({
    type: 'connection_status',
    timestamp: new Date().toISOString(),
    status: 'connected',
    message: 'WebSocket connection established successfully',
  });
}

export interface Hooks {
  /** Broadcast one camera event message (already an object). */
  event(message: Record<string, unknown>): void;
  /** Broadcast one statistics message; returns the time the fan-out took, ms. */
  statistics(message: Record<string, unknown>): number;
}

/** The REST face: POST /api/cameras/:id/events (bearer JWT), POST /bench/statistics. */
export function createRestServer(verify: (t: string | null | undefined) => number | null, hooks: () => Hooks) {
  let seq = 0;
  return http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/socket.io/')) return; // Socket.IO's own
    const auth = req.headers.authorization;
    if (req.method !== 'POST' || verify(auth?.startsWith('Bearer ') ? auth.slice(7) : null) === null) {
      res.writeHead(req.method !== 'POST' ? 404 : 401).end();
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = /^\/api\/cameras\/(\d+)\/events$/.exec(url);
      if (m) {
        let body: { event_type?: unknown; data?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          res.writeHead(400).end();
          return;
        }
        const message = {
          type: 'camera_event',
          id: String(++seq),
          timestamp: new Date().toISOString(),
          camera_id: Number(m[1]),
          event_type: String(body.event_type),
          data: body.data ?? {},
        };
        hooks().event(message);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(message));
      } else if (url === '/bench/statistics') {
        const ms = hooks().statistics({
          type: 'statistics_update',
          timestamp: new Date().toISOString(),
          data: { ...STATISTICS, generated_at: new Date().toISOString() },
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ fanout_ms: ms }));
      } else res.writeHead(404).end();
    });
  });
}

/** Listens on 127.0.0.1 (port 0), tells the parent, obeys gc/exit, dies with the parent. */
export function serve(server: http.Server, extra: () => Record<string, unknown> = () => ({})): void {
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.send?.({ ready: true, port: typeof addr === 'object' && addr ? addr.port : 0, ...extra() });
  });
  control();
}

export function control(): void {
  process.on('message', (m: { cmd?: string }) => {
    if (m?.cmd === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      process.send?.({ gc: true });
    } else if (m?.cmd === 'exit') process.exit(0);
  });
  process.on('disconnect', () => process.exit(0));
}
