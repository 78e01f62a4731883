/**
 * @module tokens
 * Where the client's JWT comes from: the token given to `connect(token)`, the `getToken()`
 * provider (sync or async), or the last one known; and when to refresh it before it expires.
 */
import type { TokenProvider } from './api.js';

export class TokenSource {
  readonly #provider: TokenProvider | undefined;
  /** Given to `connect(token)`: used by the next attempt instead of asking the provider. */
  #given: string | null = null;
  #current: string | null = null;

  constructor(provider: TokenProvider | undefined) {
    this.#provider = provider;
  }

  /** Whether a fresh token can be asked for (a `getToken` option exists). */
  get canRefresh(): boolean {
    return this.#provider !== undefined;
  }

  /** Remembers a token given by the application; the next attempt uses it. */
  give(token: string): void {
    this.#given = token;
    this.#current = token;
  }

  /** The next attempt must ask the provider (the given token was refused). */
  forgetGiven(): void {
    this.#given = null;
  }

  /** For a connect attempt: the given token once, else the provider's, else the last known. Throws what the provider throws. */
  async forAttempt(): Promise<string | null> {
    if (this.#given !== null) {
      const token = this.#given;
      this.#given = null;
      return token;
    }
    if (this.#provider !== undefined) this.#current = (await this.#provider()) || null;
    return this.#current;
  }

  /** For an HTTP request or an `auth` message: the provider's token when it has one, else the last known. */
  async fresh(): Promise<string | null> {
    if (this.#provider !== undefined) {
      const token = await this.#provider();
      if (token) this.#current = token;
    }
    return this.#current;
  }
}

/** The longest delay a timer keeps (2^31 - 1 ms, about 24.8 days): a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * How long to wait before sending a fresh token: `beforeMs` ahead of the expiry, or at half the
 * remaining lifetime when that is shorter, never sooner than 500 ms. Both times are the
 * server's (`token_expires_at` and the message `timestamp`), so client clock skew does not matter.
 * Null when a time is unreadable, or when the wait is longer than a timer keeps: a credential that
 * does not expire (an API key's `token_expires_at` is the end of year 9999) is never refreshed.
 */
export function refreshDelay(expiresAt: string, serverNow: string, beforeMs: number): number | null {
  const remaining = Date.parse(expiresAt) - Date.parse(serverNow);
  if (Number.isNaN(remaining)) return null;
  const delay = Math.max(500, remaining > beforeMs ? remaining - beforeMs : remaining / 2);
  return delay > MAX_TIMER_MS ? null : delay;
}
