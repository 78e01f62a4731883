/** The in-process engine: one node, nothing to share. The default, not a mock. */
import { randomUUID } from 'node:crypto';
import type { ConnectionStatistics, Presence } from '@openeye/protocol';
import { LocalAttemptCounter } from '../auth/login-throttle.js';
import {
  type BusHandler,
  type BusMessage,
  type ClusterEngine,
  type EngineHealth,
  mergePresence,
  mergeStatistics,
  type NodeSnapshot,
} from './engine.js';
import { LocalLimiter } from './limiter.js';

export class LocalEngine implements ClusterEngine {
  readonly name = 'local' as const;
  readonly nodeId = randomUUID();
  readonly lossy = false;
  readonly limiter: LocalLimiter;
  readonly attempts = new LocalAttemptCounter();
  private readonly handlers: BusHandler[] = [];
  private snapshot: () => NodeSnapshot = () => ({ users: {}, presence: {} });

  constructor(maxConnectionsPerUser: number) {
    this.limiter = new LocalLimiter(maxConnectionsPerUser);
  }

  async start(snapshot: () => NodeSnapshot): Promise<void> {
    this.snapshot = snapshot;
  }

  async stop(): Promise<void> {
    this.handlers.length = 0;
  }

  publish(message: BusMessage): void {
    for (const h of this.handlers) h(message);
  }

  subscribe(handler: BusHandler): void {
    this.handlers.push(handler);
  }

  onReconnect(): void {
    // Nothing to reconnect to.
  }

  health(): EngineHealth {
    return 'local';
  }

  async statistics(): Promise<ConnectionStatistics> {
    return mergeStatistics([this.snapshot()]);
  }

  async presence(): Promise<Presence> {
    return mergePresence([this.snapshot()]);
  }

  connectionsChanged(): void {}

  presenceChanged(): void {
    this.publish({ kind: 'presence' });
  }

  /** Alone, no other node watches anything. */
  async watchedElsewhere(): Promise<ReadonlySet<number>> {
    return new Set();
  }

  publishFrame(): void {}

  subscribeFrames(): void {}

  /** Alone, this node holds every lease. */
  async lease(): Promise<boolean> {
    return true;
  }

  async releaseLease(): Promise<void> {}
}
