import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { HubMetrics } from '../ops/metrics.js';
import { Connection } from './connection.js';
import { textFrame } from './frame.js';
import { Outbox } from './outbox.js';

/** A connection whose socket records each write (what the kernel would be handed). */
function connection(id: string): { conn: Connection; writes: Buffer[] } {
  const writes: Buffer[] = [];
  const socket = { destroyed: false, write: (b: Buffer) => writes.push(Buffer.from(b)) };
  const ws = { _socket: socket, readyState: 1, OPEN: 1, bufferedAmount: 0, extensions: '' };
  const conn = new Connection(id, ws as unknown as WebSocket, 1, 'u', 'viewer', 0, '127.0.0.1', 10, 10);
  return { conn, writes };
}

function outbox(): { outbox: Outbox; flushes: () => number } {
  let flushes = 0;
  const metrics = {
    flushSeconds: { observe: () => flushes++ },
    slowConsumerCloses: { inc: () => undefined },
  } as unknown as HubMetrics;
  return { outbox: new Outbox(1 << 20, pino({ level: 'silent' }), metrics), flushes: () => flushes };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('Outbox', () => {
  it('writes a broadcast frame once to each connection at the end of the turn', async () => {
    const { outbox: o, flushes } = outbox();
    const a = connection('a');
    const b = connection('b');
    const frame = textFrame('{"type":"camera_event"}');
    o.queue(a.conn, frame);
    o.queue(b.conn, frame);
    o.flushSoon();
    o.flushSoon();
    expect(a.writes).toHaveLength(0);
    await turn();
    expect(a.writes).toEqual([frame]);
    expect(b.writes).toEqual([frame]);
    expect(flushes()).toBe(1);
  });

  it('joins what one turn queued for a connection into one write, in order', async () => {
    const { outbox: o } = outbox();
    const a = connection('a');
    const first = textFrame('{"n":1}');
    o.queue(a.conn, first);
    o.send(a.conn, '{"n":2}');
    o.flushSoon();
    await turn();
    expect(a.writes).toEqual([Buffer.concat([first, textFrame('{"n":2}')])]);
  });

  it('schedules no flush when nothing was queued, and queues nothing on a closing connection', async () => {
    const { outbox: o, flushes } = outbox();
    const a = connection('a');
    a.conn.closing = true;
    o.queue(a.conn, textFrame('{}'));
    o.flushSoon();
    await turn();
    expect(a.writes).toHaveLength(0);
    expect(flushes()).toBe(0);
  });
});
