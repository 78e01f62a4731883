/**
 * A minimal external store for `useSyncExternalStore`: immutable state, replaced on every change.
 *
 * Changes apply at once (`get()` always sees the newest state), but listeners are told once per
 * animation frame: a burst of events arriving within one frame costs one render, not one each.
 * A hidden tab gets no frames, so a timer notifies as well after at most 100 ms.
 */
import { useSyncExternalStore } from 'react';

type Flush = () => void;
const pending = new Set<Flush>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  const flushes = [...pending];
  pending.clear();
  for (const flush of flushes) flush();
}

function schedule(flush: Flush): void {
  pending.add(flush);
  if (scheduled) return;
  scheduled = true;
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

export function useStore<T>(store: Store<T>): T {
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}

/**
 * One part of a store's state: the component re-renders only when that part changes (by
 * identity), so a burst of feed events does not redraw what does not show the feed.
 */
export function useStoreSelector<T, S>(store: Store<T>, select: (state: T) => S): S {
  const get = () => select(store.get());
  return useSyncExternalStore(store.subscribe, get, get);
}
