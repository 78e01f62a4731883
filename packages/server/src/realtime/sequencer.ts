/**
 * Hands events to the hub strictly in id order, each once. Events arrive from the bus, usually in
 * order (the fast path: the next id). When one is missing (a message lost while Redis was away, or
 * an id a rolled-back transaction consumed), the sequencer reads what follows its cursor from the
 * store, which is the log: every event is stored before it is published, and ids are assigned in
 * commit order, so the store always holds a gap-free prefix.
 */
import type { EventMessage } from '@openeye/protocol';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';

const PAGE = 1000;

export class Sequencer {
  private cursor = 0;
  private catching: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly store: Store,
    private readonly deliver: (events: readonly EventMessage[]) => void,
    private readonly log: Logger,
  ) {}

  async init(): Promise<void> {
    this.cursor = (await this.store.events.newestId()) ?? 0;
  }

  get position(): number {
    return this.cursor;
  }

  offer(events: readonly EventMessage[]): void {
    if (this.catching) {
      this.again = true;
      return;
    }
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const id = Number(event.id);
      if (id <= this.cursor) continue;
      if (id !== this.cursor + 1) {
        void this.catchUp();
        return;
      }
      this.cursor = id;
      this.deliver(i === 0 && events.length === 1 ? events : [event]);
    }
  }

  /** Reads and delivers everything after the cursor; safe to call at any time. */
  catchUp(): Promise<void> {
    if (this.catching) {
      this.again = true;
      return this.catching;
    }
    this.catching = (async () => {
      try {
        do {
          this.again = false;
          for (;;) {
            const page = await this.store.events.after(this.cursor, PAGE);
            const fresh = page.filter((e) => Number(e.id) > this.cursor);
            if (fresh.length > 0) {
              this.cursor = Number(fresh.at(-1)!.id);
              this.deliver(fresh);
            }
            if (page.length < PAGE) break;
          }
        } while (this.again);
      } catch (err) {
        this.log.warn({ event: 'sequencer.catch_up_failed', err }, 'catching up from the store failed; will retry');
        this.again = false;
      } finally {
        this.catching = null;
      }
    })();
    return this.catching;
  }

  /** Catches up if the store holds anything newer than the cursor (the periodic safety net). */
  async poll(): Promise<void> {
    const newest = await this.store.events.newestId().catch(() => null);
    if (newest !== null && newest > this.cursor) await this.catchUp();
  }
}
