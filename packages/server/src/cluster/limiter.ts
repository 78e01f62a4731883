/**
 * The per-user connection limit. `acquire` reserves a slot atomically (false when the user is at
 * the limit), `release` gives it back when the socket closes. The local limiter counts this
 * process; a cluster engine's limiter (cluster/redis.ts, cluster/nats.ts) counts every node.
 */
export interface ConnectionLimiter {
  acquire(userId: number): Promise<boolean> | boolean;
  release(userId: number): void;
}

export class LocalLimiter implements ConnectionLimiter {
  private readonly counts = new Map<number, number>();

  constructor(private readonly max: number) {}

  acquire(userId: number): boolean {
    const n = this.counts.get(userId) ?? 0;
    if (n >= this.max) return false;
    this.counts.set(userId, n + 1);
    return true;
  }

  release(userId: number): void {
    const n = (this.counts.get(userId) ?? 0) - 1;
    if (n > 0) this.counts.set(userId, n);
    else this.counts.delete(userId);
  }

  /** This process's open slots of `userId`. */
  count(userId: number): number {
    return this.counts.get(userId) ?? 0;
  }

  /** The users holding at least one slot here. */
  users(): number[] {
    return [...this.counts.keys()];
  }
}
