/**
 * Retention: the event history keeps the newest OPENEYE_HISTORY_MAX_EVENTS and those younger than
 * the age limit; event snapshots are kept OPENEYE_MEDIA_MAX_AGE_DAYS and OPENEYE_MEDIA_MAX_BYTES.
 */
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';

export class HistoryRetention {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly maxEvents: number,
    private readonly maxAgeDays: number,
    private readonly media: { maxAgeDays: number; maxBytes: number },
    private readonly log: Logger,
    private readonly intervalMs = 60_000,
  ) {}

  /** Prunes once now, then every interval. */
  async start(): Promise<void> {
    await this.prune();
    this.timer = setInterval(() => void this.prune(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async prune(): Promise<void> {
    try {
      const cutoff = new Date(Date.now() - this.maxAgeDays * 86400_000).toISOString();
      const removed = await this.store.events.prune(this.maxEvents, cutoff);
      if (removed > 0) this.log.debug({ event: 'history.pruned', removed }, 'history pruned');
      const mediaCutoff = new Date(Date.now() - this.media.maxAgeDays * 86400_000).toISOString();
      const images = await this.store.media.prune(mediaCutoff, this.media.maxBytes);
      if (images > 0) this.log.debug({ event: 'media.pruned', removed: images }, 'snapshots pruned');
    } catch (err) {
      this.log.warn({ event: 'history.prune_failed', err }, 'history pruning failed');
    }
  }
}
