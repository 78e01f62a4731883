/**
 * A fake IP camera for pull tests: an HTTP server on 127.0.0.1 whose routes a test sets, and that
 * records every request (path, start time, Authorization) and whether its connections are open.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface FakeCamera {
  /** http://127.0.0.1:port */
  base: string;
  requests: Array<{ path: string; at: number; authorization: string | undefined }>;
  /** Requests of a path (the query ignored). */
  hits(path: string): Array<{ at: number; authorization: string | undefined }>;
  /** Requests being answered now, by path; the most at once so far. */
  inFlight: Map<string, number>;
  maxInFlight: Map<string, number>;
  /** Connections open now. */
  openConnections(): number;
  route(path: string, handler: Route): void;
  close(): Promise<void>;
}

export async function fakeCamera(): Promise<FakeCamera> {
  const routes = new Map<string, Route>();
  const sockets = new Set<Socket>();
  const cam: Partial<FakeCamera> = {
    requests: [],
    inFlight: new Map(),
    maxInFlight: new Map(),
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    cam.requests!.push({ path, at: Date.now(), authorization: req.headers.authorization });
    const n = (cam.inFlight!.get(path) ?? 0) + 1;
    cam.inFlight!.set(path, n);
    cam.maxInFlight!.set(path, Math.max(n, cam.maxInFlight!.get(path) ?? 0));
    let counted = true;
    const done = () => {
      if (!counted) return;
      counted = false;
      cam.inFlight!.set(path, (cam.inFlight!.get(path) ?? 1) - 1);
    };
    res.once('finish', done);
    res.once('close', done);
    const handler = routes.get(path);
    if (handler) handler(req, res);
    else res.writeHead(404).end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(cam, {
    base: `http://127.0.0.1:${port}`,
    hits: (path: string) => cam.requests!.filter((r) => r.path === path),
    openConnections: () => sockets.size,
    route: (path: string, handler: Route) => routes.set(path, handler),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  }) as FakeCamera;
}

/** A small real JPEG header then filler: passes the magic-byte check. */
export function jpegBytes(size: number, fill = 1): Buffer {
  const b = Buffer.alloc(size, fill);
  b[0] = 0xff;
  b[1] = 0xd8;
  b[2] = 0xff;
  return b;
}

/** Streams MJPEG parts every `everyMs` until the client goes; `length: false` leaves Content-Length out. */
export function mjpegRoute(opts: { everyMs: number; length?: boolean; size?: number }): Route {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
    let n = 0;
    const send = () => {
      const body = jpegBytes(opts.size ?? 2000, n++ % 250);
      const head = ['--frame', 'Content-Type: image/jpeg'];
      if (opts.length !== false) head.push(`Content-Length: ${body.length}`);
      res.write(`${head.join('\r\n')}\r\n\r\n`);
      res.write(body);
      res.write('\r\n');
    };
    send();
    const timer = setInterval(send, opts.everyMs);
    res.once('close', () => clearInterval(timer));
  };
}

/** Asks for HTTP Basic (401 with a challenge) unless the request carries `user:password`. */
export function basicAuth(user: string, password: string, inner: Route): Route {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return (req, res) => {
    if (req.headers.authorization === expected) return inner(req, res);
    res.writeHead(401, { 'www-authenticate': 'Basic realm="camera"' }).end();
  };
}

/**
 * Asks for HTTP Digest (MD5, qop=auth), as many IP cameras do, and checks the answer; a nonce
 * serves `nonceUses` requests, then the camera says it is stale. `accepted` counts good answers.
 */
export function digestAuth(
  user: string,
  password: string,
  inner: Route,
  stats: { accepted: number; challenges: number },
  nonceUses = 5,
): Route {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  let nonce = randomBytes(12).toString('hex');
  let uses = 0;
  return (req, res) => {
    const h = req.headers.authorization ?? '';
    const f = (k: string) => new RegExp(`${k}="?([^",]+)"?`).exec(h)?.[1] ?? '';
    const valid =
      h.startsWith('Digest ') &&
      f('username') === user &&
      f('nonce') === nonce &&
      f('response') ===
        md5(`${md5(`${user}:camera:${password}`)}:${nonce}:${f('nc')}:${f('cnonce')}:auth:${md5(`GET:${f('uri')}`)}`);
    if (valid && uses < nonceUses) {
      uses++;
      stats.accepted++;
      return inner(req, res);
    }
    const stale = valid || (h.startsWith('Digest ') && f('nonce') !== nonce && f('username') === user);
    nonce = randomBytes(12).toString('hex');
    uses = 0;
    stats.challenges++;
    res
      .writeHead(401, {
        'www-authenticate': `Digest realm="camera", qop="auth", nonce="${nonce}", algorithm=MD5${stale ? ', stale=true' : ''}`,
      })
      .end();
  };
}
