/**
 * Presence (who watches which camera): one debounced path. A change on this node is told to the
 * cluster engine (which refreshes this node's share and tells every node); a `presence` hint from
 * the bus makes this node fetch the merged view and send it to its `presence_update` subscribers.
 * Both steps are coalesced, so a burst of subscription changes yields a handful of messages.
 */
import { type Presence, presenceMessage } from '@openeye/protocol';
import type { HubMetrics } from '../ops/metrics.js';
import type { Connection } from './connection.js';
import { textFrame } from './frame.js';
import type { Outbox } from './outbox.js';

const DEBOUNCE_MS = 100;

export class PresenceNotifier {
  private localTimer: NodeJS.Timeout | null = null;
  private clusterTimer: NodeJS.Timeout | null = null;
  /** Tells the cluster this node's presence changed (the engine's presenceChanged). */
  announce: () => void = () => undefined;
  /** The cluster's merged presence (the engine's presence). */
  fetch: () => Promise<Presence> = async () => ({ cameras: {} });

  constructor(
    private readonly subscribers: () => ReadonlySet<Connection>,
    private readonly outbox: Outbox,
    private readonly metrics: HubMetrics,
  ) {}

  /** Who watches what changed on this node. */
  localChange(): void {
    if (this.localTimer) return;
    this.localTimer = setTimeout(() => {
      this.localTimer = null;
      this.announce();
    }, DEBOUNCE_MS);
  }

  /** Something changed somewhere in the cluster: send the merged view to local subscribers. */
  clusterChange(): void {
    if (this.clusterTimer) return;
    this.clusterTimer = setTimeout(() => {
      this.clusterTimer = null;
      this.fetch().then(
        (p) => this.send(p),
        () => undefined,
      );
    }, DEBOUNCE_MS / 2);
  }

  send(presence: Presence): void {
    const subscribers = this.subscribers();
    if (subscribers.size === 0) return;
    const frame = textFrame(JSON.stringify(presenceMessage(presence)));
    for (const conn of subscribers) this.outbox.send(conn, frame);
    this.metrics.messagesSent.inc({ type: 'presence_update' }, subscribers.size);
  }

  stop(): void {
    if (this.localTimer) clearTimeout(this.localTimer);
    if (this.clusterTimer) clearTimeout(this.clusterTimer);
  }
}
