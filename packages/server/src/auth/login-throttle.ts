/**
 * Login throttling: failed logins are counted per username and per client address in a fixed
 * window; past the limit the login answers 429 with Retry-After before any password is hashed.
 * The counters are the cluster's when a cluster engine provides them (one window for every
 * node), this process's otherwise. Password hashing for unauthenticated requests is bounded too:
 * a few scrypt runs at a time and a short queue, so a login flood cannot starve the server.
 */

/** Failure counters with a window: `add` counts one and tells the count and the window's end. */
export interface AttemptCounter {
  add(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
  peek(key: string): Promise<{ count: number; resetInMs: number }>;
  clear(key: string): Promise<void>;
}

const MAX_LOCAL_KEYS = 100_000;

export class LocalAttemptCounter implements AttemptCounter {
  private readonly windows = new Map<string, { count: number; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async add(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }> {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || w.until <= t) {
      if (this.windows.size >= MAX_LOCAL_KEYS) this.sweep(t);
      w = { count: 0, until: t + windowMs };
      this.windows.set(key, w);
    }
    w.count++;
    return { count: w.count, resetInMs: w.until - t };
  }

  async peek(key: string): Promise<{ count: number; resetInMs: number }> {
    const t = this.now();
    const w = this.windows.get(key);
    return !w || w.until <= t ? { count: 0, resetInMs: 0 } : { count: w.count, resetInMs: w.until - t };
  }

  async clear(key: string): Promise<void> {
    this.windows.delete(key);
  }

  private sweep(t: number): void {
    for (const [k, w] of this.windows) if (w.until <= t) this.windows.delete(k);
    // Still full of live windows (an attack from very many addresses): start over rather than grow.
    if (this.windows.size >= MAX_LOCAL_KEYS) this.windows.clear();
  }
}

export interface LoginThrottleOptions {
  /** Failed logins of one username per window before it is refused. */
  maxFailuresPerUser: number;
  /** Failed logins from one address per window before it is refused. */
  maxFailuresPerAddress: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  maxFailuresPerUser: 10,
  maxFailuresPerAddress: 50,
  windowMs: 15 * 60_000,
};

export type ThrottleVerdict = { ok: true } | { ok: false; retryAfterSeconds: number; by: 'username' | 'address' };

export class LoginThrottle {
  constructor(
    private readonly counter: AttemptCounter,
    private readonly options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE,
  ) {}

  private keys(username: string, address: string) {
    return { user: `login:user:${username.toLowerCase()}`, address: `login:addr:${address}` };
  }

  /** Whether a login for `username` from `address` may be tried now. */
  async check(username: string, address: string): Promise<ThrottleVerdict> {
    const k = this.keys(username, address);
    const [user, addr] = await Promise.all([this.counter.peek(k.user), this.counter.peek(k.address)]);
    if (user.count >= this.options.maxFailuresPerUser) return refused(user.resetInMs, 'username');
    if (addr.count >= this.options.maxFailuresPerAddress) return refused(addr.resetInMs, 'address');
    return { ok: true };
  }

  /** Counts a failure; says which limit (if any) this failure just reached, for the security log. */
  async failed(username: string, address: string): Promise<'username' | 'address' | null> {
    const k = this.keys(username, address);
    const [user, addr] = await Promise.all([
      this.counter.add(k.user, this.options.windowMs),
      this.counter.add(k.address, this.options.windowMs),
    ]);
    if (user.count === this.options.maxFailuresPerUser) return 'username';
    if (addr.count === this.options.maxFailuresPerAddress) return 'address';
    return null;
  }

  /** A successful login forgets the username's failures (not the address's). */
  async succeeded(username: string): Promise<void> {
    await this.counter.clear(this.keys(username, '').user);
  }
}

function refused(resetInMs: number, by: 'username' | 'address'): ThrottleVerdict {
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(resetInMs / 1000)), by };
}

/**
 * At most `concurrency` tasks at once and `queue` waiting; beyond that `run` answers null at
 * once instead of queueing without bound.
 */
export class WorkLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly queue: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T | null> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) return null;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
