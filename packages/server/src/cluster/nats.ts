/**
 * The NATS engine (`NATS_URL`): core NATS for the bus, JetStream key-value buckets for the rest.
 *
 * Delivery: as with Redis, the store (PostgreSQL) is the log. Stored events are published on
 * `<prefix>.bus` with core NATS (at-most-once, no JetStream stream): a node that misses a message
 * finds the gap by id and reads it back from the store (realtime/sequencer.ts), so `lossy` is true.
 *
 * Coordination lives in three buckets (JetStream streams `KV_<bucket>`, one value per key):
 *
 * - `<prefix>-nodes`, values expiring `leaseMs` after they were written: each node's snapshot
 *   under its id, rewritten every `leaseMs/3` and 50 ms after its connections change. A node is
 *   alive while its key exists: one killed with -9 is gone `leaseMs` after its last write, by the
 *   server's clock alone.
 * - `<prefix>-users`, values expiring after `4 × leaseMs`: per user, `{ node id: open connections }`.
 *   A connect reads the value and writes it back with the revision it read (compare-and-set;
 *   another node's write in between makes it retry), so two nodes can never both take the last
 *   slot. Counts of nodes whose key in `-nodes` is gone are dropped when they would refuse a connect.
 *   Each node re-asserts its own counts (at least once per lease, and after any failed write).
 * - `<prefix>-coord`, values expiring after a day unless rewritten: `members` (the node ids, so
 *   the cluster view is a handful of direct reads, no consumer), named leases and window counters.
 *
 * While NATS is away nothing waits for it: publishing skips the network, the limiter counts this
 * node's own connections, counters are this node's, and `lease()` answers false. On reconnection
 * the node catches up from the store and re-asserts its keys.
 */
import { randomUUID } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError, jetstream } from '@nats-io/jetstream';
import { type KV, type KvEntry, Kvm } from '@nats-io/kv';
import { type ConnectionOptions, connect, type NatsConnection } from '@nats-io/transport-node';
import type { ConnectionStatistics, Presence } from '@openeye/protocol';
import { type AttemptCounter, LocalAttemptCounter } from '../auth/login-throttle.js';
import { maskUrlCredentials } from '../config.js';
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

export interface NatsEngineOptions {
  /** `nats://[user:pass@ | token@]host:port` */
  url: string;
  /** Subject token and bucket name prefix. */
  prefix: string;
  maxConnectionsPerUser: number;
  leaseMs?: number;
  /** How long one JetStream request may take before the node falls back to itself, ms. */
  requestTimeoutMs?: number;
}

/** The key-value buckets (and so the JetStream streams `KV_<name>`) an engine with `prefix` uses. */
export function natsBuckets(prefix: string): { nodes: string; users: string; coord: string } {
  return { nodes: `${prefix}-nodes`, users: `${prefix}-users`, coord: `${prefix}-coord` };
}

/** How long coordination values (leases, counters, the member list) live without a write. */
const COORD_TTL_MS = 24 * 60 * 60_000;
/** Compare-and-set attempts before giving up (a connect is then refused rather than over-admitted). */
const CAS_ATTEMPTS = 64;
/** Re-assertions of per-user counts run this many at a time. */
const REASSERT_CONCURRENCY = 32;

type Counts = Record<string, number>;

class CasExhausted extends Error {
  override name = 'CasExhausted';
}

function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

function live(e: KvEntry | null): e is KvEntry {
  return e !== null && e.operation === 'PUT';
}

function parse<T>(e: KvEntry | null, fallback: T): T {
  if (!live(e)) return fallback;
  try {
    return e.json<T>() ?? fallback;
  } catch {
    return fallback;
  }
}

/** Keys of the coord bucket from arbitrary names (a KV key allows only `[-/=.\w]`). */
function encodeName(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url') || '_';
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Splits a NATS URL into the server address and the credentials it carries (never logged). */
export function natsConnectOptions(url: string): Pick<ConnectionOptions, 'servers' | 'user' | 'pass' | 'token'> {
  const u = new URL(url);
  // An IPv6 hostname keeps its brackets in URL.hostname.
  const servers = `${u.hostname}:${u.port || '4222'}`;
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  if (user && pass) return { servers, user, pass };
  if (user) return { servers, token: user };
  return { servers };
}

/** The URL as logs and errors show it: whatever precedes `@` (user, password, token) masked. */
export function redactNatsUrl(url: string): string {
  return maskUrlCredentials(url);
}

export class NatsEngine implements ClusterEngine {
  readonly name = 'nats' as const;
  readonly nodeId = randomUUID();
  readonly lossy = true;
  readonly limiter: ConnectionLimiter;
  readonly attempts: AttemptCounter;
  private readonly handlers: BusHandler[] = [];
  private readonly reconnectHandlers: Array<() => void> = [];
  private readonly subject: string;
  private readonly framesSubject: string;
  private readonly frameHandlers: Array<(frame: Uint8Array) => void> = [];
  private readonly leaseMs: number;
  private readonly timeoutMs: number;
  private readonly buckets: { nodes: string; users: string; coord: string };
  private readonly local: LocalLimiter;
  private snapshot: () => NodeSnapshot = () => ({ users: {}, presence: {} });
  private nc: NatsConnection | null = null;
  private kv: { nodes: KV; users: KV; coord: KV } | null = null;
  private up = false;
  private started = false;
  private timer: NodeJS.Timeout | null = null;
  private refreshSoon: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  /** A refresh failed: the buckets may be gone (NATS restarted without its store); check them. */
  private reopen = false;
  /** Per user, one operation at a time on this node (acquire, release, re-assert). */
  private readonly userQueues = new Map<number, Promise<void>>();
  /** Users whose stored count for this node may be wrong (a write was skipped or failed). */
  private readonly dirty = new Set<number>();
  /** When this node last wrote its count for a user (performance.now()), for renewal. */
  private readonly written = new Map<number, number>();
  /** Other holders' lease values as first seen here: revision and when (performance.now()). */
  private readonly observed = new Map<string, { revision: number; since: number }>();
  private readonly held = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  private warnedLease = false;
  private warnedSize = false;

  constructor(
    private readonly options: NatsEngineOptions,
    private readonly log: Logger,
  ) {
    this.leaseMs = options.leaseMs ?? 15_000;
    this.timeoutMs = options.requestTimeoutMs ?? 2000;
    this.subject = `${options.prefix}.bus`;
    this.framesSubject = `${options.prefix}.frames`;
    this.buckets = natsBuckets(options.prefix);
    this.local = new LocalLimiter(options.maxConnectionsPerUser);
    this.limiter = this.sharedLimiter();
    this.attempts = this.sharedCounter(new LocalAttemptCounter());
  }

  health(): EngineHealth {
    return this.up && this.started ? 'up' : 'down';
  }

  async start(snapshot: () => NodeSnapshot): Promise<void> {
    this.snapshot = snapshot;
    const where = redactNatsUrl(this.options.url);
    try {
      this.nc = await connect({
        ...natsConnectOptions(this.options.url),
        name: `openeye ${this.nodeId}`,
        timeout: 3000,
        // Keep trying for ever, quickly: the node serves its own clients meanwhile.
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 100,
        // A stalled server (SIGSTOP, a partition) is noticed within about 4 s.
        pingInterval: 2000,
        maxPingOut: 2,
        // Our own bus messages are delivered to our handlers directly.
        noEcho: true,
      });
    } catch (err) {
      throw new Error(`cannot reach NATS at ${where}: ${(err as Error).message}`);
    }
    try {
      await this.openBuckets();
    } catch (err) {
      await this.nc.close().catch(() => undefined);
      this.nc = null;
      throw new Error(
        `NATS at ${where} answers, but its JetStream key-value buckets cannot be used (is JetStream enabled, -js?): ${(err as Error).message}`,
      );
    }
    this.nc.subscribe(this.subject, { callback: (_err, msg) => this.onMessage(msg.data) });
    this.nc.subscribe(this.framesSubject, {
      callback: (_err, msg) => {
        const frame = frameOf(msg.data, this.nodeId);
        if (frame) for (const h of this.frameHandlers) h(frame);
      },
    });
    void this.watchStatus(this.nc);
    this.started = true;
    this.up = true;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), Math.max(300, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  private async openBuckets(): Promise<void> {
    const kvm = new Kvm(jetstream(this.nc!, { timeout: this.timeoutMs }));
    const [nodes, users, coord] = await Promise.all([
      kvm.create(this.buckets.nodes, { history: 1, ttl: this.leaseMs }),
      kvm.create(this.buckets.users, { history: 1, ttl: 4 * this.leaseMs }),
      kvm.create(this.buckets.coord, { history: 1, ttl: COORD_TTL_MS }),
    ]);
    this.kv = { nodes, users, coord };
    const status = await nodes.status();
    if (status.ttl !== this.leaseMs && !this.warnedLease) {
      this.warnedLease = true;
      this.log.warn(
        { event: 'nats.lease_mismatch', bucket: this.buckets.nodes, bucketMs: status.ttl, leaseMs: this.leaseMs },
        'the nodes bucket was created with another OPENEYE_NODE_LEASE_MS; set the same on every node',
      );
    }
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'staleConnection') {
        if (this.up) {
          this.up = false;
          this.log.warn(
            { event: 'nats.down', node: this.nodeId },
            'NATS connection lost; catching up from the store meanwhile',
          );
        }
      } else if (s.type === 'reconnect') {
        if (!this.up && this.started) {
          this.up = true;
          this.log.info({ event: 'nats.up', node: this.nodeId }, 'NATS connected');
          // What this node wrote may have been lost or missed meanwhile: re-assert all of it.
          this.reopen = true;
          for (const u of [...this.local.users(), ...this.written.keys()]) this.dirty.add(u);
          for (const h of this.reconnectHandlers) h();
          void this.refresh();
        }
      }
    }
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
    if (!this.up || !this.nc) return;
    this.send(message);
  }

  /** Sends on the bus; a batch of events too large for one NATS message goes as several. */
  private send(message: BusMessage): void {
    const data = JSON.stringify({ n: this.nodeId, m: message });
    const max = this.nc?.info?.max_payload ?? 1024 * 1024;
    if (Buffer.byteLength(data) > max && message.kind === 'events' && message.events.length > 1) {
      const half = Math.ceil(message.events.length / 2);
      this.send({ kind: 'events', events: message.events.slice(0, half) });
      this.send({ kind: 'events', events: message.events.slice(half) });
      return;
    }
    try {
      this.nc!.publish(this.subject, data);
    } catch {
      // The other nodes find the gap by id and read it from the store.
    }
  }

  private onMessage(data: Uint8Array): void {
    let parsed: { n?: unknown; m?: BusMessage };
    try {
      parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
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

  /** Renews this node's key and membership and re-asserts its per-user counts; coalesced. */
  private refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.refreshAgain = false;
          await this.refreshOnce();
        } while (this.refreshAgain && this.started && this.up);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    if (!this.started || !this.up || !this.kv) return;
    try {
      if (this.reopen) {
        await this.openBuckets();
        this.reopen = false;
      }
      await this.kv.nodes.put(this.nodeId, this.encodeSnapshot());
      await this.updateMembers((ids) => (ids.includes(this.nodeId) ? null : [...ids, this.nodeId]));
      await this.reassertUsers();
    } catch (err) {
      this.reopen = true;
      this.log.debug({ event: 'nats.refresh_failed', err: (err as Error).message }, 'NATS refresh failed');
    }
  }

  /**
   * This node's snapshot as stored. It must fit in one NATS message (max_payload, 1 MiB by default):
   * past that, presence and then the per-user figures are left out (and said so once in the log)
   * rather than failing the write, which would make the other nodes take this one for dead.
   */
  private encodeSnapshot(): string {
    const snapshot = { ...this.snapshot(), node: this.nodeId };
    const max = (this.nc?.info?.max_payload ?? 1024 * 1024) - 1024;
    let data = JSON.stringify(snapshot);
    if (Buffer.byteLength(data) <= max) return data;
    data = JSON.stringify({ users: snapshot.users, presence: {}, watched: snapshot.watched, node: this.nodeId });
    if (Buffer.byteLength(data) > max)
      data = JSON.stringify({ users: {}, presence: {}, watched: snapshot.watched, node: this.nodeId });
    if (!this.warnedSize) {
      this.warnedSize = true;
      this.log.warn(
        { event: 'nats.snapshot_too_large', node: this.nodeId, maxPayload: max + 1024 },
        "this node's figures exceed the NATS server's max_payload; the cluster view leaves part of them out (raise max_payload)",
      );
    }
    return data;
  }

  /** Compare-and-set on the `members` list; `change` answers null for no change. */
  private async updateMembers(change: (ids: string[]) => string[] | null): Promise<void> {
    await this.cas(this.kv!.coord, 'members', (e) => {
      const next = change(parse<string[]>(e, []));
      return next === null ? null : JSON.stringify(next);
    });
  }

  /**
   * Reads `key`, lets `next` compute the new value from the entry (null: leave it), and writes it
   * only if nobody wrote in between; retries otherwise. Answers whether it wrote.
   */
  private async cas(
    kv: KV,
    key: string,
    next: (e: KvEntry | null) => string | null | Promise<string | null>,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const e = await kv.get(key);
      const value = await next(e);
      if (value === null) return false;
      try {
        if (e) await kv.update(key, value, e.revision);
        else await kv.create(key, value);
        return true;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        // Somebody else wrote first: read again, after a moment when it keeps happening.
        if (attempt > 2) await tick(Math.random() * Math.min(20, attempt));
      }
    }
    throw new CasExhausted(`${key}: too many concurrent writers`);
  }

  private async isAlive(nodeId: string): Promise<boolean> {
    return live(await this.kv!.nodes.get(nodeId));
  }

  private async snapshots(): Promise<NodeSnapshot[]> {
    const mine = this.snapshot();
    if (this.health() !== 'up' || !this.kv) return [mine];
    try {
      const kv = this.kv;
      const others = parse<string[]>(await kv.coord.get('members'), []).filter((id) => id !== this.nodeId);
      const entries = await Promise.all(others.map((id) => kv.nodes.get(id)));
      const out = [mine];
      const dead: string[] = [];
      entries.forEach((e, i) => {
        if (live(e)) out.push(parse<NodeSnapshot>(e, { users: {}, presence: {} }));
        else dead.push(others[i]!);
      });
      if (dead.length > 0) {
        this.track(this.updateMembers((ids) => ids.filter((id) => !dead.includes(id) || id === this.nodeId)));
      }
      return out;
    } catch {
      // While NATS does not answer, this node answers for itself.
      return [mine];
    }
  }

  async statistics(): Promise<ConnectionStatistics> {
    return mergeStatistics(await this.snapshots());
  }

  async watchedElsewhere(): Promise<ReadonlySet<number>> {
    // The first snapshot is this node's own.
    return watchedBy((await this.snapshots()).slice(1), this.nodeId);
  }

  /** A frame for the other nodes; one larger than the server's max_payload is not sent (counted by the caller). */
  publishFrame(frame: Uint8Array): void {
    if (!this.up || !this.nc) return;
    const payload = framePayload(this.nodeId, frame);
    if (payload.byteLength > (this.nc.info?.max_payload ?? 1024 * 1024)) return;
    try {
      this.nc.publish(this.framesSubject, payload);
    } catch {
      // A lost frame is replaced by the next.
    }
  }

  subscribeFrames(handler: (frame: Uint8Array) => void): void {
    this.frameHandlers.push(handler);
  }

  async presence(): Promise<Presence> {
    return mergePresence(await this.snapshots());
  }

  // ------------------------------------------------------------------ the per-user limit

  /** Runs `fn` after the previous operation for `userId` on this node has finished. */
  private serial<T>(userId: number, fn: () => Promise<T>): Promise<T> {
    const previous = this.userQueues.get(userId) ?? Promise.resolve();
    const run = previous.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.userQueues.set(userId, tail);
    void tail.then(() => {
      if (this.userQueues.get(userId) === tail) this.userQueues.delete(userId);
    });
    return run;
  }

  /** Writes this node's count for `userId` as the local limiter has it (callers hold the user's turn). */
  private async assertCount(userId: number): Promise<void> {
    const mine = this.local.count(userId);
    await this.cas(this.kv!.users, String(userId), (e) => {
      const counts = parse<Counts>(e, {});
      if (mine > 0) counts[this.nodeId] = mine;
      else if (this.nodeId in counts) delete counts[this.nodeId];
      else return null;
      return JSON.stringify(counts);
    });
    this.dirty.delete(userId);
    if (mine > 0) this.written.set(userId, performance.now());
    else this.written.delete(userId);
  }

  private sharedLimiter(): ConnectionLimiter {
    const local = this.local;
    const max = this.options.maxConnectionsPerUser;
    return {
      acquire: (userId) =>
        this.serial(userId, async () => {
          // While NATS is away, the node falls back to counting its own connections.
          if (!this.up || !this.kv) return this.acquireLocally(userId);
          const kv = this.kv;
          try {
            const took = await this.cas(kv.users, String(userId), async (e) => {
              const counts = parse<Counts>(e, {});
              // This node's share is what it knows it holds (which also repairs a stale value).
              counts[this.nodeId] = local.count(userId);
              let total = Object.values(counts).reduce((a, b) => a + b, 0);
              if (total >= max) {
                // At the limit: do not count nodes that are gone (killed; their key expired).
                const others = Object.keys(counts).filter((id) => id !== this.nodeId);
                const alive = await Promise.all(others.map((id) => this.isAlive(id)));
                others.forEach((id, i) => {
                  if (!alive[i]) delete counts[id];
                });
                total = Object.values(counts).reduce((a, b) => a + b, 0);
                if (total >= max) return null;
              }
              counts[this.nodeId] = local.count(userId) + 1;
              return JSON.stringify(counts);
            });
            if (!took) return false;
            local.acquire(userId);
            this.dirty.delete(userId);
            this.written.set(userId, performance.now());
            return true;
          } catch (err) {
            if (err instanceof CasExhausted) return false;
            return this.acquireLocally(userId);
          }
        }),
      release: (userId) => {
        local.release(userId);
        this.track(
          this.serial(userId, async () => {
            if (!this.up || !this.kv) {
              this.dirty.add(userId);
              return;
            }
            try {
              await this.assertCount(userId);
            } catch {
              this.dirty.add(userId);
            }
          }),
        );
      },
    };
  }

  private acquireLocally(userId: number): boolean {
    const ok = this.local.acquire(userId);
    if (ok) this.dirty.add(userId);
    return ok;
  }

  /** Writes the counts that may be wrong, and renews those not written for a lease. */
  private async reassertUsers(): Promise<void> {
    const now = performance.now();
    const due = new Set<number>(this.dirty);
    for (const u of this.local.users()) {
      if (now - (this.written.get(u) ?? Number.NEGATIVE_INFINITY) >= this.leaseMs) due.add(u);
    }
    const list = [...due];
    for (let i = 0; i < list.length; i += REASSERT_CONCURRENCY) {
      if (!this.up) return;
      await Promise.all(
        list.slice(i, i + REASSERT_CONCURRENCY).map((u) =>
          this.serial(u, () => this.assertCount(u)).catch(() => {
            this.dirty.add(u);
          }),
        ),
      );
    }
  }

  // ------------------------------------------------------------------ counters and leases

  /** Window counters shared by every node (login throttling); this node's own while NATS is away. */
  private sharedCounter(fallback: AttemptCounter): AttemptCounter {
    type Window = { count: number; until: number };
    const key = (name: string) => `count.${encodeName(name)}`;
    return {
      add: async (name, windowMs) => {
        if (!this.up || !this.kv) return fallback.add(name, windowMs);
        let result = { count: 0, resetInMs: 0 };
        try {
          await this.cas(this.kv.coord, key(name), (e) => {
            const now = Date.now();
            const w = parse<Window | null>(e, null);
            const next =
              w && w.until > now ? { count: w.count + 1, until: w.until } : { count: 1, until: now + windowMs };
            result = { count: next.count, resetInMs: next.until - now };
            return JSON.stringify(next);
          });
          return result;
        } catch {
          return fallback.add(name, windowMs);
        }
      },
      peek: async (name) => {
        if (!this.up || !this.kv) return fallback.peek(name);
        try {
          const w = parse<Window | null>(await this.kv.coord.get(key(name)), null);
          const now = Date.now();
          return w && w.until > now ? { count: w.count, resetInMs: w.until - now } : { count: 0, resetInMs: 0 };
        } catch {
          return fallback.peek(name);
        }
      },
      clear: async (name) => {
        await fallback.clear(name);
        if (this.up && this.kv) await this.kv.coord.delete(key(name)).catch(() => undefined);
      },
    };
  }

  /**
   * The lease value names its holder and ttl. Another node's value counts as expired once the same
   * revision has been seen here, unchanged, for longer than its ttl (the holder rewrites it on every
   * renewal): no clock is compared across machines. Taking it over is a compare-and-set, so of
   * several nodes trying at once exactly one wins.
   */
  async lease(name: string, ttlMs: number): Promise<boolean> {
    if (!this.up || !this.kv) return false;
    const key = `lease.${encodeName(name)}`;
    try {
      const wrote = await this.cas(this.kv.coord, key, (e) => {
        const value = JSON.stringify({ node: this.nodeId, ttl: ttlMs });
        const holder = parse<{ node: string; ttl: number } | null>(e, null);
        if (!holder || holder.node === this.nodeId) return value;
        const now = performance.now();
        const seen = this.observed.get(key);
        if (!seen || seen.revision !== e!.revision) {
          this.observed.set(key, { revision: e!.revision, since: now });
          return null;
        }
        return now - seen.since > holder.ttl ? value : null;
      });
      if (wrote) {
        this.observed.delete(key);
        this.held.add(name);
      } else this.held.delete(name);
      return wrote;
    } catch {
      return false;
    }
  }

  async releaseLease(name: string): Promise<void> {
    this.held.delete(name);
    if (!this.up || !this.kv) return;
    const key = `lease.${encodeName(name)}`;
    try {
      const e = await this.kv.coord.get(key);
      if (parse<{ node?: string }>(e, {}).node === this.nodeId) {
        await this.kv.coord.delete(key, { previousSeq: e!.revision });
      }
    } catch {
      // Expires by its ttl.
    }
  }

  // ------------------------------------------------------------------ stop

  private track(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined);
    this.pending.add(tracked);
    void tracked.then(() => this.pending.delete(tracked));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.refreshSoon) clearTimeout(this.refreshSoon);
    this.timer = null;
    this.refreshSoon = null;
    this.handlers.length = 0;
    const wasStarted = this.started;
    this.started = false;
    const nc = this.nc;
    if (!nc) return;
    if (wasStarted && this.up && this.kv) {
      const kv = this.kv;
      const leave = (async () => {
        // The releases of the sockets just closed, then this node's keys.
        await Promise.all([...this.pending, this.refreshing]);
        await Promise.all([...this.held].map((name) => this.releaseLease(name)));
        await kv.nodes.delete(this.nodeId);
        await this.updateMembers((ids) => (ids.includes(this.nodeId) ? ids.filter((id) => id !== this.nodeId) : null));
      })().catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([leave, new Promise((resolve) => (timer = setTimeout(resolve, 2 * this.timeoutMs)))]);
      clearTimeout(timer);
    }
    this.up = false;
    this.nc = null;
    this.kv = null;
    await nc.close().catch(() => undefined);
  }
}
