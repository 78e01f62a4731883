/** This node's open connections: by id and by user. The hub adds and removes; everyone else reads. */
import type { ConnectionStatistics } from '@openeye/protocol';
import type { Connection } from './connection.js';

const NONE: ReadonlySet<Connection> = new Set();

export class Registry {
  private readonly byId = new Map<string, Connection>();
  private readonly byUser = new Map<number, Set<Connection>>();

  get size(): number {
    return this.byId.size;
  }

  add(conn: Connection): void {
    this.byId.set(conn.id, conn);
    let set = this.byUser.get(conn.userId);
    if (!set) {
      set = new Set();
      this.byUser.set(conn.userId, set);
    }
    set.add(conn);
  }

  /** False when `conn` was not registered (already removed). */
  remove(conn: Connection): boolean {
    if (!this.byId.delete(conn.id)) return false;
    const set = this.byUser.get(conn.userId);
    set?.delete(conn);
    if (set?.size === 0) this.byUser.delete(conn.userId);
    return true;
  }

  get(id: string): Connection | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<Connection> {
    return this.byId.values();
  }

  /** The open connections of one user on this node. */
  ofUser(userId: number): ReadonlySet<Connection> {
    return this.byUser.get(userId) ?? NONE;
  }

  /** The guide's `get_statistics`. */
  statistics(): ConnectionStatistics {
    const connections_by_user: Record<string, number> = {};
    for (const [userId, set] of this.byUser) connections_by_user[String(userId)] = set.size;
    return { total_connections: this.byId.size, total_users: this.byUser.size, connections_by_user };
  }
}
