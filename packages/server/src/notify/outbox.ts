/**
 * The outbox worker: every node looks for due messages twice a second (and at once when one is
 * queued here), claims each in the database before its attempt (so one attempt at a time runs per
 * message in a cluster), and records the outcome only while it still holds the claim. A node that
 * dies mid-attempt loses its claims when they run out, and another node tries again: a message is
 * repeated only if its answer was not recorded. Failures are retried with exponential backoff and
 * full jitter until `retryForMs` after the message was queued, then dead-lettered.
 */
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import type { OutboxMessage } from '../store/notify.js';
import type { PostOutcome } from './request.js';

const TICK_MS = 500;
/** Attempts in flight at once on one node. */
const CONCURRENCY = 4;
/** Longest pause between two attempts at one message. */
const MAX_DELAY_MS = 3600_000;

export type Deliver = (message: OutboxMessage) => Promise<PostOutcome & { final?: boolean }>;

export interface OutboxSettings {
  nodeId: string;
  timeoutMs: number;
  retryBaseMs: number;
  retryForMs: number;
}

/** Full jitter: a random delay up to base·2^attempt, capped. */
export function retryDelay(attempt: number, baseMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(MAX_DELAY_MS, baseMs * 2 ** Math.min(attempt, 30)));
}

export class OutboxWorker {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private stopped = false;
  private inFlight = 0;

  constructor(
    private readonly store: Store,
    private readonly channels: Record<'webhook' | 'push', Deliver>,
    private readonly settings: OutboxSettings,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.nudge(), TICK_MS);
    this.timer.unref();
    this.nudge();
  }

  /** Looks for due messages now. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.round().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.nudge();
      }
    });
  }

  private async round(): Promise<void> {
    const free = CONCURRENCY - this.inFlight;
    if (free <= 0) return;
    const now = Date.now();
    let claimed: OutboxMessage[];
    try {
      claimed = await this.store.notify.claimDue(
        this.settings.nodeId,
        new Date(now).toISOString(),
        // The claim outlasts the attempt's own budget, so nobody else starts one meanwhile.
        new Date(now + this.settings.timeoutMs + 5000).toISOString(),
        free,
      );
    } catch (err) {
      this.log.warn({ event: 'outbox.claim_failed', err }, 'outbox claim failed');
      return;
    }
    for (const message of claimed) {
      this.inFlight++;
      void this.attempt(message).finally(() => {
        this.inFlight--;
        this.nudge();
      });
    }
  }

  private async attempt(message: OutboxMessage): Promise<void> {
    let outcome: PostOutcome & { final?: boolean };
    try {
      outcome = await this.channels[message.channel](message);
    } catch (err) {
      outcome = { ok: false, status: null, error: `failed: ${(err as Error).message}`.slice(0, 200), body: '' };
    }
    const now = Date.now();
    const age = now - Date.parse(message.created_at);
    const nextAt = now + retryDelay(message.attempts, this.settings.retryBaseMs);
    const status = outcome.ok
      ? 'delivered'
      : outcome.final ||
          age >= this.settings.retryForMs ||
          nextAt - Date.parse(message.created_at) > this.settings.retryForMs
        ? 'dead'
        : 'pending';
    const fields = {
      event: 'outbox.attempt',
      delivery: message.id,
      channel: message.channel,
      target: message.target_id,
      attempt: message.attempts + 1,
      status: outcome.status,
      outcome: status,
    };
    if (status === 'delivered') this.log.info(fields, 'notification delivered');
    else
      this.log.warn(
        { ...fields, error: outcome.error },
        status === 'dead' ? 'notification dead-lettered' : 'notification failed; will retry',
      );
    try {
      const recorded = await this.store.notify.finish(message.id, this.settings.nodeId, {
        status,
        statusCode: outcome.status,
        error: outcome.error,
        nextAttemptAt: status === 'pending' ? new Date(nextAt).toISOString() : null,
        now: new Date(now).toISOString(),
      });
      if (!recorded)
        this.log.warn({ event: 'outbox.claim_lost', delivery: message.id }, 'claim ran out before the answer');
    } catch (err) {
      this.log.warn({ event: 'outbox.record_failed', delivery: message.id, err }, 'outcome not recorded');
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }
}
