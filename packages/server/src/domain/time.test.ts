import { describe, expect, it } from 'vitest';
import { DayClock, startOfDay } from './time.js';

describe('startOfDay', () => {
  it('finds local midnight in several zones, across DST', () => {
    expect(startOfDay(new Date('2025-10-10T12:00:00Z'), 'UTC')).toBe('2025-10-10T00:00:00.000Z');
    expect(startOfDay(new Date('2025-10-10T12:00:00Z'), 'Europe/Berlin')).toBe('2025-10-09T22:00:00.000Z');
    expect(startOfDay(new Date('2025-01-10T02:00:00Z'), 'America/New_York')).toBe('2025-01-09T05:00:00.000Z');
    expect(startOfDay(new Date('2025-03-30T12:00:00Z'), 'Europe/Berlin')).toBe('2025-03-29T23:00:00.000Z');
    expect(startOfDay(new Date('2025-10-10T20:00:00Z'), 'Asia/Kolkata')).toBe('2025-10-10T18:30:00.000Z');
  });
});

describe('DayClock', () => {
  it('gives the same answer as startOfDay, across midnight', () => {
    const clock = new DayClock('Europe/Berlin');
    for (const iso of [
      '2025-10-10T12:00:00Z',
      '2025-10-10T21:59:59Z',
      '2025-10-10T22:00:00Z',
      '2025-10-11T05:00:00Z',
      '2025-10-26T12:00:00Z',
      '2025-10-01T00:00:00Z',
    ]) {
      expect(clock.startOf(new Date(iso))).toBe(startOfDay(new Date(iso), 'Europe/Berlin'));
    }
  });
});
