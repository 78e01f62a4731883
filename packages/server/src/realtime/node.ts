/**
 * This node's realtime side: the hub and its WebSocket endpoint, fed by the cluster engine.
 *
 *   domain (store, then publish) ──► engine ──► onBus: events ──► sequencer (id order, gaps read
 *   from the store) ──► hub.deliverEvents ──► outbox ──► sockets
 *                                          changed ──► broadcaster (statistics, coalesced)
 *                                          user_revoked ──► endpoint forgets, hub closes 1008
 *                                          key_revoked ──► hub closes that key's connections 1008
 *                                          user_access ──► the user's connections re-filtered
 *                                          presence ──► hub.presence (merged view to subscribers)
 *   every 5 s: revocations.ts checks open connections' keys and users against the store (the CLI)
 */
import type { Server } from 'node:http';
import { decodeFrame, FRAME_HEADER_BYTES } from '@openeye/protocol';
import type { ApiKeyVerifier } from '../auth/api-keys.js';
import type { JwtService } from '../auth/jwt.js';
import type { BusMessage, ClusterEngine } from '../cluster/engine.js';
import type { Config } from '../config.js';
import type { StatisticsService } from '../domain/statistics.js';
import type { Logger } from '../logger.js';
import { makeFrame } from '../media/frames.js';
import { MediaService } from '../media/service.js';
import type { Metrics } from '../ops/metrics.js';
import type { Store } from '../store/index.js';
import { StatisticsBroadcaster } from './broadcaster.js';
import { WebSocketEndpoint } from './endpoint.js';
import { Hub } from './hub.js';
import { RevocationSweep } from './revocations.js';
import { Sequencer } from './sequencer.js';

/** How often a node on a lossy bus checks the store for events it missed. */
const STORE_POLL_MS = 2000;
/** How often a node re-reads which cameras other nodes watch (besides the presence hints). */
const WATCHED_REFRESH_MS = 3000;

export interface RealtimeDeps {
  config: Config;
  store: Store;
  engine: ClusterEngine;
  jwt: JwtService;
  keys: ApiKeyVerifier;
  statistics: StatisticsService;
  log: Logger;
  metrics: Metrics;
}

export class RealtimeNode {
  readonly hub: Hub;
  readonly media: MediaService;
  readonly endpoint: WebSocketEndpoint;
  readonly broadcaster: StatisticsBroadcaster;
  private readonly sequencer: Sequencer;
  /** Closes connections revoked where no bus message says so (the CLI). */
  private readonly revocations: RevocationSweep;
  private pollTimer: NodeJS.Timeout | null = null;
  private watchedTimer: NodeJS.Timeout | null = null;
  /** Cameras with live viewers on other nodes (refreshed on presence hints and every few seconds). */
  private watchedElsewhere: ReadonlySet<number> = new Set();
  private started = false;

  constructor(private readonly deps: RealtimeDeps) {
    const { config, store, engine, jwt, keys, statistics, log, metrics } = deps;
    this.hub = new Hub(
      {
        compression: config.wsCompression
          ? { windowBits: config.wsCompressionWindowBits, threshold: config.wsCompressionThreshold }
          : null,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        maxBufferedBytes: config.maxBufferedBytes,
        messageRate: config.messageRate,
        messageBurst: config.messageBurst,
      },
      (token) => jwt.verify(token),
      log,
      metrics,
      engine.limiter,
    );
    this.hub.onConnectionsChange = () => engine.connectionsChanged();
    this.media = new MediaService(
      this.hub,
      { maxFps: config.mediaMaxFps, maxWatches: config.mediaMaxWatches, maxFrameBytes: config.maxFrameBytes },
      async (id) => (await store.cameras.byId(id)) !== null,
      log,
    );
    this.hub.presence.announce = () => engine.presenceChanged();
    this.hub.presence.fetch = () => engine.presence();
    this.sequencer = new Sequencer(store, (events) => this.hub.deliverEvents(events), log);
    this.broadcaster = new StatisticsBroadcaster(this.hub, statistics, log, config.broadcastIntervalMs);
    this.endpoint = new WebSocketEndpoint({
      config,
      jwt,
      keys,
      store,
      hub: this.hub,
      statisticsFrame: () => this.broadcaster.welcomeFrame(),
      log,
      metrics,
      deliveredPosition: () => this.sequencer.position,
    });
    this.revocations = new RevocationSweep(this.hub, store, (id) => this.endpoint.forgetUser(id), log);
    engine.subscribe((m) => this.onBus(m));
    // Frames cross to the other nodes only for cameras someone watches there.
    this.media.onIngested = (frame) => {
      if (!this.watchedElsewhere.has(frame.cameraId)) return;
      engine.publishFrame(frame.wire.subarray(frame.wire.length - FRAME_HEADER_BYTES - frame.image.length));
      metrics.mediaFramesForwarded.inc();
    };
    engine.subscribeFrames((payload) => {
      const decoded = decodeFrame(payload);
      if (!decoded) return;
      const { cameraId, seq, timestamp, contentType } = decoded.header;
      this.media.accept(makeFrame(cameraId, seq, Buffer.from(decoded.image), contentType, timestamp));
      metrics.mediaFramesIngested.inc({ source: 'cluster' });
    });
    engine.onReconnect(() => {
      void this.sequencer.catchUp();
      this.broadcaster.changed();
    });
  }

  private onBus(m: BusMessage): void {
    switch (m.kind) {
      case 'events':
        // Before start, the sequencer's first read of the store covers these.
        if (this.started) this.sequencer.offer(m.events);
        return;
      case 'changed':
        this.broadcaster.changed();
        return;
      case 'user_revoked':
        this.endpoint.forgetUser(m.userId);
        this.hub.revokeUser(m.userId);
        return;
      case 'key_revoked':
        this.hub.revokeKey(m.keyId);
        return;
      case 'user_access':
        this.endpoint
          .refreshAccess(m.userId)
          .catch((err) =>
            this.deps.log.warn({ event: 'access.refresh_failed', user: m.userId, err }, 'camera access not refreshed'),
          );
        return;
      case 'presence':
        // Who watches what changed somewhere: presence to subscribers, and where frames must go.
        this.hub.presence.clusterChange();
        this.refreshWatched();
        return;
    }
  }

  attach(server: Server): void {
    this.endpoint.attach(server);
  }

  /** Joins the cluster, positions the sequencer at the newest stored event, starts the timers. */
  async start(): Promise<void> {
    const { engine } = this.deps;
    await this.sequencer.init();
    this.started = true;
    await engine.start(() => this.hub.snapshot());
    if (engine.lossy) {
      this.pollTimer = setInterval(() => void this.sequencer.poll(), STORE_POLL_MS);
      this.pollTimer.unref();
    }
    this.hub.start();
    this.broadcaster.start();
    this.revocations.start();
    if (engine.name !== 'local') {
      this.watchedTimer = setInterval(() => this.refreshWatched(), WATCHED_REFRESH_MS);
      this.watchedTimer.unref();
      this.refreshWatched();
    }
  }

  /** Whether another node has live viewers of the camera (frames go there; pulling is for them too). */
  isWatchedElsewhere(cameraId: number): boolean {
    return this.watchedElsewhere.has(cameraId);
  }

  /** Cameras that became, or stopped being, watched on another node. */
  onWatchedElsewhereChange: (cameraIds: number[]) => void = () => undefined;

  private refreshWatched(): void {
    this.deps.engine.watchedElsewhere().then(
      (set) => {
        const before = this.watchedElsewhere;
        this.watchedElsewhere = set;
        const changed = [...set].filter((id) => !before.has(id)).concat([...before].filter((id) => !set.has(id)));
        if (changed.length > 0) this.onWatchedElsewhereChange(changed);
      },
      () => undefined,
    );
  }

  setEnabled(enabled: boolean): void {
    this.endpoint.enabled = enabled;
    if (!enabled) this.hub.closeAll();
  }

  /** Closes every socket 1001 and leaves the cluster. */
  async stop(): Promise<{ closed: number; terminated: number }> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.watchedTimer) clearInterval(this.watchedTimer);
    this.broadcaster.stop();
    this.revocations.stop();
    const result = await this.hub.shutdown();
    this.endpoint.close();
    return result;
  }
}
