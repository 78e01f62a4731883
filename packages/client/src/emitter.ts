/**
 * @module emitter
 * A small typed event emitter. A listener that throws does not stop the others or the
 * client: its error is re-thrown asynchronously (reported like any uncaught error).
 */

type Listener<T> = (payload: T) => void;

export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds `callback` for `type`; returns a function that removes it. */
  on<K extends keyof Events>(type: K, callback: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(callback as Listener<never>);
    return () => this.off(type, callback);
  }

  /** Removes `callback` from `type` (no-op when it is not there). */
  off<K extends keyof Events>(type: K, callback: Listener<Events[K]>): void {
    const set = this.#listeners.get(type);
    if (set === undefined) return;
    set.delete(callback as Listener<never>);
    if (set.size === 0) this.#listeners.delete(type);
  }

  /** Calls every listener of `type` with `payload`, in the order they were added. */
  emit<K extends keyof Events>(type: K, payload: Events[K]): void {
    const set = this.#listeners.get(type);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (error) {
        rethrowLater(error);
      }
    }
  }
}

function rethrowLater(error: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === 'function') report(error);
  else
    setTimeout(() => {
      throw error;
    }, 0);
}
