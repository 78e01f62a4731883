/**
 * The user rows the WebSocket handshake checks a token against, kept for `USER_CACHE_MS` so that a
 * reconnecting dashboard costs no query; dropped at once when a user changes (the bus says so);
 * a refusal (disabled, missing) is kept 2 s.
 */
import type { Maybe } from '../maybe.js';
import type { Store, UserRecord } from '../store/index.js';
import { withBudget } from './handshake.js';

const USER_CACHE_MS = 30_000;
/**
 * A user found disabled or missing is kept only this long: enabling them again from the CLI
 * (which no bus message announces) takes effect within seconds, and a refused client retrying
 * costs at most one query per user this often.
 */
const REFUSED_CACHE_MS = 2000;
/** Beyond this many users the cache starts over (a bound, not an eviction policy). */
const MAX_USERS = 100_000;

export class UserCache {
  private readonly users = new Map<number, { user: UserRecord | null; until: number }>();

  constructor(
    private readonly store: Store,
    /** How long the store may take (the handshake budget); then 'timeout'. */
    private readonly budgetMs: number,
  ) {}

  /** The user row: at hand when cached, a promise when read from the store. */
  get(id: number): Maybe<UserRecord | null | 'timeout'> {
    const cached = this.users.get(id);
    if (cached && cached.until > Date.now()) return cached.user;
    return this.load(id);
  }

  /** A user's row changed: the next `get` reads it again. */
  forget(id: number): void {
    this.users.delete(id);
  }

  private async load(id: number): Promise<UserRecord | null | 'timeout'> {
    const user = await withBudget(this.store.users.byId(id), this.budgetMs);
    if (user === 'timeout') return user;
    if (this.users.size > MAX_USERS) this.users.clear();
    const ms = user && !user.disabled ? USER_CACHE_MS : REFUSED_CACHE_MS;
    this.users.set(id, { user, until: Date.now() + ms });
    return user;
  }
}
