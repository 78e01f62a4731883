/**
 * The alert inbox (lib/live.ts) against the live stream: an answer of `GET /api/alerts` that was
 * asked before an alert existed must not take that alert for resolved when it comes back after the
 * alert arrived live (alerts.test.ts 'acknowledging in one browser...' lost its toast that way on a
 * loaded machine).
 */

import type { OpenEyeApi } from '@openeye/client';
import type { AlertMessage } from '@openeye/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { live, loadAlerts, receive, resetLive } from './live.js';

const smoke = {
  type: 'alert',
  id: '00000000000000000042',
  timestamp: new Date().toISOString(),
  alert_type: 'critical',
  data: { message: 'Smoke in the warehouse', camera_id: 2 },
} as unknown as AlertMessage;

afterEach(() => resetLive());

describe('the alert inbox and the live stream', () => {
  it('keeps an alert that came live while the inbox was being loaded without it', async () => {
    let answer!: () => void;
    const asked = new Promise<void>((resolve) => {
      answer = resolve;
    });
    // The server answers as it was when asked: no alert yet; the answer arrives late.
    const api = {
      listAlerts: async () => {
        await asked;
        return { alerts: [], next_before: null };
      },
    } as unknown as OpenEyeApi;
    const loading = loadAlerts(api);
    receive(smoke);
    expect(live.get().alerts.get(smoke.id)?.state).toBe('open');
    answer();
    await loading;
    expect(live.get().alerts.get(smoke.id)?.state).toBe('open');
    expect(live.get().toasts.flatMap((t) => t.ids)).toContain(smoke.id);
  });

  it('still takes an alert the answer no longer lists, known before it was asked, for resolved', async () => {
    receive(smoke);
    const api = { listAlerts: async () => ({ alerts: [], next_before: null }) } as unknown as OpenEyeApi;
    await loadAlerts(api);
    expect(live.get().alerts.get(smoke.id)?.state).toBe('resolved');
  });
});
