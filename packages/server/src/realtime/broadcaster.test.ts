import type { Statistics } from '@openeye/protocol';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StatisticsService } from '../domain/statistics.js';
import { StatisticsBroadcaster } from './broadcaster.js';
import type { Hub } from './hub.js';

function setup(fail = false) {
  const sent: Statistics[] = [];
  let invalidations = 0;
  const hub = { broadcastStatisticsUpdate: (s: Statistics) => sent.push(s) } as unknown as Hub;
  const statistics = {
    invalidate: () => invalidations++,
    snapshot: async () => {
      if (fail) throw new Error('store down');
      return { timestamp: 'now' } as Statistics;
    },
  } as unknown as StatisticsService;
  const broadcaster = new StatisticsBroadcaster(hub, statistics, pino({ level: 'silent' }), 5000, 150);
  return { broadcaster, sent, invalidations: () => invalidations };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('StatisticsBroadcaster', () => {
  it('coalesces a burst of changes into one broadcast after the debounce', async () => {
    vi.useFakeTimers();
    const { broadcaster, sent, invalidations } = setup();
    for (let i = 0; i < 1000; i++) broadcaster.changed();
    expect(invalidations()).toBe(1000);
    expect(sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(150);
    expect(sent).toHaveLength(1);
    broadcaster.stop();
  });

  it('broadcasts at start and every interval', async () => {
    vi.useFakeTimers();
    const { broadcaster, sent } = setup();
    broadcaster.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent).toHaveLength(3);
    broadcaster.stop();
  });

  it('a broadcast asked for while one runs runs once more after it, not twice', async () => {
    const { broadcaster, sent } = setup();
    const first = broadcaster.broadcast();
    void broadcaster.broadcast();
    void broadcaster.broadcast();
    await first;
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(2);
  });

  it('a failing snapshot is logged, not thrown', async () => {
    const { broadcaster, sent } = setup(true);
    await expect(broadcaster.broadcast()).resolves.toBeUndefined();
    expect(sent).toHaveLength(0);
  });
});
