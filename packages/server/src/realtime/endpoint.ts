/**
 * `GET /api/ws/statistics`: the handshake outcomes of protocol.md section 1, then the welcome,
 * the statistics snapshot, the resume replay (section 5) and live traffic (resume.ts).
 *
 *   upgrade ──► path? ──► enabled? (503) ──► Origin allowed? (403) ──► 101
 *           ──► token (query, or first message)? (1008 Authentication required)
 *           ──► valid, user enabled, not older than a password change? (1008 Invalid token / Token expired)
 *           ──► under the per-user limit? (1008 Rate limit exceeded)
 *           ──► welcome ──► snapshot ──► replay ──► live
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import proxyAddr from '@fastify/proxy-addr';
import { CloseCode, CloseReason, WS_PATH } from '@openeye/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { CameraAccess } from '../auth/access.js';
import type { ApiKeyVerifier } from '../auth/api-keys.js';
import type { JwtService } from '../auth/jwt.js';
import { SocketAuthenticator, type SocketAuthResult, type SocketPrincipal } from '../auth/socket-auth.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { andThen, type Maybe } from '../maybe.js';
import type { Metrics } from '../ops/metrics.js';
import type { Store } from '../store/index.js';
import { deflateOffer } from './compression.js';
import { destroySocket, firstMessageToken, refuseUpgrade, terminateSocket, withBudget } from './handshake.js';
import type { Hub } from './hub.js';
import { type HeldMessage, Resume } from './resume.js';
import { UserCache } from './user-cache.js';

/** Marks a connection whose token is to come in its first message. */
const FIRST_MESSAGE: unique symbol = Symbol('first message');
type GivenToken = string | typeof FIRST_MESSAGE | null;

/** A socket between its 101 and its welcome (or refusal). */
interface Handshake {
  ws: WebSocket;
  remote: string;
  lastEventId: string | null;
  /** Client messages that arrived before the connection was registered (`hold` keeps them). */
  early: HeldMessage[];
  hold: (data: Buffer, isBinary: boolean) => void;
}

export interface EndpointDeps {
  config: Config;
  jwt: JwtService;
  keys: ApiKeyVerifier;
  store: Store;
  hub: Hub;
  /** The newest statistics, framed (cached by the broadcaster: then at hand, not a promise). */
  statisticsFrame(): Maybe<Buffer>;
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
  private readonly auth: SocketAuthenticator;
  private readonly trust: ((addr: string, i: number) => boolean) | null;
  /** Users seen at connect, for a while; dropped at once when a user changes (bus). */
  private readonly users: UserCache;

  constructor(private readonly deps: EndpointDeps) {
    const { config, hub } = deps;
    this.enabled = config.websocketEnabled;
    const tp = config.trustProxy;
    this.trust = tp === false ? null : tp === true ? () => true : proxyAddr.compile(tp);
    this.users = new UserCache(deps.store, config.handshakeTimeoutMs);
    this.auth = new SocketAuthenticator(deps.jwt, deps.keys, (id) => this.users.get(id));
    this.resume = new Resume({
      store: deps.store,
      send: (conn, frame) => hub.outbox.send(conn, frame),
      statisticsFrame: deps.statisticsFrame,
      deliveredPosition: deps.deliveredPosition,
      heartbeatIntervalMs: hub.heartbeatIntervalMs,
      handleHeld: (conn, held) => hub.messages.handleHeld(conn, held),
    });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxMessageBytes,
      // permessage-deflate only when configured (JSON messages, no context takeover: compressed once
      // per message for every connection; see compression.ts). Off by default.
      perMessageDeflate: config.wsCompression
        ? deflateOffer(config.wsCompressionWindowBits, config.wsCompressionThreshold)
        : false,
      // We speak no subprotocol: never echo one back (a client could put a token there).
      handleProtocols: () => false,
      clientTracking: false,
      closeTimeout: 5000,
      maxFragments: 64,
      maxBufferedChunks: 1024,
      // ws (>= 8.23) terminates a peer with this many unanswered pings (1006). Above the message
      // burst, so that our limiter, which counts pings, closes a ping flood with 1008 first.
      maxPendingAutoPongs: Math.max(60, 2 * config.messageBurst + 2),
      skipUTF8Validation: false,
    } as ConstructorParameters<typeof WebSocketServer>[0]);
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  /** A user's row changed: the next connect reads it again. */
  forgetUser(id: number): void {
    this.users.forget(id);
  }

  /** A user's cameras changed: reload them and narrow (or widen) their open connections. */
  async refreshAccess(id: number): Promise<void> {
    this.users.forget(id);
    const user = await this.users.get(id);
    if (user && user !== 'timeout') this.deps.hub.setAccess(id, CameraAccess.forUser(user));
  }

  close(): void {
    this.wss.close();
  }

  // ------------------------------------------------------------------ before the 101

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Listeners that live as long as the connection are plain functions: a closure here would keep
    // the whole upgrade request (URL with the token, headers) alive with it.
    socket.on('error', destroySocket);
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    if (pathname !== WS_PATH) {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (!this.enabled || this.deps.hub.isShuttingDown) {
      this.outcome('unavailable');
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin, req)) {
      this.outcome('origin');
      this.deps.log.warn(
        { event: 'ws.reject', reason: 'origin', origin, remote: req.socket.remoteAddress },
        'origin rejected',
      );
      refuseUpgrade(socket, 403, 'Forbidden');
      return;
    }
    if (this.pendingUpgrades >= this.deps.config.maxPendingUpgrades) {
      this.outcome('overloaded');
      this.deps.log.warn(
        { event: 'ws.reject', reason: 'overloaded', pending: this.pendingUpgrades, remote: req.socket.remoteAddress },
        'too many pending upgrades',
      );
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    // `auth=message`: the token comes in the first message, so it appears in no URL or proxy log.
    const token: GivenToken = params.get('token') ?? (params.get('auth') === 'message' ? FIRST_MESSAGE : null);
    const lastEventId = params.get('last_event_id');
    const subscribe = params.get('subscribe');
    const remote = this.clientAddress(req);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.pendingUpgrades++;
      let accepted: Maybe<void>;
      try {
        accepted = this.accept(ws, token, lastEventId, remote, subscribe);
      } catch (err) {
        accepted = Promise.reject(err);
      }
      // The common path is synchronous (a cached user, the local limiter): done by now.
      if (!(accepted instanceof Promise)) {
        this.pendingUpgrades--;
        return;
      }
      accepted
        .catch((err) => {
          this.deps.log.error({ event: 'ws.error', err }, 'handshake failed');
          ws.close(CloseCode.INTERNAL_ERROR, CloseReason.INTERNAL);
        })
        .finally(() => {
          this.pendingUpgrades--;
        });
    });
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

  // ------------------------------------------------------------------ after the 101

  /**
   * After the 101: the token, the user, a slot under the limit, then the welcome (resume.ts).
   * Each step returns at once when it has what it needs (a JWT whose user is cached, the local
   * limiter, a cached statistics frame), and a promise only when it must wait.
   */
  private accept(
    ws: WebSocket,
    given: GivenToken,
    lastEventId: string | null,
    remote: string,
    subscribe: string | null,
  ): Maybe<void> {
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
    const h: Handshake = { ws, remote, lastEventId, early, hold };
    if (given !== FIRST_MESSAGE) {
      ws.on('message', hold);
      return this.authenticate(h, given);
    }
    return firstMessageToken(ws, this.deps.config.handshakeTimeoutMs, hold).then((token) =>
      this.authenticate(h, token),
    );
  }

  private authenticate(h: Handshake, token: string | null): Maybe<void> {
    if (!token) return this.refuse(h.ws, CloseReason.AUTH_REQUIRED, 'auth_missing', h.remote);
    return andThen(this.auth.verify(token), (result) => this.admit(h, result));
  }

  private admit(h: Handshake, result: SocketAuthResult): Maybe<void> {
    if (!result.ok) {
      if (result.reason === 'timeout') return this.overloaded(h.ws);
      return result.reason === 'expired'
        ? this.refuse(h.ws, CloseReason.TOKEN_EXPIRED, 'auth_expired', h.remote)
        : this.refuse(h.ws, CloseReason.INVALID_TOKEN, 'auth_invalid', h.remote);
    }
    if (h.ws.readyState !== h.ws.OPEN) return;
    const { principal } = result;
    return andThen(this.takeSlot(h, principal.user.id), (ok) => (ok ? this.open(h, principal) : undefined));
  }

  private open(h: Handshake, principal: SocketPrincipal): Maybe<void> {
    h.ws.off('message', h.hold);
    const conn = this.deps.hub.register(
      h.ws,
      principal.user,
      principal.expiresAt,
      h.remote,
      h.early,
      principal.access,
      principal.key,
    );
    this.outcome('accepted');
    this.deps.log.info(
      { event: 'ws.open', conn: conn.id, user: principal.user.id, remote: h.remote },
      'connection accepted',
    );
    return this.resume.run(conn, h.lastEventId);
  }

  /** A slot under the per-user limit (every node counts), within the handshake budget. */
  private takeSlot(h: Handshake, userId: number): Maybe<boolean> {
    const { limiter } = this.deps.hub;
    const acquired = limiter.acquire(userId);
    if (typeof acquired === 'boolean') return this.checkSlot(h, userId, acquired);
    return withBudget(acquired, this.deps.config.handshakeTimeoutMs).then((slot) => {
      if (slot !== 'timeout') return this.checkSlot(h, userId, slot);
      // Give the slot back if the limiter answers after all.
      acquired.then(
        (ok) => ok && limiter.release(userId),
        () => undefined,
      );
      this.overloaded(h.ws);
      return false;
    });
  }

  private checkSlot(h: Handshake, userId: number, slot: boolean): boolean {
    if (!slot) {
      this.refuse(h.ws, CloseReason.CONNECTION_LIMIT, 'conn_limit', h.remote);
      return false;
    }
    if (h.ws.readyState !== h.ws.OPEN) {
      this.deps.hub.limiter.release(userId);
      return false;
    }
    return true;
  }

  private outcome(outcome: string): void {
    this.deps.metrics.handshakes.inc({ outcome });
  }

  private refuse(ws: WebSocket, reason: string, logReason: string, remote: string): void {
    this.outcome(logReason);
    this.deps.log.info({ event: 'ws.reject', reason: logReason, remote }, 'connection rejected');
    ws.close(CloseCode.POLICY_VIOLATION, reason);
  }

  private overloaded(ws: WebSocket): void {
    this.outcome('overloaded');
    ws.close(CloseCode.TRY_AGAIN_LATER, CloseReason.INTERNAL);
  }
}
