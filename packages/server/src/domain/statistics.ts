/**
 * The statistics snapshot of the guide (`statistics_update.data`, `GET /api/statistics`).
 * Computed from the store at most once per invalidation, however many readers ask meanwhile.
 */
import type { Statistics } from '@openeye/protocol';
import type { Store } from '../store/index.js';
import { DayClock } from './time.js';

export class StatisticsService {
  private cached: Promise<Statistics> | null = null;
  private cachedDay = '';
  private readonly day: DayClock;

  constructor(
    private readonly store: Store,
    timeZone: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.day = new DayClock(timeZone);
  }

  /** Marks the snapshot stale: the next read recomputes it. */
  invalidate(): void {
    this.cached = null;
    this.version++;
  }

  /** Incremented on every invalidation: a cheap "did anything change" for caches built on top. */
  version = 0;

  /** The start of the current day (ISO, UTC) in the configured time zone. */
  async dayStart(): Promise<string> {
    return this.day.startOf(this.now());
  }

  snapshot(): Promise<Statistics> {
    const now = this.now();
    const day = this.day.startOf(now);
    if (this.cached === null || day !== this.cachedDay) {
      this.cachedDay = day;
      const pending = this.compute(day);
      this.cached = pending;
      pending.catch(() => {
        if (this.cached === pending) this.cached = null;
      });
    }
    return this.cached.then((s) => ({ ...s, timestamp: this.now().toISOString() }));
  }

  private async compute(since: string): Promise<Statistics> {
    const [people, recognitions, cameras, alerts] = await Promise.all([
      this.store.people.count(),
      this.store.recognitions.countsSince(since),
      this.store.cameras.counts(),
      this.store.alerts.counts(since),
    ]);
    return {
      face_recognition: {
        total_people: people,
        // Every recognition of the day, known and unknown, as the original counts them
        // (`recognitions_today += len(detected_faces)`); unknown_faces_today is the unknown part.
        recognitions_today: recognitions.total,
        last_recognition: recognitions.last,
        unknown_faces_today: recognitions.unknown,
      },
      cameras: {
        total_cameras: cameras.total,
        active_cameras: cameras.active,
        recording_cameras: cameras.recording,
      },
      timestamp: this.now().toISOString(),
      // Beside the guide's fields (protocol.md version 2): open and acknowledged now, resolved today.
      alerts,
    };
  }
}
