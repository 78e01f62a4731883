import type { EventMessage } from '@openeye/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Store } from '../store/index.js';
import { Sequencer } from './sequencer.js';

const event = (id: number): EventMessage => ({
  type: 'alert',
  id: String(id),
  timestamp: '',
  alert_type: 'info',
  data: { message: String(id) },
});

function setup(stored: number[]) {
  const history = [...stored];
  const store = {
    events: {
      newestId: async () => (history.length ? Math.max(...history) : null),
      after: async (after: number, limit: number) =>
        history
          .filter((id) => id > after)
          .sort((a, b) => a - b)
          .slice(0, limit)
          .map(event),
    },
  } as unknown as Store;
  const delivered: number[] = [];
  const sequencer = new Sequencer(
    store,
    (events) => delivered.push(...events.map((e) => Number(e.id))),
    pino({ level: 'silent' }),
  );
  return { sequencer, delivered, history };
}

describe('Sequencer', () => {
  it('starts at the newest stored id and passes the next ids straight through', async () => {
    const { sequencer, delivered } = setup([1, 2]);
    await sequencer.init();
    expect(sequencer.position).toBe(2);
    sequencer.offer([event(3), event(4)]);
    expect(delivered).toEqual([3, 4]);
  });

  it('drops what it already delivered', async () => {
    const { sequencer, delivered } = setup([1]);
    await sequencer.init();
    sequencer.offer([event(2)]);
    sequencer.offer([event(2), event(1)]);
    expect(delivered).toEqual([2]);
  });

  it('fills a gap from the store, in order, exactly once', async () => {
    const { sequencer, delivered, history } = setup([1]);
    await sequencer.init();
    history.push(2, 3, 4);
    // 2 and 3 were lost on the bus; 4 arrives.
    sequencer.offer([event(4)]);
    await sequencer.catchUp();
    sequencer.offer([event(3), event(4)]);
    expect(delivered).toEqual([2, 3, 4]);
  });

  it('poll catches up when the store is ahead (a silent bus)', async () => {
    const { sequencer, delivered, history } = setup([]);
    await sequencer.init();
    history.push(1, 2);
    await sequencer.poll();
    expect(delivered).toEqual([1, 2]);
    await sequencer.poll();
    expect(delivered).toEqual([1, 2]);
  });
});
