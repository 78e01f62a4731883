/**
 * Liveness: one shared interval sends protocol pings (a connection that did not answer the
 * previous one is terminated); one per-second sweep closes connections whose token expired
 * (buckets keyed by expiry second, moved when a token is renewed). No timer per connection.
 * Also the ways connections end from the server's side: revocation, switch-off, shutdown.
 */
import { CloseCode, CloseReason } from '@openeye/protocol';
import type { Logger } from '../logger.js';
import type { Connection } from './connection.js';
import type { Outbox } from './outbox.js';

export class Liveness {
  /** Connections by the second their token expires. */
  private readonly expiries = new Map<number, Set<Connection>>();
  private lastExpirySweep = Math.floor(Date.now() / 1000);
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly heartbeatIntervalMs: number,
    private readonly connections: () => Iterable<Connection>,
    private readonly outbox: Outbox,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.heartbeatIntervalMs);
    this.expiryTimer = setInterval(() => this.sweepExpiries(), 1000);
    this.heartbeatTimer.unref();
    this.expiryTimer.unref();
  }

  stop(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.expiryTimer) clearInterval(this.expiryTimer);
  }

  private heartbeat(): void {
    for (const conn of this.connections()) {
      if (!conn.alive) {
        this.log.info({ event: 'ws.dead', conn: conn.id, user: conn.userId, missed_pongs: 1 }, 'dead peer terminated');
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  track(conn: Connection): void {
    const second = Math.max(conn.tokenExpiresAt, this.lastExpirySweep + 1);
    let set = this.expiries.get(second);
    if (!set) {
      set = new Set();
      this.expiries.set(second, set);
    }
    set.add(conn);
  }

  untrack(conn: Connection): void {
    const second = Math.max(conn.tokenExpiresAt, this.lastExpirySweep + 1);
    const set = this.expiries.get(second);
    set?.delete(conn);
    if (set?.size === 0) this.expiries.delete(second);
  }

  /** The connection's token was renewed: it now expires at `expiresAt` (seconds). */
  renewed(conn: Connection, expiresAt: number): void {
    this.untrack(conn);
    conn.tokenExpiresAt = expiresAt;
    this.track(conn);
  }

  private sweepExpiries(): void {
    const nowSecond = Math.floor(Date.now() / 1000);
    for (let s = this.lastExpirySweep + 1; s <= nowSecond; s++) {
      const set = this.expiries.get(s);
      if (!set) continue;
      this.expiries.delete(s);
      for (const conn of set) this.outbox.close(conn, CloseCode.POLICY_VIOLATION, CloseReason.TOKEN_EXPIRED);
    }
    this.lastExpirySweep = nowSecond;
  }

  /** Closes every socket with 1001, waits up to `graceMs` for them, terminates the rest. */
  async shutdown(graceMs: number): Promise<{ closed: number; terminated: number }> {
    this.stop();
    const all = [...this.connections()];
    const closed = all.map(
      (conn) =>
        new Promise<void>((resolve) => {
          conn.ws.once('close', () => resolve());
          conn.closing = false;
          this.outbox.close(conn, CloseCode.GOING_AWAY, CloseReason.SHUTDOWN);
        }),
    );
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, graceMs).unref())]);
    let terminated = 0;
    for (const conn of this.connections()) {
      conn.ws.terminate();
      terminated++;
    }
    return { closed: all.length - terminated, terminated };
  }
}
