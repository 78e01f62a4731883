/**
 * Flow control of camera frames (media/viewers.ts): a viewer on a slow link sees young frames, not a
 * backlog; a viewer on a fast link gets what it asked for and is asked to confirm a few times a
 * second, not after every frame (each ping is a write to the client and each pong a read by the
 * server). Simulated time and a simulated link that reads at a fixed rate: nothing here depends on
 * the machine's speed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MediaFrame } from '../src/media/frames.js';
import { MediaViewers } from '../src/media/viewers.js';
import type { Connection } from '../src/realtime/connection.js';
import type { Outbox } from '../src/realtime/outbox.js';

const FRAME_BYTES = 40_000;

interface Result {
  frames: number;
  pings: number;
  /** Age of each frame when the client had read it whole (ms). */
  ages: number[];
  /** The most bytes written but not yet read, at any write. */
  maxInPipe: number;
  /** For each camera, the longest time between two of its frames reaching the client (ms). */
  maxGap: Map<number, number>;
}

/**
 * A client reading its socket: whatever is there, up to `chunk` bytes at a time, then a pause as
 * long as its rate allows for what it took (a throttled reader takes a burst, then waits).
 */
class Reader {
  private readonly queue: { left: number; done: (at: number) => void }[] = [];
  private busy = false;
  queued = 0;

  constructor(
    private readonly rate: () => number,
    private readonly chunk: number,
  ) {}

  write(bytes: number, done: (at: number) => void): void {
    this.queue.push({ left: bytes, done });
    this.queued += bytes;
    if (!this.busy) {
      this.busy = true;
      setTimeout(() => this.read(), 0);
    }
  }

  private read(): void {
    let took = 0;
    // Timers tick in whole ms: a fast reader takes what its rate allows in one.
    const limit = Math.max(this.chunk, this.rate());
    while (this.queue.length > 0 && took < limit) {
      const head = this.queue[0]!;
      const n = Math.min(head.left, limit - took);
      head.left -= n;
      took += n;
      if (head.left === 0) {
        this.queue.shift();
        head.done(Date.now());
      }
    }
    this.queued -= took;
    if (took === 0) {
      this.busy = false;
      return;
    }
    setTimeout(() => this.read(), took / this.rate());
  }
}

/**
 * `cameras` cameras at 10 fps each, watched at 5 fps by one connection whose client reads `speed`
 * bytes per ms (or `speed(ms since the start)`) in reads of at most `chunk` bytes, for `seconds`.
 */
function run(
  speed: number | ((elapsedMs: number) => number),
  { cameras = 4, seconds = 10, chunk = 1024 } = {},
): Result {
  const result: Result = { frames: 0, pings: 0, ages: [], maxInPipe: 0, maxGap: new Map() };
  const lastAt = new Map<number, number>();
  const start = Date.now();
  const reader = new Reader(() => (typeof speed === 'number' ? speed : speed(Date.now() - start)), chunk);
  const conn = { id: 1, userId: 1, username: 'v', closing: false, media: null } as unknown as Connection;
  let viewers: MediaViewers;
  const outbox = {
    writeMedia(c: Connection, wires: Buffer[], _bytes: number, ping: Buffer | null) {
      result.maxInPipe = Math.max(result.maxInPipe, reader.queued);
      for (const wire of wires) {
        result.frames++;
        const capturedAt = wire.readDoubleBE(0);
        const cam = wire.readUInt32BE(8);
        reader.write(wire.length, (at) => {
          result.ages.push(at - capturedAt);
          result.maxGap.set(cam, Math.max(result.maxGap.get(cam) ?? 0, at - (lastAt.get(cam) ?? start)));
          lastAt.set(cam, at);
        });
      }
      if (ping) {
        result.pings++;
        reader.write(ping.length, () => viewers.onPong(c, ping.subarray(2)));
      }
      return true;
    },
  } as unknown as Outbox;
  viewers = new MediaViewers(outbox, { framesDelivered() {}, framesDropped() {} });
  for (let cam = 1; cam <= cameras; cam++) viewers.watch(conn, cam, 5);
  for (let t = 0; t < seconds * 1000; t++) {
    for (let cam = 1; cam <= cameras; cam++) {
      // Each camera sends every 100 ms, the cameras 25 ms apart.
      if ((t - cam * 25) % 100 !== 0) continue;
      const wire = Buffer.alloc(FRAME_BYTES);
      wire.writeDoubleBE(Date.now(), 0);
      wire.writeUInt32BE(cam, 8);
      viewers.deliver({ cameraId: cam, wire, image: wire, receivedAt: Date.now() } as MediaFrame);
    }
    vi.advanceTimersByTime(start + t + 1 - Date.now());
  }
  return result;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('flow control of camera frames', () => {
  it('a fast viewer gets every frame it asked for and is pinged a few times a second, not per frame', () => {
    const link = run(100_000); // 100 MB/s
    // 4 cameras at 5 fps for 10 s.
    expect(link.frames).toBeGreaterThanOrEqual(190);
    expect(link.frames).toBeLessThanOrEqual(205);
    expect(link.pings).toBeLessThanOrEqual(50);
    expect(Math.max(...link.ages)).toBeLessThan(5);
  });

  it('a viewer reading 200 KB/s sees frames under a second old, never a backlog', () => {
    const link = run(200); // 200 KB/s: a 40 KB frame takes 200 ms
    // It reads about 5 frames a second, and every one is young when it has it.
    expect(link.frames).toBeGreaterThanOrEqual(40);
    expect(link.frames).toBeLessThanOrEqual(55);
    expect(Math.max(...link.ages)).toBeLessThan(1000);
    // Its cameras take turns: each one's picture is renewed within about a second.
    expect([...link.maxGap.keys()]).toHaveLength(4);
    for (const gap of link.maxGap.values()) expect(gap).toBeLessThan(1200);
    // At most about two frames are ever in its pipe.
    expect(link.maxInPipe).toBeLessThanOrEqual(2 * FRAME_BYTES + 100);
  });

  it('a viewer reading 200 KB/s in bursts of 64 KB is not taken for a fast one', () => {
    // Takes what its socket holds, up to 64 KB, at once, then waits as long as 200 KB/s allows.
    const link = run(200, { chunk: 64 * 1024 });
    expect(link.frames).toBeGreaterThanOrEqual(40);
    expect(Math.max(...link.ages)).toBeLessThan(1000);
    for (const gap of link.maxGap.values()) expect(gap).toBeLessThan(1200);
    expect(link.maxInPipe).toBeLessThanOrEqual(4 * FRAME_BYTES);
  });

  it('a viewer whose link slows down keeps seeing young frames', () => {
    // 100 MB/s for 5 s (the window grows to its largest), then 200 KB/s.
    const link = run((ms) => (ms < 5000 ? 100_000 : 200), { seconds: 15 });
    const before = link.ages.slice(0, 95);
    expect(Math.max(...before)).toBeLessThan(5);
    // After the change the frames written into the big window take a while to drain; from then on
    // (the last 5 s) every frame is young again.
    const last = link.ages.slice(-20);
    expect(Math.max(...last)).toBeLessThan(1000);
  });
});
