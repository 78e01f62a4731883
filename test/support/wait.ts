/**
 * Waiting in tests, for every package. Wait on the condition, never sleep-then-count:
 *
 * - `waitFor(check, what)` polls until `check` gives a value (anything but undefined, null or
 *   false) and fails after the timeout naming `what`.
 * - `expectNothingFor(ms, what, observed)` and `expectTrueFor(ms, what, check)` are for the cases
 *   where a period of time IS the point (nothing more arrives, a socket stays open): they watch
 *   the whole period and fail as soon as it is broken.
 * - `sleep(ms)` is for pacing only (a producer's rhythm, a retry interval), never before an
 *   assertion.
 */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface WaitOptions {
  /** Milliseconds before giving up (default 10 s). */
  timeoutMs?: number;
  /** Milliseconds between checks (default 20). */
  intervalMs?: number;
}

type Found<T> = Exclude<T, undefined | null | false>;

/**
 * Resolves with the first value of `check` that is not undefined, null or false; `check` may be
 * async. Rejects after `timeoutMs` with `what` (and the last error `check` threw, if any).
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  options: WaitOptions | number = {},
): Promise<Found<T>> {
  const { timeoutMs = 10_000, intervalMs = 20 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value as Found<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError === undefined ? '' : `; last error: ${String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Watches for `ms` that `observed()` stays empty (the things that must not happen: messages that
 * must not arrive, calls that must not be made); fails at the first one, naming `what`.
 */
export async function expectNothingFor(
  ms: number,
  what: string,
  observed: () => readonly unknown[] | Promise<readonly unknown[]>,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const seen = await observed();
    if (seen.length > 0) {
      throw new Error(`expected no ${what} for ${ms} ms, got ${JSON.stringify(seen).slice(0, 500)}`);
    }
    if (Date.now() >= deadline) return;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** Watches for `ms` that `check()` stays true (a socket stays open, a state holds); fails at the first false. */
export async function expectTrueFor(
  ms: number,
  what: string,
  check: () => boolean | Promise<boolean>,
  intervalMs = 20,
): Promise<void> {
  await expectNothingFor(ms, `break of "${what}"`, async () => ((await check()) ? [] : [false]), intervalMs);
}
