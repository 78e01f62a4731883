/**
 * @module event-ids
 * Event ids are opaque, ordered strings (protocol.md section 5). Today they are decimal
 * strings; `compareEventIds` orders those numerically and anything else lexicographically.
 * `EventDeduper` guarantees that listeners never see an event twice and keeps the resume cursor.
 */

const DIGITS = /^\d+$/;

/**
 * Orders two event ids: negative when `a` came first, positive when `b` did, 0 when equal.
 * Two digit strings are compared as arbitrarily large integers; otherwise plain string order.
 * @example
 * compareEventIds('9', '10') < 0; // true
 */
export function compareEventIds(a: string, b: string): number {
  if (DIGITS.test(a) && DIGITS.test(b)) {
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    if (x.length !== y.length) return x.length < y.length ? -1 : 1;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Remembers which event ids were delivered. An id is accepted once; an id at or below the
 * floor (the starting cursor, or ids that slid out of the window of recent ids) is refused.
 * The window tolerates events that arrive slightly out of order (several producers, several
 * nodes) without losing them.
 */
export class EventDeduper {
  readonly #windowSize: number;
  #seen = new Set<string>();
  #order: string[] = [];
  #floor: string | null;
  #last: string | null;

  /**
   * @param cursor the id of the last event already delivered (nothing at or before it is accepted)
   * @param windowSize how many recent ids are remembered individually
   */
  constructor(cursor: string | null = null, windowSize = 1000) {
    this.#windowSize = Math.max(1, windowSize);
    this.#floor = cursor;
    this.#last = cursor;
  }

  /** The newest id seen: the resume cursor (`last_event_id`). */
  get last(): string | null {
    return this.#last;
  }

  /** True the first time `id` is offered (and it is newer than the floor), false for a repeat. */
  accept(id: string): boolean {
    if (this.#seen.has(id)) return false;
    if (this.#floor !== null && compareEventIds(id, this.#floor) <= 0) return false;
    this.#seen.add(id);
    this.#order.push(id);
    if (this.#order.length > this.#windowSize) {
      const evicted = this.#order.shift()!;
      this.#seen.delete(evicted);
      if (this.#floor === null || compareEventIds(evicted, this.#floor) > 0) this.#floor = evicted;
    }
    if (this.#last === null || compareEventIds(id, this.#last) > 0) this.#last = id;
    return true;
  }

  /** Forgets everything and starts again from `cursor` (after a gap, or a server whose history restarted). */
  reset(cursor: string | null): void {
    this.#seen.clear();
    this.#order = [];
    this.#floor = cursor;
    this.#last = cursor;
  }
}
