/**
 * The statistics broadcaster: a snapshot every interval, and one soon after any change. Changes
 * are coalesced: the first schedules a broadcast `debounceMs` later and the rest ride along, so a
 * burst of 1,000 changes yields a handful of messages. Each broadcast computes the snapshot once.
 */
import type { StatisticsService } from '../domain/statistics.js';
import type { Logger } from '../logger.js';
import type { Maybe } from '../maybe.js';
import { statisticsFrame } from './frame.js';
import type { Hub } from './hub.js';

export class StatisticsBroadcaster {
  private interval: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly hub: Hub,
    private readonly statistics: StatisticsService,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly debounceMs = 150,
  ) {}

  start(): void {
    this.interval = setInterval(() => void this.broadcast(), this.intervalMs);
    this.interval.unref();
    void this.broadcast();
  }

  /** A number may have changed: recompute and broadcast soon. */
  changed(): void {
    this.statistics.invalidate();
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.broadcast();
    }, this.debounceMs);
    this.debounce.unref();
  }

  private welcomeCache: { frame: Buffer; version: number; until: number } | null = null;

  /**
   * The newest statistics framed for a new connection's welcome: computed once per change (and at
   * most once a second) for every connection that opens meanwhile.
   */
  welcomeFrame(): Maybe<Buffer> {
    const cached = this.welcomeCache;
    const version = this.statistics.version;
    if (cached && cached.version === version && cached.until > Date.now()) return cached.frame;
    return this.newWelcomeFrame(version);
  }

  private async newWelcomeFrame(version: number): Promise<Buffer> {
    const frame = statisticsFrame(await this.statistics.snapshot());
    this.welcomeCache = { frame, version, until: Date.now() + 1000 };
    return frame;
  }

  broadcast(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        this.hub.broadcastStatisticsUpdate(await this.statistics.snapshot());
      } catch (err) {
        this.log.error({ event: 'statistics.error', err }, 'statistics snapshot failed');
      } finally {
        this.running = null;
        if (this.again) {
          this.again = false;
          void this.broadcast();
        }
      }
    })();
    return this.running;
  }

  stop(): void {
    if (this.interval) clearInterval(this.interval);
    if (this.debounce) clearTimeout(this.debounce);
  }
}
