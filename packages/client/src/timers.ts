/**
 * @module timers
 * Named one-shot timers: setting a name replaces its previous timer, so a client never has two
 * retries or two watchdogs pending, and `clearAll()` leaves nothing behind.
 */
export class TimerSet<Name extends string> {
  readonly #timers = new Map<Name, ReturnType<typeof setTimeout>>();

  /** Runs `callback` after `ms`, replacing any timer of the same name. */
  set(name: Name, ms: number, callback: () => void): void {
    this.clear(name);
    const handle = setTimeout(() => {
      this.#timers.delete(name);
      callback();
    }, ms);
    this.#timers.set(name, handle);
  }

  has(name: Name): boolean {
    return this.#timers.has(name);
  }

  clear(name: Name): void {
    const handle = this.#timers.get(name);
    if (handle === undefined) return;
    clearTimeout(handle);
    this.#timers.delete(name);
  }

  clearAll(): void {
    for (const handle of this.#timers.values()) clearTimeout(handle);
    this.#timers.clear();
  }
}
