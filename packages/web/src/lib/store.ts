/**
 * A minimal external store for React components: immutable state, replaced on every change.
 *
 * Changes apply at once (`get()` always sees the newest state), but listeners are told at the
 * next animation frame, and at most every 100 ms: a lone event shows at the next frame, a burst
 * (hundreds of events a second) costs at most ten renders a second, not one per event or per
 * frame. Each render is then larger, and the parts that are not urgent render it in slices
 * (`useDeferredValue`): frequent urgent renders would keep interrupting those. A hidden tab gets
 * no frames, so a timer notifies as well after at most 100 ms more.
 */
import { useEffect, useLayoutEffect, useReducer, useRef } from 'react';

type Flush = () => void;
const pending = new Set<Flush>();
let scheduled = false;
/** Least time between two notifications (ms). */
export const NOTIFY_GAP_MS = 100;
let lastFlush = Number.NEGATIVE_INFINITY;

function flushAll(): void {
  scheduled = false;
  lastFlush = Date.now();
  const flushes = [...pending];
  pending.clear();
  for (const flush of flushes) flush();
}

function nextFrame(): void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    flushAll();
  };
  const timer = setTimeout(run, 100);
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
}

function schedule(flush: Flush): void {
  pending.add(flush);
  if (scheduled) return;
  scheduled = true;
  const wait = lastFlush + NOTIFY_GAP_MS - Date.now();
  if (wait > 0) setTimeout(nextFrame, wait);
  else nextFrame();
}

export class Store<T> {
  #state: T;
  readonly #listeners = new Set<() => void>();
  readonly #sync: boolean;

  /** `sync`: notify listeners at every change (for state a user's own action changes). */
  constructor(initial: T, { sync = false } = {}) {
    this.#state = initial;
    this.#sync = sync;
  }

  readonly get = (): T => this.#state;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  set(next: T | ((state: T) => T)): void {
    const value = typeof next === 'function' ? (next as (state: T) => T)(this.#state) : next;
    if (Object.is(value, this.#state)) return;
    this.#state = value;
    if (this.#sync) this.#notify();
    else schedule(this.#notify);
  }

  readonly #notify = (): void => {
    for (const listener of [...this.#listeners]) listener();
  };
}

const whole = <T>(state: T): T => state;

export function useStore<T>(store: Store<T>): T {
  return useStoreSelector(store, whole);
}

/**
 * One part of a store's state: the component re-renders only when that part changes (by
 * identity), so a burst of feed events does not redraw what does not show the feed.
 *
 * Not `useSyncExternalStore`: its re-renders are always synchronous, and a synchronous update
 * interrupts and restarts a render React is doing in slices (`useDeferredValue`): notified every
 * 100 ms during a burst, the feed's deferred render would never finish on a busy CPU, until React
 * gave up slicing and did it all at once. A state update from the store's notification has
 * default priority, which lets such a render finish (and, from a click, the usual urgent one).
 */
export function useStoreSelector<T, S>(store: Store<T>, select: (state: T) => S): S {
  const value = select(store.get());
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  // What the committed render showed, for the comparison at each notification.
  const shown = useRef({ value, select });
  useLayoutEffect(() => {
    shown.current = { value, select };
  });
  useEffect(() => {
    const check = () => {
      const { value, select } = shown.current;
      if (!Object.is(select(store.get()), value)) rerender();
    };
    // A change between the render and this subscription counts too.
    check();
    return store.subscribe(check);
  }, [store]);
  return value;
}
