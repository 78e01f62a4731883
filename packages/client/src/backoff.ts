/**
 * @module backoff
 * Reconnect delays: exponential backoff with full jitter (AWS architecture blog,
 * "Exponential Backoff And Jitter"): `random(0, min(cap, base * 2^attempt))`.
 */

/**
 * The delay before reconnect attempt number `attempt` (0 for the first retry).
 *
 * @param attempt consecutive failed attempts so far, >= 0
 * @param baseMs delay scale of the first attempt
 * @param capMs upper bound of every delay
 * @param random a source of numbers in [0, 1); `Math.random` by default (inject one in tests)
 * @returns an integer number of milliseconds in `[0, min(capMs, baseMs * 2^attempt)]`
 * @example
 * setTimeout(reconnect, backoffDelay(attempts++, 1000, 30_000));
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 64);
  const ceiling = Math.max(0, Math.min(capMs, baseMs * 2 ** exponent));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}
