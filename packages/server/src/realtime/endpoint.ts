/**
 * `GET /api/ws/statistics`: the handshake outcomes of protocol.md section 1, then the welcome,
 * the statistics snapshot, the resume replay (section 5) and live traffic.
 *
 *   upgrade ──► path? ──► enabled? (503) ──► Origin allowed? (403) ──► 101
 *           ──► token? (1008 Authentication required) ──► valid? (1008 Invalid token / Token expired)
 *           ──► user exists and enabled? ──► under the per-user limit? (1008 Rate limit exceeded)
 *           ──► welcome ──► snapshot ──► replay ──► live
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import proxyAddr from '@fastify/proxy-addr';
import { CloseCode, CloseReason, parseClientMessage, WS_PATH } from '@openeye/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { CameraAccess } from '../auth/access.js';
import type { JwtService } from '../auth/jwt.js';
import type { Config } from '../config.js';
import type { StatisticsService } from '../domain/statistics.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { Store, UserRecord } from '../store/index.js';
import { statisticsFrame } from './frame.js';
import type { Hub } from './hub.js';
import { type HeldMessage, Resume } from './resume.js';

const USER_CACHE_MS = 30_000;
/** Marks a connection whose token is to come in its first message. */
const FIRST_MESSAGE: unique symbol = Symbol('first message');
type GivenToken = string | typeof FIRST_MESSAGE | null;

export interface EndpointDeps {
  config: Config;
  jwt: JwtService;
  store: Store;
  hub: Hub;
  statistics: StatisticsService;
  log: Logger;
  metrics: Metrics;
  /** The id of the newest event handed to the hub (the sequencer's cursor). */
  deliveredPosition: () => number;
}

export class WebSocketEndpoint {
  readonly wss: WebSocketServer;
  enabled: boolean;
  /** Upgraded sockets not yet welcomed or refused (the async auth step); capped. */
  private pendingUpgrades = 0;
  private readonly resume: Resume;
  private readonly trust: ((addr: string, i: number) => boolean) | null;

  constructor(private readonly deps: EndpointDeps) {
    this.enabled = deps.config.websocketEnabled;
    const tp = deps.config.trustProxy;
    this.trust = tp === false ? null : tp === true ? () => true : proxyAddr.compile(tp);
    this.resume = new Resume({
      store: deps.store,
      send: (conn, frame) => deps.hub.outbox.send(conn, frame),
      statisticsFrame: () => this.statisticsFrame(),
      deliveredPosition: deps.deliveredPosition,
      heartbeatIntervalMs: deps.hub.heartbeatIntervalMs,
      handleHeld: (conn, held) => deps.hub.messages.handleHeld(conn, held),
    });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: deps.config.maxMessageBytes,
      perMessageDeflate: false,
      // We speak no subprotocol: never echo one back (a client could put a token there).
      handleProtocols: () => false,
      clientTracking: false,
      closeTimeout: 5000,
      maxFragments: 64,
      maxBufferedChunks: 1024,
      // ws (>= 8.23) terminates a peer with this many unanswered pings (1006). Above the message
      // burst, so that our limiter, which counts pings, closes a ping flood with 1008 first.
      maxPendingAutoPongs: Math.max(60, 2 * deps.config.messageBurst + 2),
      skipUTF8Validation: false,
    } as ConstructorParameters<typeof WebSocketServer>[0]);
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Listeners that live as long as the connection are plain functions: a closure here would keep
    // the whole upgrade request (URL with the token, headers) alive with it.
    socket.on('error', destroySocket);
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    if (pathname !== WS_PATH) {
      reject(socket, 404, 'Not Found');
      return;
    }
    if (!this.enabled || this.deps.hub.isShuttingDown) {
      this.outcome('unavailable');
      reject(socket, 503, 'Service Unavailable');
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin, req)) {
      this.outcome('origin');
      this.deps.log.warn(
        { event: 'ws.reject', reason: 'origin', origin, remote: req.socket.remoteAddress },
        'origin rejected',
      );
      reject(socket, 403, 'Forbidden');
      return;
    }
    if (this.pendingUpgrades >= this.deps.config.maxPendingUpgrades) {
      this.outcome('overloaded');
      this.deps.log.warn(
        { event: 'ws.reject', reason: 'overloaded', pending: this.pendingUpgrades, remote: req.socket.remoteAddress },
        'too many pending upgrades',
      );
      reject(socket, 503, 'Service Unavailable');
      return;
    }
    const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    // `auth=message`: the token comes in the first message, so it appears in no URL or proxy log.
    const token = params.get('token') ?? (params.get('auth') === 'message' ? FIRST_MESSAGE : null);
    const subscribe = params.get('subscribe');
    this.upgrade(req, socket, head, token, params.get('last_event_id'), this.clientAddress(req), subscribe);
  }

  private upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    token: GivenToken,
    lastEventId: string | null,
    remote: string,
    subscribe: string | null,
  ): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.pendingUpgrades++;
      this.accept(ws, token, lastEventId, remote, subscribe)
        .catch((err) => {
          this.deps.log.error({ event: 'ws.error', err }, 'handshake failed');
          ws.close(CloseCode.INTERNAL_ERROR, CloseReason.INTERNAL);
        })
        .finally(() => {
          this.pendingUpgrades--;
        });
    });
  }

  private statsFrame: { frame: Buffer; version: number; until: number } | null = null;

  private async statisticsFrame(): Promise<Buffer> {
    const { statistics } = this.deps;
    const cached = this.statsFrame;
    if (cached && cached.version === statistics.version && cached.until > Date.now()) return cached.frame;
    const version = statistics.version;
    const data = await statistics.snapshot();
    const frame = statisticsFrame(data);
    this.statsFrame = { frame, version, until: Date.now() + 1000 };
    return frame;
  }

  /** Users seen at connect, for `USER_CACHE_MS`; dropped at once when a user changes (bus `user_revoked`). */
  private readonly users = new Map<number, { user: UserRecord | null; until: number }>();

  private async loadUser(id: number): Promise<UserRecord | null> {
    const user = await this.deps.store.users.byId(id);
    if (this.users.size > 100_000) this.users.clear();
    this.users.set(id, { user, until: Date.now() + USER_CACHE_MS });
    return user;
  }

  forgetUser(id: number): void {
    this.users.delete(id);
  }

  /** A user's cameras changed: reload them and narrow (or widen) their open connections. */
  async refreshAccess(id: number): Promise<void> {
    this.users.delete(id);
    const user = await this.loadUser(id);
    if (user) this.deps.hub.setAccess(id, CameraAccess.forUser(user));
  }

  /** The client's address: the peer's, or behind a trusted proxy the one X-Forwarded-For names. */
  private clientAddress(req: IncomingMessage): string {
    return this.trust ? proxyAddr(req, this.trust) : (req.socket.remoteAddress ?? '');
  }

  private originAllowed(origin: string, req: IncomingMessage): boolean {
    const allowed = this.deps.config.allowedOrigins;
    if (allowed?.includes(origin)) return true;
    const host = req.headers.host;
    if (!host) return false;
    const scheme = this.deps.config.tlsCert ? 'https' : 'http';
    return origin === `${scheme}://${host}`;
  }

  private outcome(outcome: string): void {
    this.deps.metrics.handshakes.inc({ outcome });
  }

  private reject(ws: WebSocket, reason: string, logReason: string, remote: string): void {
    this.outcome(logReason);
    this.deps.log.info({ event: 'ws.reject', reason: logReason, remote }, 'connection rejected');
    ws.close(CloseCode.POLICY_VIOLATION, reason);
  }

  private async accept(
    ws: WebSocket,
    given: GivenToken,
    lastEventId: string | null,
    remote: string,
    subscribe: string | null,
  ): Promise<void> {
    const { hub, jwt, log } = this.deps;
    ws.on('error', terminateSocket);
    // Whatever the client sends before the welcome waits, within the message rate. `subscribe=a,b`
    // in the URL is a subscribe message sent first: it applies to the replay, whatever the timing.
    const early: HeldMessage[] = [];
    if (subscribe !== null) {
      const event_types = subscribe.slice(0, 1024).split(',').filter(Boolean).slice(0, 64);
      early.push([Buffer.from(JSON.stringify({ type: 'subscribe', event_types })), false]);
    }
    const hold = (data: Buffer, isBinary: boolean) => {
      if (early.length < 40) early.push([data, isBinary]);
    };
    const token =
      given === FIRST_MESSAGE ? await firstMessageToken(ws, this.deps.config.handshakeTimeoutMs, hold) : given;
    if (!token) {
      this.reject(ws, CloseReason.AUTH_REQUIRED, 'auth_missing', remote);
      return;
    }
    const verified = jwt.verify(token);
    if (!verified.ok) {
      return verified.reason === 'expired'
        ? this.reject(ws, CloseReason.TOKEN_EXPIRED, 'auth_expired', remote)
        : this.reject(ws, CloseReason.INVALID_TOKEN, 'auth_invalid', remote);
    }
    if (given !== FIRST_MESSAGE) ws.on('message', hold);
    const cachedUser = this.users.get(verified.userId);
    const user =
      cachedUser && cachedUser.until > Date.now()
        ? cachedUser.user
        : await withBudget(this.loadUser(verified.userId), this.deps.config.handshakeTimeoutMs);
    if (user === 'timeout') {
      this.outcome('overloaded');
      ws.close(CloseCode.TRY_AGAIN_LATER, CloseReason.INTERNAL);
      return;
    }
    if (!user || user.disabled || user.token_version !== verified.claims.tv) {
      this.reject(ws, CloseReason.INVALID_TOKEN, 'auth_invalid', remote);
      return;
    }
    if (ws.readyState !== ws.OPEN) return;
    const acquired = hub.limiter.acquire(user.id);
    const slot =
      typeof acquired === 'boolean' ? acquired : await withBudget(acquired, this.deps.config.handshakeTimeoutMs);
    if (slot === 'timeout') {
      // Give the slot back if the limiter answers after all.
      (acquired as Promise<boolean>).then(
        (ok) => ok && hub.limiter.release(user.id),
        () => undefined,
      );
      this.outcome('overloaded');
      ws.close(CloseCode.TRY_AGAIN_LATER, CloseReason.INTERNAL);
      return;
    }
    if (!slot) {
      this.reject(ws, CloseReason.CONNECTION_LIMIT, 'conn_limit', remote);
      return;
    }
    if (ws.readyState !== ws.OPEN) {
      hub.limiter.release(user.id);
      return;
    }
    ws.off('message', hold);
    const conn = hub.register(ws, user, verified.claims.exp, remote, early, CameraAccess.forUser(user));
    this.outcome('accepted');
    log.info({ event: 'ws.open', conn: conn.id, user: user.id, remote }, 'connection accepted');
    await this.resume.run(conn, lastEventId);
  }

  close(): void {
    this.wss.close();
  }
}

/**
 * The token of a first message `{"type":"auth","token":…}` sent within `ms`; null when the first
 * message is anything else, or none comes. Messages after it (even in the same TCP read) go to `then`.
 */
function firstMessageToken(
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

function destroySocket(this: Duplex): void {
  this.destroy();
}

function terminateSocket(this: WebSocket): void {
  this.terminate();
}

function reject(socket: Duplex, status: number, text: string): void {
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
  socket.destroy();
}

async function withBudget<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
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
