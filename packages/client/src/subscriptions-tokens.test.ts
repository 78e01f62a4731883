import { describe, expect, it } from 'vitest';
import { alert, cameraEvent } from '../test/helpers/fake-socket.js';
import { SubscriptionSet } from './subscription-set.js';
import { refreshDelay, TokenSource } from './tokens.js';

const DEFAULTS = { event_types: ['statistics_update', 'camera_event', 'alert'] as const, camera_ids: null };

describe('SubscriptionSet', () => {
  it('sends nothing when the server already has what the application wants', () => {
    const set = new SubscriptionSet(['statistics_update', 'camera_event', 'alert'], null);
    expect(set.reconcile({ ...DEFAULTS, event_types: [...DEFAULTS.event_types] })).toEqual([]);
  });

  it('adds the missing types, sets a differing camera filter, removes the extra types', () => {
    const set = new SubscriptionSet(['alert', 'presence_update'], [3, 1]);
    expect(set.reconcile({ event_types: ['statistics_update', 'camera_event', 'alert'], camera_ids: null })).toEqual([
      { type: 'subscribe', event_types: ['alert', 'presence_update'], camera_ids: [3, 1] },
      { type: 'unsubscribe', event_types: ['statistics_update', 'camera_event'] },
    ]);
    expect(set.reconcile({ event_types: ['alert'], camera_ids: [1, 3] })).toEqual([
      { type: 'subscribe', event_types: ['presence_update'] },
    ]);
  });

  it('filters like the server: types, then cameras (alerts without a camera always pass)', () => {
    const set = new SubscriptionSet(['camera_event', 'alert'], null);
    set.add([], [1]);
    expect(set.wants(cameraEvent('1', 1))).toBe(true);
    expect(set.wants(cameraEvent('2', 2))).toBe(false);
    expect(set.wants(alert('3', 2))).toBe(false);
    expect(set.wants(alert('4'))).toBe(true);
    set.remove(['alert']);
    expect(set.wants(alert('5'))).toBe(false);
    expect(set.eventKinds()).toEqual(['camera_event']);
  });
});

describe('refreshDelay', () => {
  const t0 = '2025-01-01T00:00:00.000Z';
  const at = (ms: number) => new Date(Date.parse(t0) + ms).toISOString();

  it('is refreshBeforeExpiry ahead of the expiry, measured on the server clock', () => {
    expect(refreshDelay(at(3_600_000), t0, 60_000)).toBe(3_540_000);
  });
  it('is half the remaining lifetime when that is shorter, and never under 500 ms', () => {
    expect(refreshDelay(at(10_000), t0, 60_000)).toBe(5000);
    expect(refreshDelay(at(200), t0, 60_000)).toBe(500);
    expect(refreshDelay(at(-5000), t0, 60_000)).toBe(500);
  });
  it('is null for unreadable times', () => {
    expect(refreshDelay('soon', t0, 60_000)).toBeNull();
  });
  it('is null for a credential that does not expire within a timer (an API key: 9999-12-31)', () => {
    // setTimeout fires at once for a delay above 2^31 - 1 ms (about 24.8 days): no refresh is due.
    expect(refreshDelay('9999-12-31T23:59:59.000Z', t0, 60_000)).toBeNull();
    expect(refreshDelay(at(30 * 86_400_000), t0, 60_000)).toBeNull();
    expect(refreshDelay(at(24 * 86_400_000), t0, 60_000)).toBe(24 * 86_400_000 - 60_000);
  });
});

describe('TokenSource', () => {
  it('uses a given token once, then asks the provider', async () => {
    let n = 0;
    const tokens = new TokenSource(async () => `p${++n}`);
    tokens.give('given');
    expect(await tokens.forAttempt()).toBe('given');
    expect(await tokens.forAttempt()).toBe('p1');
    expect(await tokens.fresh()).toBe('p2');
  });
  it('without a provider keeps the given token for every attempt', async () => {
    const tokens = new TokenSource(undefined);
    expect(tokens.canRefresh).toBe(false);
    tokens.give('t');
    expect(await tokens.forAttempt()).toBe('t');
    expect(await tokens.forAttempt()).toBe('t');
  });
  it('treats an empty answer of the provider as no token', async () => {
    const tokens = new TokenSource(() => '');
    expect(await tokens.forAttempt()).toBeNull();
  });
});
