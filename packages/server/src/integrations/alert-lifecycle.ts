/**
 * THE HOOK FOR THE ALERT LIFECYCLE (acknowledge / resolve, `alert_update` events), which is being
 * built separately. Integrations need two things from it:
 *
 * - `frigateReviewChanged`: a Frigate review that already became an OpenEye alert was updated or
 *   ended (the alert's event id is the receipt's `ref`). Until the lifecycle lands this only
 *   counts it: the alert itself is not duplicated either way.
 * - `openAlerts`: the figure of the "Open alerts" Home Assistant sensor and `<p>/out/statistics`.
 *   Until alerts can be resolved, every alert of the current day counts as open.
 *
 * The lifecycle replaces `interimAlertLifecycle` in app.ts; its `alert_update` events, once stored,
 * are published on `<p>/out/alerts/updates` by mqtt-publish.ts without further change.
 */
import type { StatisticsService } from '../domain/statistics.js';
import type { Store } from '../store/index.js';

export interface ReviewChange {
  /** The id of the alert event the review made. */
  alertEventId: string;
  status: 'updated' | 'ended';
  data: Record<string, unknown>;
}

export interface AlertLifecycleHook {
  frigateReviewChanged(change: ReviewChange): Promise<void>;
  openAlerts(): Promise<number>;
}

export function interimAlertLifecycle(store: Store, statistics: StatisticsService): AlertLifecycleHook {
  return {
    async frigateReviewChanged() {
      // Nothing to change yet: alerts have no state until the lifecycle lands.
    },
    async openAlerts() {
      return store.events.countSince('alert', await statistics.dayStart());
    },
  };
}
