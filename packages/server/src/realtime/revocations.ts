/**
 * Revocations no bus message brought: `openeye key revoke`, `openeye user disable` and `openeye
 * user passwd` write to the database from outside the server, and a node may miss a bus message
 * while the bus is away. Every `intervalMs` the node checks the API keys and users of its open
 * connections against the store and closes, 1008 `Invalid token`, every connection whose key was
 * revoked, whose user was disabled, deleted or given another role, or whose token predates a
 * password change (the
 * dashboard's and the API's revocations close sockets at once; this is the backstop).
 */
import { CloseCode, CloseReason } from '@openeye/protocol';
import { keyRole } from '../auth/api-keys.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import type { Connection } from './connection.js';
import type { Hub } from './hub.js';

export const REVOCATION_SWEEP_MS = 5000;

export class RevocationSweep {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly hub: Hub,
    private readonly store: Store,
    /** A user was found disabled, deleted or with a new password: forget what is cached of them. */
    private readonly forgetUser: (userId: number) => void,
    private readonly log: Logger,
    private readonly intervalMs = REVOCATION_SWEEP_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass; a pass still running (a slow database) is not overlapped. */
  async sweep(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const conns = [...this.hub.openConnections()];
      if (conns.length === 0) return;
      const keyIds = new Set<number>();
      const userIds = new Set<number>();
      for (const conn of conns) {
        if (conn.key) keyIds.add(conn.key.id);
        userIds.add(conn.userId);
      }
      const revokedKeys = new Set(keyIds.size > 0 ? await this.store.apiKeys.revokedAmong([...keyIds]) : []);
      const users = new Map((await this.store.users.byIds([...userIds])).map((u) => [u.id, u]));
      const stale = new Set<number>();
      for (const conn of conns) {
        const user = users.get(conn.userId);
        const keyGone = conn.key !== null && revokedKeys.has(conn.key.id);
        // A key's connection outlives password changes (the key is its credential); a JWT's does not.
        const userGone =
          !user ||
          user.disabled ||
          (conn.key === null ? user.role : keyRole(user.role)) !== conn.role ||
          (conn.key === null && user.token_version !== conn.tokenVersion);
        if (!keyGone && !userGone) continue;
        if (userGone) stale.add(conn.userId);
        this.close(conn, keyGone ? 'key_revoked' : 'user_revoked');
      }
      for (const id of stale) this.forgetUser(id);
    } catch (err) {
      this.log.warn({ event: 'revocations.sweep_failed', err }, 'checking open connections for revocations failed');
    } finally {
      this.running = false;
    }
  }

  private close(conn: Connection, reason: string): void {
    this.log.info({ event: 'ws.revoked', conn: conn.id, user: conn.userId, reason }, 'connection closed: revoked');
    this.hub.outbox.close(conn, CloseCode.POLICY_VIOLATION, CloseReason.INVALID_TOKEN);
  }
}
