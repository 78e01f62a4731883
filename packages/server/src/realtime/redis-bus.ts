/**
 * The multi-node engine, on Redis.
 *
 * Delivery: the store (PostgreSQL) is the log; Redis pub/sub only carries what was stored, fast.
 * An event is committed before it is published, and ids are assigned in commit order (an advisory
 * lock serializes appends), so a node that misses a message (pub/sub is at-most-once; Redis may be
 * away) finds the gap by id and reads it back from the store: on the next message, on reconnection
 * and every `pollMs`. Every node delivers every event, in id order, once: at-least-once transport,
 * exactly-once, ordered delivery to the hub (see docs/architecture.md).
 *
 * Coordination: each node keeps a liveness key (`alive:<node>`, expiring after `leaseMs`) and a
 * snapshot of its connections and presence (`node:<node>`, same expiry), refreshed every `leaseMs/3`.
 * The per-user connection limit is one Lua script over `user:<id>` (node -> count) that ignores and
 * removes nodes whose liveness key expired: a node killed with -9 stops counting within `leaseMs`.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectionStatistics, Presence, PresenceWatcher } from '@openeye/protocol';
import { Redis } from 'ioredis';
import type { AttemptCounter } from '../auth/login-throttle.js';
import type { Logger } from '../logger.js';
import type { Bus, BusHandler, BusMessage } from './bus.js';
import { type ClusterView, localClusterView } from './cluster-view.js';
import type { Hub } from './hub.js';
import type { ConnectionLimiter } from './limiter.js';

const ACQUIRE = `
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #fields, 2 do
  local node = fields[i]
  if node ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. node) == 0 then
    redis.call('HDEL', KEYS[1], node)
  else
    total = total + tonumber(fields[i + 1])
  end
end
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

const RELEASE = `
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return n
`;

export interface RedisBusOptions {
  url: string;
  prefix: string;
  maxConnectionsPerUser: number;
  leaseMs?: number;
}

interface NodeSnapshot {
  users: Record<string, number>;
  presence: Presence['cameras'];
}

export class RedisBus implements Bus {
  readonly nodeId = randomUUID();
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers: BusHandler[] = [];
  private readonly channel: string;
  private readonly leaseMs: number;
  private hub: Hub | null = null;
  private timer: NodeJS.Timeout | null = null;
  private up = false;
  private refreshSoon: NodeJS.Timeout | null = null;
  /** Called when the subscription (re)connects: the node catches up on what it may have missed. */
  onReconnect: () => void = () => undefined;

  constructor(
    private readonly options: RedisBusOptions,
    private readonly log: Logger,
  ) {
    this.leaseMs = options.leaseMs ?? 15_000;
    this.channel = `${options.prefix}:bus`;
    const common = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    };
    // Commands fail at once while Redis is away (no offline queue that grows without bound).
    // A stalled Redis (connected, not answering) fails commands after 2 s instead of piling them up.
    this.pub = new Redis(options.url, { ...common, enableOfflineQueue: false, commandTimeout: 2000 });
    this.sub = new Redis(options.url, { ...common, enableOfflineQueue: true, autoResubscribe: true });
    this.pub.defineCommand('openeyeAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    this.pub.defineCommand('openeyeRelease', { numberOfKeys: 1, lua: RELEASE });
    for (const client of [this.pub, this.sub]) client.on('error', () => undefined);
    this.sub.on('ready', () => {
      if (!this.up) {
        this.up = true;
        this.log.info({ event: 'redis.up', node: this.nodeId }, 'Redis connected');
        this.onReconnect();
        void this.refresh();
      }
    });
    this.sub.on('close', () => {
      if (this.up) {
        this.up = false;
        this.log.warn(
          { event: 'redis.down', node: this.nodeId },
          'Redis connection lost; catching up from the store meanwhile',
        );
      }
    });
    this.sub.on('message', (_channel: string, raw: string) => this.onMessage(raw));
  }

  get healthy(): boolean {
    return this.up && this.pub.status === 'ready';
  }

  private key(...parts: (string | number)[]): string {
    return [this.options.prefix, ...parts].join(':');
  }

  /** Connects both clients and subscribes; throws with a clear message when Redis does not answer. */
  async start(hub: Hub): Promise<void> {
    this.hub = hub;
    try {
      await Promise.all([this.pub.connect(), this.sub.connect()]);
      await this.sub.subscribe(this.channel);
    } catch (err) {
      await this.close();
      throw new Error(`cannot reach Redis at ${redactRedisUrl(this.options.url)}: ${(err as Error).message}`);
    }
    this.up = true;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), Math.max(500, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  // ------------------------------------------------------------------ bus

  subscribe(handler: BusHandler): void {
    this.handlers.push(handler);
  }

  publish(message: BusMessage): void {
    for (const h of this.handlers) h(message);
    if (this.pub.status !== 'ready') return;
    this.pub.publish(this.channel, JSON.stringify({ n: this.nodeId, m: message })).catch(() => {
      // The other nodes find the gap by id and read it from the store.
    });
  }

  private onMessage(raw: string): void {
    let parsed: { n?: unknown; m?: BusMessage };
    try {
      parsed = JSON.parse(raw);
    } catch {
      return;
    }
    if (parsed.n === this.nodeId || !parsed.m || typeof parsed.m !== 'object') return;
    for (const h of this.handlers) h(parsed.m);
  }

  // ------------------------------------------------------------------ liveness and figures

  /** Refreshes the snapshot shortly (coalesced), after connections opened or closed. */
  scheduleRefresh(): void {
    if (this.refreshSoon) return;
    this.refreshSoon = setTimeout(() => {
      this.refreshSoon = null;
      void this.refresh();
    }, 50);
  }

  /** Renews this node's lease and snapshot, and re-asserts its per-user counts. */
  async refresh(): Promise<void> {
    const hub = this.hub;
    if (!hub || this.pub.status !== 'ready') return;
    const counts = hub.localCounts();
    const snapshot: NodeSnapshot = { users: {}, presence: hub.getPresence().cameras };
    for (const [userId, n] of counts) snapshot.users[String(userId)] = n;
    const m = this.pub.multi();
    m.set(this.key('alive', this.nodeId), '1', 'PX', this.leaseMs);
    m.set(this.key('node', this.nodeId), JSON.stringify(snapshot), 'PX', this.leaseMs);
    m.sadd(this.key('nodes'), this.nodeId);
    for (const [userId, n] of counts) {
      m.hset(this.key('user', userId), this.nodeId, n);
      m.pexpire(this.key('user', userId), this.leaseMs * 4);
    }
    await m.exec().catch(() => undefined);
  }

  private async snapshots(): Promise<NodeSnapshot[]> {
    const nodes = await this.pub.smembers(this.key('nodes'));
    if (nodes.length === 0) return [];
    const values = await this.pub.mget(...nodes.map((n) => this.key('node', n)));
    const out: NodeSnapshot[] = [];
    const dead: string[] = [];
    values.forEach((v, i) => {
      if (v === null) dead.push(nodes[i]!);
      else out.push(JSON.parse(v) as NodeSnapshot);
    });
    if (dead.length) await this.pub.srem(this.key('nodes'), ...dead);
    return out;
  }

  clusterView(hub: Hub): ClusterView {
    const local = localClusterView(hub);
    return {
      statistics: async () => {
        if (!this.healthy) return local.statistics();
        await this.refresh();
        const byUser: Record<string, number> = {};
        for (const s of await this.snapshots()) {
          for (const [u, n] of Object.entries(s.users)) byUser[u] = (byUser[u] ?? 0) + n;
        }
        const stats: ConnectionStatistics = {
          total_connections: Object.values(byUser).reduce((a, b) => a + b, 0),
          total_users: Object.keys(byUser).length,
          connections_by_user: byUser,
        };
        return stats;
      },
      presence: async () => {
        if (!this.healthy) return local.presence();
        await this.refresh();
        const merged = new Map<string, Map<number, PresenceWatcher>>();
        for (const s of await this.snapshots()) {
          for (const [camera, watchers] of Object.entries(s.presence)) {
            let users = merged.get(camera);
            if (!users) {
              users = new Map();
              merged.set(camera, users);
            }
            for (const w of watchers) {
              const u = users.get(w.user_id);
              if (u) u.connections += w.connections;
              else users.set(w.user_id, { ...w });
            }
          }
        }
        const cameras: Presence['cameras'] = {};
        for (const [camera, users] of merged) cameras[camera] = [...users.values()];
        return { cameras };
      },
    };
  }

  limiter(fallback: ConnectionLimiter): ConnectionLimiter {
    // While Redis is away, the node falls back to counting its own connections.
    return {
      acquire: async (userId) => {
        if (this.pub.status !== 'ready') return fallback.acquire(userId);
        try {
          const ok = await (
            this.pub as unknown as { openeyeAcquire(...a: (string | number)[]): Promise<number> }
          ).openeyeAcquire(
            this.key('user', userId),
            this.nodeId,
            this.options.maxConnectionsPerUser,
            this.key('alive', ''),
            this.leaseMs * 4,
          );
          if (ok !== 1) return false;
          // Keep the local count too, so a fallback during an outage still knows this node's share.
          fallback.acquire(userId);
          return true;
        } catch {
          return fallback.acquire(userId);
        }
      },
      release: (userId) => {
        fallback.release(userId);
        if (this.pub.status !== 'ready') return;
        (this.pub as unknown as { openeyeRelease(...a: (string | number)[]): Promise<number> })
          .openeyeRelease(this.key('user', userId), this.nodeId)
          .catch(() => undefined);
      },
    };
  }

  /** Failure counters shared by every node (login throttling); this node's own while Redis is away. */
  attemptCounter(fallback: AttemptCounter): AttemptCounter {
    const read = (r: [Error | null, unknown][] | null) => {
      const count = Number(r?.[0]?.[1] ?? 0);
      const ttl = Number(r?.at(-1)?.[1] ?? 0);
      return { count, resetInMs: Math.max(0, ttl) };
    };
    return {
      add: async (key, windowMs) => {
        if (this.pub.status !== 'ready') return fallback.add(key, windowMs);
        const k = this.key(key);
        try {
          return read(await this.pub.multi().incr(k).pexpire(k, windowMs, 'NX').pttl(k).exec());
        } catch {
          return fallback.add(key, windowMs);
        }
      },
      peek: async (key) => {
        if (this.pub.status !== 'ready') return fallback.peek(key);
        const k = this.key(key);
        try {
          const r = await this.pub.multi().get(k).pttl(k).exec();
          return read(r);
        } catch {
          return fallback.peek(key);
        }
      },
      clear: async (key) => {
        await fallback.clear(key);
        if (this.pub.status === 'ready') await this.pub.del(this.key(key)).catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.refreshSoon) clearTimeout(this.refreshSoon);
    this.handlers.length = 0;
    if (this.pub.status === 'ready') {
      await this.pub
        .multi()
        .del(this.key('alive', this.nodeId))
        .del(this.key('node', this.nodeId))
        .srem(this.key('nodes'), this.nodeId)
        .exec()
        .catch(() => undefined);
    }
    this.pub.disconnect();
    this.sub.disconnect();
  }
}

function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'the configured URL';
  }
}
