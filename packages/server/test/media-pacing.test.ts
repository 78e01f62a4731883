/**
 * The fps cap of a watch (media/viewers.ts) must not hold frames that could go: a camera that sends
 * at about the rate a viewer asked for, or at twice it with a little jitter, gets its frames through
 * as they arrive, not up to one camera interval later. Simulated time (fake timers): each frame's
 * wait is measured on the fake clock, so nothing here depends on the machine's speed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MediaFrame } from '../src/media/frames.js';
import { MediaViewers } from '../src/media/viewers.js';
import type { Connection } from '../src/realtime/connection.js';
import type { Outbox } from '../src/realtime/outbox.js';

const CAMERA = 7;

/** Frames arriving at `arrivals` (ms), watched at `maxFps`; the wait of each frame that was sent. */
function simulate(
  arrivals: number[],
  maxFps: number,
  /** Watched at this fps first, with one frame sent, then at `maxFps`. */
  firstFps?: number,
  /** How long the client takes to answer a media ping (ms). */
  pongMs = 1,
): { sent: number; waits: number[]; times: number[] } {
  const sentAt = new Map<number, number>();
  const conn = { id: 1, userId: 1, username: 'v', closing: false, media: null } as unknown as Connection;
  let viewers: MediaViewers;
  const outbox = {
    // The client reads the frames and answers the media ping (a whole WebSocket frame; its payload
    // from the third byte) `pongMs` later.
    writeMedia(c: Connection, wires: Buffer[], _bytes: number, ping: Buffer | null) {
      for (const wire of wires) sentAt.set(wire.readUInt32BE(0), Date.now());
      if (ping) setTimeout(() => viewers.onPong(c, ping.subarray(2)), pongMs);
      return true;
    },
  } as unknown as Outbox;
  viewers = new MediaViewers(outbox, { framesDelivered() {}, framesDropped() {} });
  if (firstFps) {
    viewers.watch(conn, CAMERA, firstFps);
    const wire = Buffer.alloc(8);
    wire.writeUInt32BE(0xffffffff, 0);
    viewers.deliver({ cameraId: CAMERA, wire, image: wire, receivedAt: Date.now() } as MediaFrame);
    vi.advanceTimersByTime(5);
  }
  viewers.watch(conn, CAMERA, maxFps);
  const start = Date.now();
  arrivals.forEach((at, seq) => {
    vi.advanceTimersByTime(start + at - Date.now());
    const wire = Buffer.alloc(8);
    wire.writeUInt32BE(seq, 0);
    const frame = {
      cameraId: CAMERA,
      seq,
      timestamp: Date.now(),
      contentType: 'image/jpeg',
      width: 0,
      height: 0,
      image: wire,
      wire,
      receivedAt: Date.now(),
    } as MediaFrame;
    viewers.deliver(frame);
  });
  vi.advanceTimersByTime(2000);
  const first = sentAt.get(0xffffffff);
  sentAt.delete(0xffffffff);
  const waits = [...sentAt].map(([seq, at]) => at - (start + arrivals[seq]!));
  const times = [...sentAt.values(), ...(first === undefined ? [] : [first])].sort((a, b) => a - b);
  return { sent: sentAt.size, waits, times };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the fps cap of a watch', () => {
  it('passes frames of a camera slightly faster than the cap as they arrive (no creeping delay)', () => {
    // A "10 fps" camera whose clock runs 1% fast: a frame every 99 ms, watched at 10 fps.
    const arrivals = Array.from({ length: 200 }, (_, k) => k * 99);
    const { sent, waits } = simulate(arrivals, 10);
    expect(sent).toBeGreaterThanOrEqual(190);
    expect(sent).toBeLessThanOrEqual(200);
    // One frame in about a hundred must be dropped; the others go at once or nearly (before: the
    // wait grew by 1 ms per frame up to a whole interval, a median of 50 ms).
    expect(median(waits)).toBeLessThanOrEqual(20);
  });

  it('at half the camera rate with ±2 ms jitter, sends every other frame as it arrives', () => {
    // 10 fps camera, frames 2 ms early or late in turn, watched at 5 fps.
    const arrivals = Array.from({ length: 200 }, (_, k) => k * 100 + (k % 4 < 2 ? 2 : -2));
    const { sent, waits } = simulate(arrivals, 5);
    // The cap holds: about 5 frames/s over the 20 s, never more.
    expect(sent).toBeLessThanOrEqual(102);
    expect(sent).toBeGreaterThanOrEqual(90);
    expect(median(waits)).toBeLessThanOrEqual(5);
  });

  it('at half the camera rate, an older frame does not take the slot a fresher one is due for', () => {
    // 10 fps camera watched at 5 fps; the viewer's pong comes 30 ms after each frame.
    const arrivals = Array.from({ length: 200 }, (_, k) => k * 100);
    const { sent, waits } = simulate(arrivals, 5, undefined, 30);
    expect(sent).toBeLessThanOrEqual(102);
    expect(median(waits)).toBeLessThanOrEqual(5);
  });

  it('at half the camera rate, waits for a fresher frame that comes 30 ms late rather than send an old one', () => {
    // 10 fps camera watched at 5 fps; one frame in ten (one that takes a slot) comes 30 ms late, as
    // under load. Sending the kept one instead would make that slot's frame 120 ms old.
    const arrivals = Array.from({ length: 200 }, (_, k) => k * 100 + (k % 10 === 4 ? 30 : 0));
    const { sent, waits } = simulate(arrivals, 5);
    expect(sent).toBeLessThanOrEqual(102);
    expect(sent).toBeGreaterThanOrEqual(90);
    // (A late frame moves the schedule by its lateness; the frames after it may wait up to that.)
    expect(median(waits)).toBeLessThanOrEqual(15);
    expect(waits.filter((w) => w > 50).length).toBeLessThanOrEqual(2);
  });

  it('a frame kept back for the next one still goes when the camera stops', () => {
    // 10 fps camera watched at 5 fps; its last frame (the tenth) is one that waits for a fresher one.
    const arrivals = Array.from({ length: 10 }, (_, k) => k * 100);
    const { sent, waits, times } = simulate(arrivals, 5);
    expect(sent).toBe(6); // 0, 200, 400, 600, 800 ms, and the last (900 ms)
    // The last one sent is the camera's last frame, within two camera intervals after it came.
    expect(times.at(-1)! - (1_000_000 + 900)).toBeLessThanOrEqual(200);
    expect(Math.max(...waits)).toBeLessThanOrEqual(200);
  });

  it('never sends two frames closer together than the cap allows, less a small tolerance', () => {
    // A burst: a frame every 10 ms for 3 s, watched at 4 fps (250 ms).
    const arrivals = Array.from({ length: 300 }, (_, k) => k * 10);
    const { sent, times } = simulate(arrivals, 4);
    expect(sent).toBeLessThanOrEqual(14); // 3 s at 4 fps, + the first at once, + the last
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(230);
  });

  it('a lower fps asked for applies from the last frame sent', () => {
    // One frame sent at 15 fps, then the watch changed to 4 fps, then a burst.
    const arrivals = Array.from({ length: 100 }, (_, k) => k * 10);
    const { times } = simulate(arrivals, 4, 15);
    expect(times.length).toBeGreaterThan(2);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(230);
  });
});
