/**
 * The Redis engine (`REDIS_URL`).
 *
 * Delivery: the store (PostgreSQL) is the log; Redis pub/sub only carries what was stored, fast.
 * An event is committed before it is published, and ids are assigned in commit order (an advisory
 * lock serializes appends), so a node that misses a message (pub/sub is at-most-once; Redis may be
 * away) finds the gap by id and reads it back from the store (realtime/sequencer.ts).
 *
 * Coordination: each node keeps a liveness key (`alive:<node>`, expiring after `leaseMs`) and its
 * snapshot (`node:<node>`, same expiry), refreshed every `leaseMs/3`. The per-user connection limit
 * is one Lua script over `user:<id>` (node -> count) that ignores and removes nodes whose liveness
 * key expired: a node killed with -9 stops counting within `leaseMs`. Named leases are `SET NX PX`
 * renewed by a script that checks the holder.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectionStatistics, Presence } from '@openeye/protocol';
import { Redis } from 'ioredis';
import { type AttemptCounter, LocalAttemptCounter } from '../auth/login-throttle.js';
import type { Logger } from '../logger.js';
import {
  type BusHandler,
  type BusMessage,
  type ClusterEngine,
  type EngineHealth,
  frameOf,
  framePayload,
  mergePresence,
  mergeStatistics,
  type NodeSnapshot,
  watchedBy,
} from './engine.js';
import { type ConnectionLimiter, LocalLimiter } from './limiter.js';

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

/** Takes the lease if free, renews it if ours; 1 when held by ARGV[1] afterwards. */
const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

const UNLEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface RedisEngineOptions {
  url: string;
  prefix: string;
  maxConnectionsPerUser: number;
  leaseMs?: number;
}

type Scripts = Redis & {
  openeyeAcquire(...a: (string | number)[]): Promise<number>;
  openeyeRelease(...a: (string | number)[]): Promise<number>;
  openeyeLease(...a: (string | number)[]): Promise<number>;
  openeyeUnlease(...a: (string | number)[]): Promise<number>;
};

export class RedisEngine implements ClusterEngine {
  readonly name = 'redis' as const;
  readonly nodeId = randomUUID();
  readonly lossy = true;
  readonly limiter: ConnectionLimiter;
  readonly attempts: AttemptCounter;
  private readonly pub: Scripts;
  private readonly sub: Redis;
  private readonly handlers: BusHandler[] = [];
  private readonly reconnectHandlers: Array<() => void> = [];
  private readonly channel: string;
  private readonly framesChannel: string;
  private readonly frameHandlers: Array<(frame: Uint8Array) => void> = [];
  private readonly leaseMs: number;
  private snapshot: () => NodeSnapshot = () => ({ users: {}, presence: {} });
  private timer: NodeJS.Timeout | null = null;
  private up = false;
  private started = false;
  private refreshSoon: NodeJS.Timeout | null = null;
  private readonly local: LocalLimiter;

  constructor(
    private readonly options: RedisEngineOptions,
    private readonly log: Logger,
  ) {
    this.leaseMs = options.leaseMs ?? 15_000;
    this.channel = `${options.prefix}:bus`;
    this.framesChannel = `${options.prefix}:frames`;
    const common = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    };
    // Commands fail at once while Redis is away (no offline queue that grows without bound).
    // A stalled Redis (connected, not answering) fails commands after 2 s instead of piling them up.
    this.pub = new Redis(options.url, { ...common, enableOfflineQueue: false, commandTimeout: 2000 }) as Scripts;
    this.sub = new Redis(options.url, { ...common, enableOfflineQueue: true, autoResubscribe: true });
    this.pub.defineCommand('openeyeAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    this.pub.defineCommand('openeyeRelease', { numberOfKeys: 1, lua: RELEASE });
    this.pub.defineCommand('openeyeLease', { numberOfKeys: 1, lua: LEASE });
    this.pub.defineCommand('openeyeUnlease', { numberOfKeys: 1, lua: UNLEASE });
    for (const client of [this.pub, this.sub]) client.on('error', () => undefined);
    this.sub.on('ready', () => {
      if (!this.up && this.started) {
        this.up = true;
        this.log.info({ event: 'redis.up', node: this.nodeId }, 'Redis connected');
        for (const h of this.reconnectHandlers) h();
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
    this.sub.on('message', (channel: string, raw: string) => {
      if (channel === this.channel) this.onMessage(raw);
    });
    this.sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
      if (channel.toString() !== this.framesChannel) return;
      const frame = frameOf(payload, this.nodeId);
      if (frame) for (const h of this.frameHandlers) h(frame);
    });
    this.local = new LocalLimiter(options.maxConnectionsPerUser);
    this.limiter = this.sharedLimiter();
    this.attempts = this.sharedCounter(new LocalAttemptCounter());
  }

  private get ready(): boolean {
    return this.pub.status === 'ready';
  }

  health(): EngineHealth {
    return this.up && this.ready ? 'up' : 'down';
  }

  private key(...parts: (string | number)[]): string {
    return [this.options.prefix, ...parts].join(':');
  }

  async start(snapshot: () => NodeSnapshot): Promise<void> {
    this.snapshot = snapshot;
    try {
      await Promise.all([this.pub.connect(), this.sub.connect()]);
      await this.sub.subscribe(this.channel, this.framesChannel);
    } catch (err) {
      await this.stop();
      throw new Error(`cannot reach Redis at ${redactRedisUrl(this.options.url)}: ${(err as Error).message}`);
    }
    this.started = true;
    this.up = true;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), Math.max(500, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  // ------------------------------------------------------------------ bus

  subscribe(handler: BusHandler): void {
    this.handlers.push(handler);
  }

  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
  }

  publish(message: BusMessage): void {
    for (const h of this.handlers) h(message);
    if (!this.ready) return;
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

  connectionsChanged(): void {
    if (this.refreshSoon) return;
    this.refreshSoon = setTimeout(() => {
      this.refreshSoon = null;
      void this.refresh();
    }, 50);
  }

  presenceChanged(): void {
    void this.refresh().then(() => this.publish({ kind: 'presence' }));
  }

  /** Renews this node's lease and snapshot, and re-asserts its per-user counts. */
  private async refresh(): Promise<void> {
    if (!this.started || !this.ready) return;
    const snapshot = this.snapshot();
    const m = this.pub.multi();
    m.set(this.key('alive', this.nodeId), '1', 'PX', this.leaseMs);
    m.set(this.key('node', this.nodeId), JSON.stringify({ ...snapshot, node: this.nodeId }), 'PX', this.leaseMs);
    m.sadd(this.key('nodes'), this.nodeId);
    for (const [userId, n] of Object.entries(snapshot.users)) {
      m.hset(this.key('user', userId), this.nodeId, n);
      m.pexpire(this.key('user', userId), this.leaseMs * 4);
    }
    await m.exec().catch(() => undefined);
  }

  private async snapshots(): Promise<NodeSnapshot[]> {
    await this.refresh();
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

  async statistics(): Promise<ConnectionStatistics> {
    // While Redis is away, this node answers for itself.
    return mergeStatistics(this.health() === 'up' ? await this.snapshots() : [this.snapshot()]);
  }

  async presence(): Promise<Presence> {
    return mergePresence(this.health() === 'up' ? await this.snapshots() : [this.snapshot()]);
  }

  async watchedElsewhere(): Promise<ReadonlySet<number>> {
    if (this.health() !== 'up') return new Set();
    return watchedBy(await this.snapshots().catch(() => []), this.nodeId);
  }

  publishFrame(frame: Uint8Array): void {
    if (!this.ready) return;
    this.pub.publish(this.framesChannel, framePayload(this.nodeId, frame)).catch(() => undefined);
  }

  subscribeFrames(handler: (frame: Uint8Array) => void): void {
    this.frameHandlers.push(handler);
  }

  private sharedLimiter(): ConnectionLimiter {
    // While Redis is away, the node falls back to counting its own connections.
    const local = this.local;
    return {
      acquire: async (userId) => {
        if (!this.ready) return local.acquire(userId);
        try {
          const ok = await this.pub.openeyeAcquire(
            this.key('user', userId),
            this.nodeId,
            this.options.maxConnectionsPerUser,
            this.key('alive', ''),
            this.leaseMs * 4,
          );
          if (ok !== 1) return false;
          // Keep the local count too, so a fallback during an outage still knows this node's share.
          local.acquire(userId);
          return true;
        } catch {
          return local.acquire(userId);
        }
      },
      release: (userId) => {
        local.release(userId);
        if (!this.ready) return;
        this.pub.openeyeRelease(this.key('user', userId), this.nodeId).catch(() => undefined);
      },
    };
  }

  /** Window counters shared by every node (login throttling); this node's own while Redis is away. */
  private sharedCounter(fallback: AttemptCounter): AttemptCounter {
    const read = (r: [Error | null, unknown][] | null) => ({
      count: Number(r?.[0]?.[1] ?? 0),
      resetInMs: Math.max(0, Number(r?.at(-1)?.[1] ?? 0)),
    });
    return {
      add: async (key, windowMs) => {
        if (!this.ready) return fallback.add(key, windowMs);
        const k = this.key(key);
        try {
          return read(await this.pub.multi().incr(k).pexpire(k, windowMs, 'NX').pttl(k).exec());
        } catch {
          return fallback.add(key, windowMs);
        }
      },
      peek: async (key) => {
        if (!this.ready) return fallback.peek(key);
        const k = this.key(key);
        try {
          return read(await this.pub.multi().get(k).pttl(k).exec());
        } catch {
          return fallback.peek(key);
        }
      },
      clear: async (key) => {
        await fallback.clear(key);
        if (this.ready) await this.pub.del(this.key(key)).catch(() => undefined);
      },
    };
  }

  async lease(name: string, ttlMs: number): Promise<boolean> {
    if (!this.ready) return false;
    try {
      return (await this.pub.openeyeLease(this.key('lease', name), this.nodeId, ttlMs)) === 1;
    } catch {
      return false;
    }
  }

  async releaseLease(name: string): Promise<void> {
    if (!this.ready) return;
    await this.pub.openeyeUnlease(this.key('lease', name), this.nodeId).catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.refreshSoon) clearTimeout(this.refreshSoon);
    this.handlers.length = 0;
    this.started = false;
    if (this.ready) {
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

export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'the configured URL';
  }
}
