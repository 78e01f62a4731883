/**
 * Escalation: rules (alert types and/or cameras, a delay, channels) and the worker that fires them.
 * An alert that stays open (not acknowledged) for a rule's delay is escalated: one message per
 * webhook of the rule, and with `push` one per subscribed device of every user who may see the
 * alert, all queued in the durable outbox in one transaction with the row that records the firing.
 * That row's primary key (alert, rule, opening) makes each escalation fire once in the cluster; the
 * worker also runs under a lease, so only one node looks at a time. An acknowledgement stops
 * further escalation (only open alerts are looked at). A reopened alert escalates again.
 *
 * Devices that opted in to `critical` also get a notification for every new critical alert (a
 * built-in rule, id 0, with no delay).
 */
import type {
  Alert,
  CreateEscalationRuleRequest,
  EscalationRule,
  UpdateEscalationRuleRequest,
} from '@openeye/protocol';
import { CameraAccess } from '../auth/access.js';
import type { ClusterEngine } from '../cluster/engine.js';
import type { Logger } from '../logger.js';
import type { Repositories, Store } from '../store/index.js';
import { badRequest, notFound } from './errors.js';

const TICK_MS = 1000;
const LEASE = 'alert-escalation';
/** Alerts escalated per rule and tick (the rest follow on the next tick). */
const BATCH = 200;
/** Messages waiting in the outbox beyond which new escalations queue nothing (and say so). */
export const MAX_OUTBOX = 100_000;
/** Critical alerts older than this when first seen get no critical push (a restart does not replay old ones). */
const CRITICAL_WINDOW_MS = 10 * 60_000;
const CRITICAL_RULE = 0;

export class EscalationService {
  constructor(private readonly store: Store) {}

  list(): Promise<EscalationRule[]> {
    return this.store.notify.rules();
  }

  private async checkWebhooks(ids: readonly number[] | undefined): Promise<void> {
    for (const id of ids ?? []) {
      if (!(await this.store.notify.webhook(id))) throw badRequest(`Webhook ${id} does not exist`, 'webhook_ids');
    }
  }

  async create(input: CreateEscalationRuleRequest): Promise<EscalationRule> {
    await this.checkWebhooks(input.webhook_ids);
    return this.store.notify.createRule(
      {
        name: input.name,
        alert_types: input.alert_types ?? null,
        camera_ids: input.camera_ids ?? null,
        after_seconds: input.after_seconds,
        webhook_ids: input.webhook_ids ?? [],
        push: input.push ?? false,
        enabled: input.enabled ?? true,
      },
      new Date().toISOString(),
    );
  }

  async update(id: number, patch: UpdateEscalationRuleRequest): Promise<EscalationRule> {
    await this.checkWebhooks(patch.webhook_ids);
    const rule = await this.store.notify.updateRule(id, patch);
    if (!rule) throw notFound('Escalation rule');
    return rule;
  }

  async remove(id: number): Promise<void> {
    if (!(await this.store.notify.deleteRule(id))) throw notFound('Escalation rule');
  }
}

/** The outbox body of an escalated alert (webhooks send it as is; push adds its action). */
export function escalationPayload(alert: Alert, rule: { id: number; name: string }): string {
  return JSON.stringify({
    type: 'alert.escalated',
    title: `${alert.alert_type === 'critical' ? 'Critical alert' : 'Alert'} not acknowledged`,
    alert,
    rule,
  });
}

export class EscalationWorker {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly store: Store,
    private readonly engine: ClusterEngine,
    private readonly log: Logger,
    /** Called after messages were queued (the outbox worker looks at once). */
    private readonly queued: () => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    void this.engine.releaseLease(LEASE).catch(() => undefined);
  }

  async tick(now = Date.now()): Promise<number> {
    if (this.busy) return 0;
    this.busy = true;
    try {
      if (!(await this.engine.lease(LEASE, TICK_MS * 5))) return 0;
      return await this.run(now);
    } catch (err) {
      this.log.warn({ event: 'escalation.failed', err }, 'escalation round failed');
      return 0;
    } finally {
      this.busy = false;
    }
  }

  private async run(now: number): Promise<number> {
    const rules = (await this.store.notify.rules()).filter((r) => r.enabled);
    const criticalPush = (await this.store.notify.pushSubscriptions()).some((s) => s.critical);
    let fired = 0;
    // One query per rule: the open alerts it matches, past its delay, that it has not fired for.
    for (const rule of rules) {
      const due = await this.store.alerts.dueFor({
        ruleId: rule.id,
        openedBefore: new Date(now - rule.after_seconds * 1000).toISOString(),
        types: rule.alert_types,
        cameras: rule.camera_ids,
        limit: BATCH,
      });
      for (const alert of due) if (await this.fire(alert, rule, now)) fired++;
    }
    if (criticalPush) {
      const due = await this.store.alerts.dueFor({
        ruleId: CRITICAL_RULE,
        openedBefore: new Date(now).toISOString(),
        openedAfter: new Date(now - CRITICAL_WINDOW_MS).toISOString(),
        types: ['critical'],
        cameras: null,
        limit: BATCH,
      });
      for (const alert of due) if (await this.fire(alert, null, now)) fired++;
    }
    if (fired > 0) this.queued();
    return fired;
  }

  /** Records the firing and queues its messages, in one transaction; false when it had fired already. */
  private async fire(alert: Alert & { opened_at: string }, rule: EscalationRule | null, now: number): Promise<boolean> {
    const at = new Date(now).toISOString();
    const ruleRef = rule ? { id: rule.id, name: rule.name } : { id: CRITICAL_RULE, name: 'critical alerts' };
    const queued = await this.store.transaction(async (tx) => {
      // Still open? (An acknowledgement may have come since the list was read.)
      const current = await tx.alerts.byId(Number(alert.id));
      if (current?.state !== 'open') return null;
      if (!(await tx.notify.markEscalated(alert.id, ruleRef.id, alert.opened_at, at, this.engine.nodeId))) return null;
      if ((await tx.notify.pendingCount()) >= MAX_OUTBOX) return -1;
      const payload = escalationPayload(current, ruleRef);
      let count = 0;
      if (rule) {
        for (const id of rule.webhook_ids) {
          const webhook = await tx.notify.webhook(id);
          if (!webhook?.enabled) continue;
          await tx.notify.enqueue({ channel: 'webhook', target_id: id, alert_id: alert.id, payload }, at);
          count++;
        }
      }
      if (!rule || rule.push) count += await this.queuePush(tx, current, payload, at, rule === null);
      return count;
    });
    if (queued === null) return false;
    if (queued === -1) {
      this.log.error(
        { event: 'escalation.outbox_full', alert: alert.id, rule: ruleRef.id },
        'outbox full: escalation not sent',
      );
      return true;
    }
    this.log.info({ event: 'alert.escalated', alert: alert.id, rule: ruleRef.id, messages: queued }, 'alert escalated');
    return true;
  }

  /** One push message per device of every user who may act on the alert (only `critical` devices for rule 0). */
  private async queuePush(tx: Repositories, alert: Alert, payload: string, at: string, criticalOnly: boolean) {
    let count = 0;
    const users = new Map<number, boolean>();
    for (const sub of await tx.notify.pushSubscriptions()) {
      if (criticalOnly && !sub.critical) continue;
      let may = users.get(sub.user_id);
      if (may === undefined) {
        const user = await tx.users.byId(sub.user_id);
        may =
          !!user && !user.disabled && user.role !== 'producer' && CameraAccess.forUser(user).canSee(alert.camera_id);
        users.set(sub.user_id, may);
      }
      if (!may) continue;
      await tx.notify.enqueue({ channel: 'push', target_id: sub.id, alert_id: alert.id, payload }, at);
      count++;
    }
    return count;
  }
}
