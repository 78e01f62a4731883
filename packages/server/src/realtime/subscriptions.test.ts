import { cameraOf, EVENT_TYPES, type EventMessage, type EventType, passes } from '@openeye/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { Connection } from './connection.js';
import { SubscriptionIndex } from './subscriptions.js';

let n = 0;
function conn(types: EventType[], cameras: number[] | null, userId = 1): Connection {
  const c = new Connection(`c${++n}`, {} as WebSocket, userId, `user${userId}`, 'viewer', 0, '', 20, 40);
  for (const t of types) c.subscriptions.add(t);
  c.requestedCameras = cameras === null ? null : new Set(cameras);
  c.applyAccess();
  return c;
}

const cameraEvent = (camera: number): EventMessage => ({
  type: 'camera_event',
  id: '1',
  timestamp: '',
  camera_id: camera,
  event_type: 'motion_detected',
  data: {},
});
const alert = (camera?: number): EventMessage => ({
  type: 'alert',
  id: '1',
  timestamp: '',
  alert_type: 'info',
  data: camera === undefined ? { message: 'm' } : { message: 'm', camera_id: camera },
});

function recipients(index: SubscriptionIndex, event: EventMessage): Connection[] {
  const out: Connection[] = [];
  for (const set of index.recipients(event, cameraOf(event))) out.push(...set);
  return out;
}

describe('SubscriptionIndex', () => {
  it('sends a camera event to the unfiltered and to the filters naming its camera, once each', () => {
    const index = new SubscriptionIndex();
    const all = conn(['camera_event'], null);
    const front = conn(['camera_event'], [1, 2]);
    const back = conn(['camera_event'], [3]);
    const alertsOnly = conn(['alert'], null);
    for (const c of [all, front, back, alertsOnly]) index.update(c);
    expect(recipients(index, cameraEvent(1))).toEqual([all, front]);
    expect(recipients(index, cameraEvent(3))).toEqual([all, back]);
    expect(recipients(index, cameraEvent(9))).toEqual([all]);
  });

  it('sends an alert about no camera to every alert subscriber, filtered or not', () => {
    const index = new SubscriptionIndex();
    const a = conn(['alert'], [5]);
    const b = conn(['alert'], null);
    index.update(a);
    index.update(b);
    expect(recipients(index, alert())).toEqual([a, b]);
    expect(recipients(index, alert(6))).toEqual([b]);
  });

  it('forgets the old cameras when a connection is reindexed, and reports presence changes', () => {
    const index = new SubscriptionIndex();
    const c = conn(['camera_event'], [1]);
    expect(index.update(c)).toBe(true);
    expect(index.presence()).toEqual({ cameras: { '1': [{ user_id: 1, username: 'user1', connections: 1 }] } });
    expect(index.remove(c)).toBe(true);
    c.requestedCameras = new Set([2]);
    c.applyAccess();
    index.update(c);
    expect(recipients(index, cameraEvent(1))).toEqual([]);
    expect(recipients(index, cameraEvent(2))).toEqual([c]);
    expect(Object.keys(index.presence().cameras)).toEqual(['2']);
    index.remove(c);
    expect(index.presence()).toEqual({ cameras: {} });
    expect(index.subscribers('camera_event').size).toBe(0);
  });

  it('state types ignore the camera filter', () => {
    const index = new SubscriptionIndex();
    const c = conn(['statistics_update', 'presence_update'], [1]);
    index.update(c);
    expect([...index.subscribers('statistics_update')]).toEqual([c]);
    expect([...index.subscribers('presence_update')]).toEqual([c]);
  });

  it('delivers exactly to the connections passes() lets through (property)', () => {
    const subscription = fc.record({
      types: fc.subarray([...EVENT_TYPES]),
      cameras: fc.option(fc.uniqueArray(fc.integer({ min: 1, max: 6 }), { maxLength: 4 }), { nil: null }),
    });
    const event = fc.oneof(
      fc.integer({ min: 1, max: 6 }).map(cameraEvent),
      fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }).map(alert),
    );
    fc.assert(
      fc.property(fc.array(subscription, { maxLength: 8 }), event, (subs, e) => {
        const index = new SubscriptionIndex();
        const conns = subs.map((s) => conn(s.types, s.cameras));
        for (const c of conns) index.update(c);
        const got = new Set(recipients(index, e));
        expect(recipients(index, e)).toHaveLength(got.size);
        for (const c of conns) expect(got.has(c)).toBe(passes(e, c));
      }),
    );
  });
});
