/**
 * @module client
 * `OpenEyeClient`: the guide's `WebSocketService`, grown up. It wires the pieces together:
 * the state machine decides the status, `Transport` carries one socket attempt, `backoffDelay`
 * spaces the attempts, `EventDeduper` keeps the resume cursor and drops repeats, `Poller`
 * delivers over HTTP while the socket is down, `TokenSource` and `SubscriptionSet` keep what
 * the application gave across reconnects.
 */
import type { ConnectionStatusMessage, EventType, ServerMessage, Statistics } from '@openeye/protocol';
import { CloseCode, CloseReason } from '@openeye/protocol/constants';
import { type ApiError, defaultOrigin, OpenEyeApi } from './api.js';
import { backoffDelay } from './backoff.js';
import { canShareAcrossTabs, TabCoordinator } from './cross-tab.js';
import { Emitter } from './emitter.js';
import { compareEventIds, EventDeduper } from './event-ids.js';
import type { ClientEventMap } from './events.js';
import { type CameraFrame, MediaWatches, type WatchOptions } from './media.js';
import { onNetworkReturn } from './network.js';
import { type ClientOptions, resolveBaseUrls, resolveSettings, type Settings } from './options.js';
import { Poller } from './polling.js';
import { type ConnectionEvent, type ConnectionStatus, transition } from './state-machine.js';
import { SubscriptionSet } from './subscription-set.js';
import { TimerSet } from './timers.js';
import { refreshDelay, TokenSource } from './tokens.js';
import { buildSocketUrl, Transport, type TransportSink, type WebSocketConstructor } from './transport.js';

/** Close reasons after which a fresh token may help (protocol.md section 1). */
const AUTH_REASONS: ReadonlySet<string> = new Set([
  CloseReason.AUTH_REQUIRED,
  CloseReason.INVALID_TOKEN,
  CloseReason.TOKEN_EXPIRED,
]);
/** Close code the client uses when it drops a silent connection itself. */
const WATCHDOG_CLOSE = 4000;
const DEFAULT_HEARTBEAT_MS = 30_000;
/** Polling answers 401 this many times in a row (a fresh token asked each time) before `auth_error`. */
const POLL_AUTH_FAILURES = 2;

type TimerName = 'retry' | 'connect' | 'watchdog' | 'ping' | 'refresh';

/**
 * A reconnecting, resuming connection to an OpenEye server, with HTTP polling as fallback.
 *
 * @example
 * const client = new OpenEyeClient({ baseUrl: 'https://openeye.example', getToken: () => localStorage.getItem('token') });
 * client.on('alert', (alert) => show(alert.data.message));
 * client.connect();
 */
export class OpenEyeClient {
  readonly #options: ClientOptions;
  readonly #settings: Settings;
  readonly #events = new Emitter<ClientEventMap>();
  readonly #timers = new TimerSet<TimerName>();
  readonly #dedupe: EventDeduper;
  readonly #poller: Poller;
  readonly #subscriptions: SubscriptionSet;
  readonly #media = new MediaWatches((message) => this.send(message));
  readonly #tokens: TokenSource;

  #status: ConnectionStatus = 'disconnected';
  #lastError: string | null = null;
  #statistics: Statistics | null = null;

  #baseUrls: string[] = [];
  #apis: OpenEyeApi[] = [];
  #baseIndex = 0;
  #WebSocket: WebSocketConstructor | undefined;

  /** Id of the newest attempt; callbacks of any other transport are stale and ignored. */
  #attemptId = 0;
  #transport: Transport | null = null;
  #welcomed = false;
  #lastReceivedAt = 0;
  #heartbeatMs = DEFAULT_HEARTBEAT_MS;

  /** Consecutive attempts since the last welcome: the backoff exponent. */
  #attempts = 0;
  /** Consecutive attempts that never got a welcome: decides polling. */
  #failures = 0;
  /** The server refused a token and a fresh one is being tried: a second refusal is terminal. */
  #authRetry = false;
  #pollAuthFailures = 0;
  /** The cursor is null because the server's history was empty: every event it holds now is new to us. */
  #fromStart = false;
  /** Counts connect() and disconnect() calls: the answer of an older starting-point request is dropped. */
  #session = 0;
  /** connect() was called without a cursor: the first attempt asks where to start (#takeStartingPoint). */
  #wantStartingPoint = false;
  /** That request, pending until it is answered or failed; the first poll waits for it. */
  #startingPoint: Promise<void> | null = null;
  /** Whether the current attempt's URL carried `last_event_id` (then the server replays after it). */
  #attemptHadCursor = false;
  /** The event types the current attempt's URL asked for (`subscribe=`), applied by the server before the replay. */
  #urlTypes: EventType[] = [];
  #unlistenNetwork: (() => void) | null = null;
  /** Option `shareConnection` in a browser that can: the election between this origin's tabs. */
  #tabs: TabCoordinator | null = null;
  /** For `getConnectionDetails()`: when the next attempt is due, and how polling fares. */
  #nextAttemptAt: number | null = null;
  #pollOk: boolean | null = null;
  #lastPollOkAt: number | null = null;
  #lastClose: { code: number; reason: string } | null = null;

  constructor(options: ClientOptions = {}) {
    this.#options = options;
    this.#settings = resolveSettings(options);
    this.#subscriptions = new SubscriptionSet(this.#settings.eventTypes, this.#settings.cameraIds);
    this.#tokens = new TokenSource(options.getToken);
    this.#dedupe = new EventDeduper(options.lastEventId ?? null);
    this.#poller = new Poller({
      intervalMs: this.#settings.pollIntervalMs,
      api: () => this.#apis[this.#baseIndex]!,
      wants: (type) => this.#subscriptions.has(type),
      cursor: () => this.#dedupe.last,
      fromStart: () => this.#fromStart,
      startingPoint: () => this.#startingPoint ?? Promise.resolve(),
      rebase: (cursor) => this.#rebase(cursor),
      deliver: (message) => this.#receive(message),
      gap: (resumeFrom) => this.#gap('polling', resumeFrom, true),
      success: () => {
        this.#pollAuthFailures = 0;
        this.#pollOk = true;
        this.#lastPollOkAt = Date.now();
      },
      error: (error) => {
        this.#pollOk = false;
        this.#pollFailed(error);
      },
    });
  }

  // ------------------------------------------------------------------ public API (the guide's)

  /**
   * Starts connecting; no-op while already connecting, connected, reconnecting or polling
   * (a given token is then kept for the next attempt). Without `token` (or with null, as
   * `localStorage.getItem` gives), `getToken()` is asked. Throws a `TypeError` when there is no
   * base URL or no WebSocket implementation.
   */
  connect(token?: string | null): void {
    if (token) this.#tokens.give(token);
    if (this.#status !== 'disconnected' && this.#status !== 'error') return;
    this.#baseUrls = resolveBaseUrls(this.#options.baseUrl, defaultOrigin());
    if (this.#baseUrls.length === 0) {
      throw new TypeError('Option baseUrl is required outside a browser (e.g. "http://localhost:8000")');
    }
    const Impl = this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (Impl === undefined) {
      throw new TypeError('No WebSocket implementation: pass one as option WebSocket (in Node 20: the `ws` package)');
    }
    this.#WebSocket = Impl;
    this.#apis = this.#baseUrls.map(
      (baseUrl) => new OpenEyeApi({ baseUrl, fetch: this.#options.fetch, getToken: () => this.#tokens.fresh() }),
    );
    this.#baseIndex = 0;
    this.#attempts = 0;
    this.#failures = 0;
    this.#authRetry = false;
    this.#pollAuthFailures = 0;
    this.#lastError = null;
    this.#session++;
    this.#wantStartingPoint = this.#dedupe.last === null && !this.#fromStart;
    this.#startingPoint = null;
    this.#setStatus('connect');
    this.#unlistenNetwork ??= onNetworkReturn(() => this.#retryNow());
    const share = this.#options.shareConnection;
    if (share && canShareAcrossTabs()) {
      // The tab that wins the election connects (#tabHooks.lead); the others get its messages.
      this.#tabs ??= new TabCoordinator(typeof share === 'string' ? share : 'default', this.#tabHooks);
      this.#tabs.join();
      return;
    }
    void this.#open();
  }

  /** Closes the connection and stops every retry and poll; status `disconnected`. Listeners stay. */
  disconnect(): void {
    this.#session++;
    this.#wantStartingPoint = false;
    this.#startingPoint = null;
    this.#attemptId++;
    this.#welcomed = false;
    this.#dropTransport(CloseCode.NORMAL, 'Client disconnect');
    this.#timers.clearAll();
    this.#poller.stop();
    this.#unlistenNetwork?.();
    this.#unlistenNetwork = null;
    this.#tabs?.leave();
    this.#setStatus('disconnect', 'disconnect() called');
  }

  /**
   * With `shareConnection`: `leader` when this tab holds the one connection, `follower` when another
   * tab does; null without the option (or where tabs cannot share).
   */
  getTabRole(): 'leader' | 'follower' | null {
    if (!this.#tabs || !this.#active()) return null;
    return this.#tabs.isLeader ? 'leader' : 'follower';
  }

  /** Listens to a server message type, `status_change`, `gap`, `auth_error` or `message`; returns the unsubscribe function. */
  on<K extends keyof ClientEventMap>(type: K, callback: (payload: ClientEventMap[K]) => void): () => void {
    return this.#events.on(type, callback);
  }

  off<K extends keyof ClientEventMap>(type: K, callback: (payload: ClientEventMap[K]) => void): void {
    this.#events.off(type, callback);
  }

  isConnected(): boolean {
    return this.#status === 'connected';
  }

  getStatus(): ConnectionStatus {
    return this.#status;
  }

  /**
   * Watches a camera live: `onFrame` gets its frames (binary messages, latest frame wins) at most
   * `maxFps` per second. Kept across reconnects and failover; the returned function stops it.
   * Frames come over the socket only (not while polling).
   */
  watch(cameraId: number, options: WatchOptions, onFrame: (frame: CameraFrame) => void): () => void {
    return this.#media.watch(cameraId, options, onFrame);
  }

  /** Adds event types (and sets the camera filter when `cameraIds` is given); remembered across reconnects. */
  subscribe(eventTypes: EventType[], options: { cameraIds?: number[] | null } = {}): void {
    const message = this.#subscriptions.add(eventTypes, options.cameraIds);
    if (this.#welcomed || this.getTabRole() === 'follower') this.send(message);
  }

  /** Removes event types; remembered across reconnects. */
  unsubscribe(eventTypes: EventType[]): void {
    const message = this.#subscriptions.remove(eventTypes);
    if (this.#welcomed || this.getTabRole() === 'follower') this.send(message);
  }

  /** Sends a JSON message on the open socket (a follower tab's goes through the leader's); false when there is none. */
  send(message: object): boolean {
    if (this.getTabRole() === 'follower') {
      this.#tabs!.forward(message);
      return true;
    }
    return this.#transport?.send(message) ?? false;
  }

  /** The id of the newest event delivered (or known to the server when the client started): the resume cursor. */
  getLastEventId(): string | null {
    return this.#dedupe.last;
  }

  /** The newest statistics seen (`statistics_update.data`), over the socket or polling. */
  getStatistics(): Statistics | null {
    return this.#statistics;
  }

  /** Why the last connection failed or closed, for the UI; never contains the token. */
  getLastError(): string | null {
    return this.#lastError;
  }

  /**
   * What a UI needs to tell the state honestly: the attempt number since the last welcome, when
   * the next attempt is due (ms since epoch, null when none is scheduled), whether the last poll
   * succeeded (null before the first poll of this fallback) and when one last did, and the last
   * close code and reason (for a details tooltip).
   */
  getConnectionDetails(): {
    attempt: number;
    nextAttemptAt: number | null;
    pollOk: boolean | null;
    lastPollOkAt: number | null;
    lastClose: { code: number; reason: string } | null;
  } {
    return {
      attempt: this.#attempts,
      nextAttemptAt: this.#timers.has('retry') ? this.#nextAttemptAt : null,
      pollOk: this.#poller.running ? this.#pollOk : null,
      lastPollOkAt: this.#lastPollOkAt,
      lastClose: this.#lastClose,
    };
  }

  /** Skips the rest of the backoff (a "Retry now" button); no-op unless an attempt is scheduled. */
  retryNow(): void {
    this.#retryNow();
  }

  // ------------------------------------------------------------------ attempts

  async #open(): Promise<void> {
    const id = ++this.#attemptId;
    this.#dropTransport(CloseCode.NORMAL, '');
    let token: string | null;
    try {
      token = await this.#tokens.forAttempt();
    } catch {
      if (id !== this.#attemptId || !this.#active()) return;
      this.#lastError = 'getToken() failed';
      this.#failures++;
      this.#retry('getToken() failed');
      return;
    }
    if (id !== this.#attemptId || !this.#active()) return;
    if (this.#authRetry && !token) {
      this.#authFailed('No token available', null);
      return;
    }
    if (this.#wantStartingPoint) {
      this.#wantStartingPoint = false;
      this.#startingPoint = this.#takeStartingPoint(this.#session, token);
    }
    this.#attemptHadCursor = this.#dedupe.last !== null;
    const inUrl = this.#settings.tokenInUrl;
    // Types beyond the server's defaults are asked for in the URL, so that the replay includes them.
    this.#urlTypes = this.#subscriptions.beyondDefaults();
    const url = buildSocketUrl(this.#baseUrls[this.#baseIndex]!, token, this.#dedupe.last, inUrl, this.#urlTypes);
    const first = token && !inUrl ? { type: 'auth', token } : undefined;
    try {
      this.#transport = new Transport(id, url, this.#WebSocket!, this.#sink, first);
    } catch {
      this.#lost(1006, 'The WebSocket implementation refused the URL');
      return;
    }
    this.#timers.set('connect', this.#settings.connectTimeoutMs, () => {
      this.#dropTransport(WATCHDOG_CLOSE, 'Connect timeout');
      this.#lost(1006, 'No welcome before the connect timeout');
    });
  }

  readonly #sink: TransportSink = {
    onMessage: (transport, message) => {
      if (transport.id !== this.#attemptId) return;
      this.#lastReceivedAt = Date.now();
      if (message.type === 'connection_status') this.#welcome(message);
      else this.#receive(message);
    },
    onBinary: (transport, data) => {
      if (transport.id !== this.#attemptId) return;
      this.#lastReceivedAt = Date.now();
      this.#media.receive(data);
      this.#tabs?.relayFrame(data);
    },
    onClose: (transport, code, reason) => {
      if (transport.id !== this.#attemptId) return;
      this.#transport = null;
      this.#lost(code, reason);
    },
  };

  #welcome(message: ConnectionStatusMessage): void {
    this.#timers.clear('connect');
    this.#poller.stop();
    this.#welcomed = true;
    this.#attempts = 0;
    this.#failures = 0;
    this.#authRetry = false;
    const cursor = this.#dedupe.last;
    if (cursor === null) {
      // No id to resume from: adopt the server's newest, or, if we saw its history empty, fetch what came since.
      if (message.last_event_id === null) this.#fromStart = true;
      else if (this.#fromStart) void this.#backfill(null);
      else this.#rebase(message.last_event_id);
    } else if (
      !this.#attemptHadCursor &&
      message.last_event_id !== null &&
      compareEventIds(message.last_event_id, cursor) > 0
    ) {
      // The starting point of connect() came back after this socket was opened without it, so the
      // server replays nothing: fetch what was posted in between.
      void this.#backfill(cursor);
    }
    this.#heartbeatMs = message.heartbeat_interval_ms > 0 ? message.heartbeat_interval_ms : DEFAULT_HEARTBEAT_MS;
    this.#armWatchdog();
    this.#schedulePing();
    this.#scheduleRefresh(message.token_expires_at, message.timestamp);
    this.#setStatus('welcome');
    const asked = { ...message.subscriptions, event_types: [...message.subscriptions.event_types] };
    for (const type of this.#urlTypes) if (!asked.event_types.includes(type)) asked.event_types.push(type);
    for (const command of this.#subscriptions.reconcile(asked)) this.send(command);
    // Live views follow the client to every new connection (after a reconnect or a failover).
    this.#media.resend();
    this.#tabs?.relay(message);
    this.#emit(message);
    if (message.resumed === false) {
      // The server's history no longer reaches our cursor; if it restarted with a newer, shorter
      // history (its newest id is behind ours), continue from its newest id.
      const serverNewest = message.last_event_id;
      const restarted = cursor !== null && serverNewest !== null && compareEventIds(serverNewest, cursor) < 0;
      this.#gap('websocket', restarted ? serverNewest : cursor, restarted);
    }
  }

  /** The socket closed or failed (code/reason of the close); decides what comes next. */
  #lost(code: number, reason: string): void {
    const welcomed = this.#welcomed;
    this.#welcomed = false;
    this.#stopConnectionTimers();
    this.#lastError = describeClose(code, reason);
    this.#lastClose = { code, reason };
    if (code === CloseCode.POLICY_VIOLATION && AUTH_REASONS.has(reason)) {
      if (this.#authRetry || !this.#tokens.canRefresh) {
        this.#authFailed(reason, code);
        return;
      }
      this.#authRetry = true;
      this.#tokens.forgetGiven();
      this.#setStatus('lost', reason);
      this.#timers.set('retry', 0, () => void this.#open());
      return;
    }
    if (!welcomed) this.#failures++;
    if (code === CloseCode.POLICY_VIOLATION && reason === CloseReason.CONNECTION_LIMIT) {
      const wait = this.#settings.rateLimitBackoffMs;
      this.#setStatus('fallback', reason);
      this.#startPolling();
      const delay = wait + Math.floor(Math.random() * wait);
      this.#nextAttemptAt = Date.now() + delay;
      this.#timers.set('retry', delay, () => void this.#open());
      return;
    }
    if (this.#baseUrls.length > 1) this.#baseIndex = (this.#baseIndex + 1) % this.#baseUrls.length;
    this.#retry(this.#lastError);
  }

  /** Schedules the next attempt with backoff; polls meanwhile after enough failures; gives up at maxAttempts. */
  #retry(reason: string): void {
    const { baseMs, capMs, maxAttempts, pollingAfterFailures } = this.#settings;
    if (this.#attempts >= maxAttempts) {
      this.#fail(`Gave up after ${this.#attempts} attempts (${reason})`);
      return;
    }
    const delay = backoffDelay(this.#attempts, baseMs, capMs);
    this.#attempts++;
    const polling = this.#failures >= pollingAfterFailures;
    this.#setStatus(polling ? 'fallback' : 'lost', reason);
    if (polling) this.#startPolling();
    this.#nextAttemptAt = Date.now() + delay;
    this.#timers.set('retry', delay, () => void this.#open());
  }

  #startPolling(): void {
    if (!this.#poller.running) this.#pollOk = null;
    this.#poller.start();
  }

  #authFailed(reason: string, code: number | null): void {
    this.#fail(reason);
    this.#events.emit('auth_error', { type: 'auth_error', timestamp: now(), reason, code });
  }

  #fail(reason: string): void {
    this.#attemptId++;
    this.#welcomed = false;
    this.#dropTransport(CloseCode.NORMAL, '');
    this.#timers.clearAll();
    this.#poller.stop();
    this.#lastError = reason;
    this.#setStatus('fail', reason);
  }

  // ------------------------------------------------------------------ messages

  /** Delivers a server message (from the socket or polling) to listeners, after dedupe and local filters. */
  #receive(message: ServerMessage): void {
    // The leader tab relays everything it gets; each tab applies its own dedupe and filter.
    this.#tabs?.relay(message);
    switch (message.type) {
      case 'statistics_update':
        this.#statistics = message.data;
        break;
      case 'camera_event':
      case 'alert':
      case 'alert_update':
        if (!this.#dedupe.accept(message.id)) return;
        break;
      case 'auth_ok':
        this.#scheduleRefresh(message.token_expires_at, message.timestamp);
        break;
    }
    // Replays and the first snapshot arrive before the server has our subscriptions: filter here too.
    if (this.#subscriptions.wants(message)) this.#emit(message);
  }

  #emit(message: ServerMessage): void {
    this.#events.emit(message.type, message as never);
    this.#events.emit('message', message);
  }

  #gap(source: 'websocket' | 'polling', resumeFrom: string | null, rebase: boolean): void {
    const lastEventId = this.#dedupe.last;
    if (rebase) this.#rebase(resumeFrom);
    this.#events.emit('gap', { type: 'gap', timestamp: now(), lastEventId, resumeFrom, source });
  }

  #rebase(cursor: string | null): void {
    this.#dedupe.reset(cursor);
    this.#fromStart = cursor === null;
  }

  /**
   * Delivers over HTTP what the socket will not replay: the events after `after`, or (null) every
   * event of a history that was empty when last seen.
   */
  async #backfill(after: string | null): Promise<void> {
    const id = this.#attemptId;
    const types = this.#subscriptions.eventKinds();
    if (types.length === 0) return;
    try {
      const answer = await this.#apis[this.#baseIndex]!.events({ after, limit: 1000, types });
      if (id === this.#attemptId) for (const event of answer.events) this.#receive(event);
    } catch (error) {
      this.#lastError = (error as Error).message;
    }
  }

  /**
   * Where a client without a cursor starts: the server's newest event id when connect() was called
   * (`GET /api/events?limit=1`, sent with the first attempt's token beside that attempt), so that
   * nothing posted between connect() and the first poll, or the welcome of a socket opened before
   * this answer, is missed. An empty history: every event is new. Dropped when a cursor came first
   * (a welcome) or the client was disconnected meanwhile; on failure the first poll or welcome
   * takes the server's newest id, as it did before.
   */
  async #takeStartingPoint(session: number, token: string | null): Promise<void> {
    const api = new OpenEyeApi({
      baseUrl: this.#baseUrls[this.#baseIndex]!,
      fetch: this.#options.fetch,
      getToken: () => token,
    });
    try {
      const answer = await api.events({ limit: 1 });
      if (session !== this.#session || this.#dedupe.last !== null || this.#fromStart) return;
      this.#rebase(answer.last_event_id);
    } catch {
      // Nothing to do: see above.
    }
  }

  // ------------------------------------------------------------------ heartbeat, token refresh

  /** Drops the connection when nothing arrived for two heartbeat intervals. */
  #armWatchdog(): void {
    const limit = 2 * this.#heartbeatMs;
    const wait = Math.max(0, this.#lastReceivedAt + limit - Date.now());
    this.#timers.set('watchdog', wait, () => {
      if (Date.now() - this.#lastReceivedAt < limit) {
        this.#armWatchdog();
        return;
      }
      this.#dropTransport(WATCHDOG_CLOSE, 'No heartbeat');
      this.#lost(1006, 'No message for two heartbeat intervals');
    });
  }

  /** JSON pings every half heartbeat interval, so pongs keep the watchdog fed on a quiet connection. */
  #schedulePing(): void {
    this.#timers.set('ping', Math.max(1, Math.floor(this.#heartbeatMs / 2)), () => {
      this.send({ type: 'ping', timestamp: now() });
      this.#schedulePing();
    });
  }

  /** Sends a fresh token as `auth` before the current one expires (the answer, `auth_ok`, schedules the next). */
  #scheduleRefresh(expiresAt: string, serverNow: string): void {
    const delay = refreshDelay(expiresAt, serverNow, this.#settings.refreshBeforeExpiryMs);
    if (!this.#tokens.canRefresh || delay === null) return;
    const id = this.#attemptId;
    this.#timers.set('refresh', delay, async () => {
      try {
        const token = await this.#tokens.fresh();
        if (id === this.#attemptId && token) this.send({ type: 'auth', token });
      } catch {
        // The server closes with `Token expired` if no fresh token comes; that path asks again.
      }
    });
  }

  // ------------------------------------------------------------------ helpers

  #pollFailed(error: ApiError): void {
    this.#lastError = error.message;
    if (error.status === 401) {
      this.#pollAuthFailures++;
      if (!this.#tokens.canRefresh || this.#pollAuthFailures >= POLL_AUTH_FAILURES) {
        this.#authFailed(error.message, 401);
      }
      return;
    }
    if (error.status === 0 && this.#baseUrls.length > 1) {
      this.#baseIndex = (this.#baseIndex + 1) % this.#baseUrls.length;
    }
  }

  #setStatus(event: ConnectionEvent, reason?: string): void {
    const previousStatus = this.#status;
    const status = transition(previousStatus, event);
    if (status === previousStatus) return;
    this.#status = status;
    const change: ClientEventMap['status_change'] = { status, previousStatus, timestamp: now() };
    if (reason !== undefined) change.reason = reason;
    this.#tabs?.relayStatus(status, reason);
    this.#events.emit('status_change', change);
  }

  /** A follower tab shows the leader's status (no transition table: the leader's already went through it). */
  #mirrorStatus(status: ConnectionStatus, reason?: string): void {
    const previousStatus = this.#status;
    if (status === previousStatus || !this.#active()) return;
    this.#status = status;
    const change: ClientEventMap['status_change'] = { status, previousStatus, timestamp: now() };
    if (reason !== undefined) change.reason = reason;
    this.#events.emit('status_change', change);
  }

  readonly #tabHooks = {
    frame: (data: Uint8Array) => {
      this.#media.receive(data);
    },
    lead: () => {
      // Resume from the last event this tab saw (relayed by the previous leader, if any).
      if (this.#status === 'connected') this.#mirrorStatus('reconnecting', 'This tab took the connection over');
      this.#wantStartingPoint = this.#dedupe.last === null && !this.#fromStart;
      void this.#open();
    },
    resign: () => {
      this.#attemptId++;
      this.#welcomed = false;
      this.#dropTransport(CloseCode.NORMAL, 'Another tab took the connection over');
      this.#timers.clearAll();
      this.#poller.stop();
    },
    message: (message: ServerMessage) => {
      if (message.type !== 'connection_status') {
        this.#receive(message);
        return;
      }
      // The leader's welcome: where the stream stands, for when this tab has to take over.
      if (this.#dedupe.last === null && !this.#fromStart) {
        if (message.last_event_id === null) this.#fromStart = true;
        else this.#rebase(message.last_event_id);
      }
      this.#emit(message);
    },
    status: (status: ConnectionStatus, reason?: string) => this.#mirrorStatus(status, reason),
    send: (message: object) => void this.send(message),
    currentStatus: () => this.#status,
  };

  #active(): boolean {
    return this.#status !== 'disconnected' && this.#status !== 'error';
  }

  #dropTransport(code: number, reason: string): void {
    const transport = this.#transport;
    this.#transport = null;
    transport?.close(code, reason);
  }

  #stopConnectionTimers(): void {
    for (const name of ['connect', 'watchdog', 'ping', 'refresh'] as const) this.#timers.clear(name);
  }

  /** The browser is back online or the tab visible again: skip the rest of the backoff. */
  #retryNow(): void {
    if (!this.#timers.has('retry')) return;
    this.#timers.clear('retry');
    void this.#open();
  }
}

function now(): string {
  return new Date().toISOString();
}

function describeClose(code: number, reason: string): string {
  return reason ? `${reason} (${code})` : `Connection closed (${code})`;
}
