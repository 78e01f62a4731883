/**
 * Escalation rules, the escalations that fired, webhooks, Web Push subscriptions and the durable
 * notification outbox. A node claims an outbox row (`claimed_by`, `claim_until`) before each
 * delivery attempt, so in a cluster one attempt at a time runs per message.
 */
import type { Delivery, EscalationRule, PushSubscription, Webhook } from '@openeye/protocol';
import type { Kysely } from 'kysely';
import type {
  Database,
  EscalationRulesTable,
  NotificationOutboxTable,
  PushSubscriptionsTable,
  WebhooksTable,
} from './schema.js';
import { readIds, writeIds } from './users.js';

type RuleRow = Omit<EscalationRulesTable, 'id'> & { id: number };
type WebhookRow = Omit<WebhooksTable, 'id'> & { id: number };
type PushRow = Omit<PushSubscriptionsTable, 'id'> & { id: number };
type OutboxRow = Omit<NotificationOutboxTable, 'id'> & { id: number | string };

function readList<T>(text: string | null): T[] | null {
  if (text === null) return null;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? (v as T[]) : null;
  } catch {
    return null;
  }
}

const toRule = (r: RuleRow): EscalationRule => ({
  id: Number(r.id),
  name: r.name,
  alert_types: readList<EscalationRule['alert_types'] & object>(r.alert_types) as EscalationRule['alert_types'],
  camera_ids: readIds(r.camera_ids),
  after_seconds: Number(r.after_seconds),
  webhook_ids: readIds(r.webhook_ids) ?? [],
  push: Boolean(r.push),
  enabled: Boolean(r.enabled),
  created_at: r.created_at,
});

export interface WebhookRecord extends Webhook {
  secret: string;
}

const toWebhook = (r: WebhookRow): WebhookRecord => ({
  id: Number(r.id),
  name: r.name,
  url: r.url,
  enabled: Boolean(r.enabled),
  secret_prefix: r.secret.slice(0, 10),
  created_at: r.created_at,
  secret: r.secret,
});

export interface PushSubscriptionRecord extends PushSubscription {
  user_id: number;
  keys: { p256dh: string; auth: string };
}

const toPush = (r: PushRow): PushSubscriptionRecord => ({
  id: Number(r.id),
  user_id: Number(r.user_id),
  endpoint: r.endpoint,
  label: r.label,
  critical: Boolean(r.critical),
  created_at: r.created_at,
  keys: { p256dh: r.p256dh, auth: r.auth },
});

export interface OutboxMessage extends Delivery {
  payload: string;
}

const toDelivery = (r: OutboxRow): OutboxMessage => ({
  id: Number(r.id),
  channel: r.channel,
  target_id: Number(r.target_id),
  alert_id: r.alert_id === null ? null : String(r.alert_id),
  status: r.status,
  attempts: Number(r.attempts),
  last_status_code: r.last_status_code === null ? null : Number(r.last_status_code),
  last_error: r.last_error,
  next_attempt_at: r.next_attempt_at,
  created_at: r.created_at,
  delivered_at: r.delivered_at,
  payload: r.payload,
});

export type RuleInput = Omit<EscalationRule, 'id' | 'created_at'>;

export class NotifyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  // ------------------------------------------------------------------ rules

  async rules(): Promise<EscalationRule[]> {
    return (await this.db.selectFrom('escalation_rules').selectAll().orderBy('id').execute()).map(toRule);
  }

  async rule(id: number): Promise<EscalationRule | null> {
    const r = await this.db.selectFrom('escalation_rules').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRule(r) : null;
  }

  private ruleValues(r: Partial<RuleInput>) {
    const v: Partial<Omit<EscalationRulesTable, 'id'>> = {};
    if (r.name !== undefined) v.name = r.name;
    if (r.alert_types !== undefined) v.alert_types = r.alert_types === null ? null : JSON.stringify(r.alert_types);
    if (r.camera_ids !== undefined) v.camera_ids = writeIds(r.camera_ids);
    if (r.after_seconds !== undefined) v.after_seconds = r.after_seconds;
    if (r.webhook_ids !== undefined) v.webhook_ids = writeIds(r.webhook_ids) ?? '[]';
    if (r.push !== undefined) v.push = r.push ? 1 : 0;
    if (r.enabled !== undefined) v.enabled = r.enabled ? 1 : 0;
    return v;
  }

  async createRule(r: RuleInput, now: string): Promise<EscalationRule> {
    const row = await this.db
      .insertInto('escalation_rules')
      .values({ ...(this.ruleValues(r) as Omit<EscalationRulesTable, 'id' | 'created_at'>), created_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRule(row);
  }

  async updateRule(id: number, patch: Partial<RuleInput>): Promise<EscalationRule | null> {
    const values = this.ruleValues(patch);
    if (Object.keys(values).length === 0) return this.rule(id);
    const r = await this.db
      .updateTable('escalation_rules')
      .set(values)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return r ? toRule(r) : null;
  }

  async deleteRule(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('escalation_rules').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Records that `rule` fired for this opening of the alert; false when it already had (on any node). */
  async markEscalated(alertId: string, ruleId: number, openedAt: string, now: string, node: string): Promise<boolean> {
    const r = await this.db
      .insertInto('alert_escalations')
      .values({ alert_id: alertId, rule_id: ruleId, opened_at: openedAt, fired_at: now, node })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  // ------------------------------------------------------------------ webhooks

  async webhooks(): Promise<WebhookRecord[]> {
    return (await this.db.selectFrom('webhooks').selectAll().orderBy('id').execute()).map(toWebhook);
  }

  async webhook(id: number): Promise<WebhookRecord | null> {
    const r = await this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toWebhook(r) : null;
  }

  async createWebhook(w: { name: string; url: string; secret: string; enabled: boolean }, now: string) {
    const r = await this.db
      .insertInto('webhooks')
      .values({ name: w.name, url: w.url, secret: w.secret, enabled: w.enabled ? 1 : 0, created_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toWebhook(r);
  }

  async updateWebhook(id: number, patch: { name?: string; url?: string; enabled?: boolean }) {
    const v: Partial<Omit<WebhooksTable, 'id'>> = {};
    if (patch.name !== undefined) v.name = patch.name;
    if (patch.url !== undefined) v.url = patch.url;
    if (patch.enabled !== undefined) v.enabled = patch.enabled ? 1 : 0;
    if (Object.keys(v).length === 0) return this.webhook(id);
    const r = await this.db.updateTable('webhooks').set(v).where('id', '=', id).returningAll().executeTakeFirst();
    return r ? toWebhook(r) : null;
  }

  async deleteWebhook(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  // ------------------------------------------------------------------ push subscriptions

  /** Adds (or, for a known endpoint, takes over and updates) a device's subscription. */
  async savePushSubscription(
    s: { user_id: number; endpoint: string; p256dh: string; auth: string; label: string | null; critical: boolean },
    now: string,
  ): Promise<PushSubscriptionRecord> {
    const values = { ...s, critical: s.critical ? 1 : 0 };
    const r = await this.db
      .insertInto('push_subscriptions')
      .values({ ...values, created_at: now })
      .onConflict((oc) =>
        oc.column('endpoint').doUpdateSet({
          user_id: s.user_id,
          p256dh: s.p256dh,
          auth: s.auth,
          label: s.label,
          critical: values.critical,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPush(r);
  }

  async pushSubscriptions(userId?: number): Promise<PushSubscriptionRecord[]> {
    let q = this.db.selectFrom('push_subscriptions').selectAll();
    if (userId !== undefined) q = q.where('user_id', '=', userId);
    return (await q.orderBy('id').limit(10_000).execute()).map(toPush);
  }

  async pushSubscription(id: number): Promise<PushSubscriptionRecord | null> {
    const r = await this.db.selectFrom('push_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toPush(r) : null;
  }

  async deletePushSubscription(id: number, userId?: number): Promise<boolean> {
    let q = this.db.deleteFrom('push_subscriptions').where('id', '=', id);
    if (userId !== undefined) q = q.where('user_id', '=', userId);
    return Number((await q.executeTakeFirst()).numDeletedRows) > 0;
  }

  // ------------------------------------------------------------------ outbox

  async pendingCount(): Promise<number> {
    const r = await this.db
      .selectFrom('notification_outbox')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async enqueue(
    m: { channel: 'webhook' | 'push'; target_id: number; alert_id: string | null; payload: string },
    now: string,
  ): Promise<number> {
    const r = await this.db
      .insertInto('notification_outbox')
      .values({ ...m, status: 'pending', attempts: 0, next_attempt_at: now, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  /**
   * Claims up to `limit` due messages for `node` until `claimUntil`: a message is claimed when it is
   * pending, due, and unclaimed or its claim ran out. Each claim is one conditional UPDATE, so two
   * nodes never hold the same message.
   */
  async claimDue(node: string, now: string, claimUntil: string, limit: number): Promise<OutboxMessage[]> {
    const due = await this.db
      .selectFrom('notification_outbox')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('claim_until', '<', now)]))
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    const claimed: OutboxMessage[] = [];
    for (const { id } of due) {
      const r = await this.db
        .updateTable('notification_outbox')
        .set({ claimed_by: node, claim_until: claimUntil })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('claim_until', '<', now)]))
        .returningAll()
        .executeTakeFirst();
      if (r) claimed.push(toDelivery(r));
    }
    return claimed;
  }

  /** Records an attempt's outcome, if `node` still holds the claim; false when it lost it. */
  async finish(
    id: number,
    node: string,
    outcome: {
      status: 'pending' | 'delivered' | 'dead';
      statusCode: number | null;
      error: string | null;
      nextAttemptAt: string | null;
      now: string;
    },
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('notification_outbox')
      .set((eb) => ({
        status: outcome.status,
        attempts: eb('attempts', '+', 1),
        last_status_code: outcome.statusCode,
        last_error: outcome.error,
        next_attempt_at: outcome.nextAttemptAt,
        delivered_at: outcome.status === 'delivered' ? outcome.now : null,
        claimed_by: null,
        claim_until: null,
      }))
      .where('id', '=', id)
      .where('claimed_by', '=', node)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async delivery(id: number): Promise<OutboxMessage | null> {
    const r = await this.db.selectFrom('notification_outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toDelivery(r) : null;
  }

  /** The delivery log of one target, newest first. */
  async deliveries(channel: 'webhook' | 'push', targetId: number, limit: number): Promise<Delivery[]> {
    const rows = await this.db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('channel', '=', channel)
      .where('target_id', '=', targetId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => {
      const { payload: _payload, ...d } = toDelivery(r);
      return d;
    });
  }

  async deliveriesOfAlert(alertId: string): Promise<OutboxMessage[]> {
    return (
      await this.db
        .selectFrom('notification_outbox')
        .selectAll()
        .where('alert_id', '=', alertId)
        .orderBy('id')
        .execute()
    ).map(toDelivery);
  }
}
