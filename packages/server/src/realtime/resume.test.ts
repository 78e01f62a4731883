import type { EventMessage } from '@openeye/protocol';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { Store } from '../store/index.js';
import { Connection } from './connection.js';
import { Resume, ResumeCursor } from './resume.js';

const event = (id: number, camera = 1): EventMessage => ({
  type: 'camera_event',
  id: String(id),
  timestamp: '',
  camera_id: camera,
  event_type: 'motion_detected',
  data: {},
});

/** A store whose history holds ids 1..newest; `after` can be held open to let live events in. */
function fakeStore(newest: number, floor = 0, during?: (after: number) => Promise<void>) {
  return {
    events: {
      newestId: async () => newest,
      historyFloor: async () => floor,
      after: async (after: number, limit: number) => {
        await during?.(after);
        const out: EventMessage[] = [];
        for (let id = after + 1; id <= newest && out.length < limit; id++) out.push(event(id));
        return out;
      },
    },
  } as unknown as Store;
}

function setup(store: Store, delivered = 0) {
  const sent: Array<Record<string, unknown>> = [];
  const resume = new Resume({
    store,
    send: (_c, frame) => sent.push(JSON.parse(frame.subarray(frame[1]! === 126 ? 4 : 2).toString())),
    statisticsFrame: async () => Buffer.from([0x81, 2, 0x7b, 0x7d]),
    deliveredPosition: () => delivered,
    heartbeatIntervalMs: 30_000,
    handleHeld: () => undefined,
  });
  const conn = new Connection('c', {} as WebSocket, 1, 'u', 'viewer', 0, '', 20, 40);
  conn.subscriptions.add('camera_event');
  const ids = () => sent.filter((m) => m.type === 'camera_event').map((m) => Number(m.id));
  return { resume, conn, sent, ids };
}

describe('ResumeCursor', () => {
  it('holds live events until live, then sends each id once, in order, never an older one', () => {
    const c = new ResumeCursor();
    expect(c.admit(event(5), 5)).toBe(false);
    c.startAt(3);
    expect(c.advance(4)).toBe(true);
    expect(c.advance(4)).toBe(false);
    expect(c.goLive().map((e) => e.id)).toEqual(['5']);
    expect(c.admit(event(5), 5)).toBe(true);
    expect(c.admit(event(5), 5)).toBe(false);
    expect(c.admit(event(4), 4)).toBe(false);
    expect(c.isLive).toBe(true);
  });

  it('holds client messages only before it is live, and a bounded number of them', () => {
    const c = new ResumeCursor();
    for (let i = 0; i < 100; i++) expect(c.hold([Buffer.from('x'), false])).toBe(true);
    expect(c.takeHeld()).toHaveLength(64);
    c.goLive();
    expect(c.hold([Buffer.from('x'), false])).toBe(false);
  });
});

describe('Resume: welcome, replay and the seam', () => {
  it('replays what was missed and then the live events held meanwhile, each once, in id order', async () => {
    let live: ((e: EventMessage) => void) | null = null;
    // While the first history page is read, events 5 (also in the history) and 6 (newer) go live.
    const store = fakeStore(5, 0, async () => {
      live?.(event(5));
      live?.(event(6));
    });
    const { resume, conn, sent, ids } = setup(store);
    live = (e) => conn.cursor.admit(e, Number(e.id));
    await resume.run(conn, '2');
    expect(sent[0]).toMatchObject({ type: 'connection_status', resumed: true, last_event_id: '5' });
    expect(ids()).toEqual([3, 4, 5, 6]);
    expect(conn.cursor.isLive).toBe(true);
  });

  it('a cursor older than the history, from the future or malformed gives resumed false and no replay', async () => {
    for (const cursor of ['1', '99', 'abc', '-1']) {
      const { resume, conn, sent, ids } = setup(fakeStore(5, 2));
      await resume.run(conn, cursor);
      expect(sent[0]).toMatchObject({ resumed: false });
      expect(ids()).toEqual([]);
    }
  });

  it('without a cursor: no history query, the delivered position is the boundary, resumed null', async () => {
    const store = { events: {} } as unknown as Store;
    const { resume, conn, sent } = setup(store, 7);
    await resume.run(conn, null);
    expect(sent[0]).toMatchObject({ resumed: null, last_event_id: '7' });
    expect(conn.cursor.admit(event(7), 7)).toBe(false);
    expect(conn.cursor.admit(event(8), 8)).toBe(true);
  });

  it('replays only what the subscriptions let through', async () => {
    const { resume, conn, ids } = setup(fakeStore(4));
    conn.requestedCameras = new Set([2]);
    conn.applyAccess();
    await resume.run(conn, '0');
    expect(ids()).toEqual([]);
  });
});
