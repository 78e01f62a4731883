/**
 * A value now, or a promise of it later. The WebSocket handshake's common path (a JWT whose user
 * is cached, the local connection limiter, a cached statistics frame) has everything at hand:
 * passing the value itself instead of a promise keeps that path synchronous, with no promise and
 * no microtask turn per step. It is what a node pays per connection accepted (docs/benchmarks.md,
 * "Connections/s").
 */
export type Maybe<T> = T | Promise<T>;

/** `then(value)` at once when `value` is at hand, after it settles when it is a promise. */
export function andThen<T, R>(value: Maybe<T>, then: (value: T) => Maybe<R>): Maybe<R> {
  return value instanceof Promise ? value.then(then) : then(value);
}
