/**
 * What integrations need from the alert lifecycle (domain/alerts.ts, docs/alerts.md):
 *
 * - `frigateReviewChanged`: a Frigate review that already became an OpenEye alert was updated or
 *   ended (the alert's event id is the receipt's `ref`). The alert is neither duplicated nor
 *   changed: Frigate ending a review means the activity is over, not that anyone looked at it, so
 *   the alert stays open until an operator acknowledges or resolves it. Counted, nothing stored.
 * - `openAlerts`: the figure of the "Open alerts" Home Assistant sensor and `<p>/out/statistics`:
 *   alerts in state `open` (not yet acknowledged), the dashboard's figure.
 *
 * The lifecycle's `alert_update` events are published on `<p>/out/alerts/updates` by
 * mqtt-publish.ts like every other stored event.
 */
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

export function alertLifecycleHook(store: Store, dayStart: () => Promise<string>): AlertLifecycleHook {
  return {
    async frigateReviewChanged() {
      // Deliberately nothing: see above.
    },
    async openAlerts() {
      return (await store.alerts.counts(await dayStart())).open;
    },
  };
}
