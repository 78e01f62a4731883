/**
 * Alert lifecycle state (one row per alert, keyed by the alert's event id) and its audit trail (one
 * row per transition). The state row outlives the alert's event in the history: it keeps what the
 * inbox shows (type, message, camera, data).
 */
import type { Actor, Alert, AlertMessage, AlertState, AlertTransition } from '@openeye/protocol';
import type { Kysely } from 'kysely';
import type { AlertStatesTable, Database } from './schema.js';

type Row = AlertStatesTable;

const actor = (id: number | null, name: string | null): Actor =>
  id === null ? null : { id: Number(id), username: name ?? '' };

function readObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export const toAlert = (r: Row): Alert => ({
  id: String(r.alert_id),
  alert_type: r.alert_type as Alert['alert_type'],
  message: r.message,
  camera_id: r.camera_id === null ? null : Number(r.camera_id),
  source: r.source,
  data: readObject(r.data),
  state: r.state,
  assigned_to: r.assigned_to === null ? null : Number(r.assigned_to),
  acknowledged_by: actor(r.acknowledged_by, r.acknowledged_by_name),
  acknowledged_at: r.acknowledged_at,
  resolved_by: actor(r.resolved_by, r.resolved_by_name),
  resolved_at: r.resolved_at,
  note: r.note,
  version: Number(r.version),
  created_at: r.created_at,
  updated_at: r.updated_at,
});

/** The columns a transition may change (besides version and updated_at). */
export type AlertPatch = Partial<
  Pick<
    Row,
    | 'state'
    | 'assigned_to'
    | 'acknowledged_by'
    | 'acknowledged_by_name'
    | 'acknowledged_at'
    | 'resolved_by'
    | 'resolved_by_name'
    | 'resolved_at'
    | 'note'
    | 'opened_at'
  >
>;

export interface AlertListQuery {
  state?: AlertState;
  cameraId?: number;
  /** Only alerts older than this alert id. */
  before?: number;
  limit: number;
  /** The cameras the reader may see (null: every camera); alerts about no camera always pass. */
  cameras: ReadonlySet<number> | null;
}

export class AlertsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The state row of a newly stored alert: open, version 1. */
  async open(alert: AlertMessage, source: string | null = null): Promise<void> {
    const { message, camera_id, ...rest } = alert.data;
    await this.db
      .insertInto('alert_states')
      .values({
        alert_id: alert.id,
        alert_type: alert.alert_type,
        message,
        camera_id: camera_id ?? null,
        source,
        data: JSON.stringify(rest),
        state: 'open',
        assigned_to: null,
        acknowledged_by: null,
        acknowledged_by_name: null,
        acknowledged_at: null,
        resolved_by: null,
        resolved_by_name: null,
        resolved_at: null,
        note: null,
        version: 1,
        created_at: alert.timestamp,
        opened_at: alert.timestamp,
        updated_at: alert.timestamp,
      })
      .execute();
  }

  async byId(alertId: number): Promise<Alert | null> {
    const r = await this.db.selectFrom('alert_states').selectAll().where('alert_id', '=', alertId).executeTakeFirst();
    return r ? toAlert(r) : null;
  }

  /**
   * Applies `patch` if the alert is still at `version`: the optimistic concurrency check. Returns
   * the new state, or null when someone else changed it first.
   */
  async update(alertId: number, version: number, patch: AlertPatch, now: string): Promise<Alert | null> {
    const r = await this.db
      .updateTable('alert_states')
      .set({ ...patch, version: version + 1, updated_at: now })
      .where('alert_id', '=', alertId)
      .where('version', '=', version)
      .returningAll()
      .executeTakeFirst();
    return r ? toAlert(r) : null;
  }

  async addTransition(t: AlertTransition & { alert_id: string }): Promise<void> {
    await this.db
      .insertInto('alert_transitions')
      .values({
        alert_id: t.alert_id,
        event_id: t.event_id,
        action: t.action,
        state: t.state,
        assigned_to: t.assigned_to,
        by_user: t.by?.id ?? null,
        by_name: t.by?.username ?? null,
        note: t.note,
        version: t.version,
        at: t.at,
      })
      .execute();
  }

  /** The audit trail, oldest first. */
  async history(alertId: number): Promise<AlertTransition[]> {
    const rows = await this.db
      .selectFrom('alert_transitions')
      .selectAll()
      .where('alert_id', '=', alertId)
      .orderBy('id', 'asc')
      .limit(1000)
      .execute();
    return rows.map((r) => ({
      event_id: r.event_id === null ? null : String(r.event_id),
      action: r.action as AlertTransition['action'],
      state: r.state as AlertState,
      assigned_to: r.assigned_to === null ? null : Number(r.assigned_to),
      by: actor(r.by_user, r.by_name),
      at: r.at,
      note: r.note,
      version: Number(r.version),
    }));
  }

  /** The last transition, for telling a retry from a conflict. */
  async lastTransition(alertId: number): Promise<AlertTransition | null> {
    const all = await this.history(alertId);
    return all.at(-1) ?? null;
  }

  /** Newest first. */
  async list(q: AlertListQuery): Promise<Alert[]> {
    let query = this.db.selectFrom('alert_states').selectAll();
    if (q.state) query = query.where('state', '=', q.state);
    if (q.cameraId !== undefined) query = query.where('camera_id', '=', q.cameraId);
    if (q.before !== undefined) query = query.where('alert_id', '<', q.before);
    if (q.cameras) {
      const ids = [...q.cameras];
      query = query.where((eb) =>
        ids.length ? eb.or([eb('camera_id', 'is', null), eb('camera_id', 'in', ids)]) : eb('camera_id', 'is', null),
      );
    }
    return (await query.orderBy('alert_id', 'desc').limit(q.limit).execute()).map(toAlert);
  }

  /** Open and acknowledged now, and resolved since `since`. */
  async counts(since: string): Promise<{ open: number; acknowledged: number; resolved_today: number }> {
    const byState = await this.db
      .selectFrom('alert_states')
      .select(['state', (eb) => eb.fn.countAll<string | number>().as('n')])
      .where('state', 'in', ['open', 'acknowledged'])
      .groupBy('state')
      .execute();
    const resolved = await this.db
      .selectFrom('alert_states')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('state', '=', 'resolved')
      .where('resolved_at', '>=', since)
      .executeTakeFirst();
    const of = (s: string) => Number(byState.find((r) => r.state === s)?.n ?? 0);
    return { open: of('open'), acknowledged: of('acknowledged'), resolved_today: Number(resolved?.n ?? 0) };
  }

  /** Alerts in state `open` (not acknowledged yet) by alert type (severity), for the metrics. */
  async openBySeverity(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('alert_states')
      .select(['alert_type', (eb) => eb.fn.countAll<string | number>().as('n')])
      .where('state', '=', 'open')
      .groupBy('alert_type')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.alert_type, Number(r.n)]));
  }

  /** Not-resolved alerts raised by `source` (e.g. camera_offline), with their camera. */
  async unresolvedBySource(source: string): Promise<Alert[]> {
    const rows = await this.db
      .selectFrom('alert_states')
      .selectAll()
      .where('source', '=', source)
      .where('state', '!=', 'resolved')
      .orderBy('alert_id', 'asc')
      .limit(10_000)
      .execute();
    return rows.map(toAlert);
  }

  async setSource(alertId: string, source: string): Promise<void> {
    await this.db.updateTable('alert_states').set({ source }).where('alert_id', '=', alertId).execute();
  }

  /**
   * Open alerts (not acknowledged) for which escalation rule `ruleId` is due and has not fired in
   * this opening: opened within [openedAfter, openedBefore], of `types` and `cameras` (null: any),
   * oldest first.
   */
  async dueFor(q: {
    ruleId: number;
    openedBefore: string;
    openedAfter?: string;
    types: readonly string[] | null;
    cameras: readonly number[] | null;
    limit: number;
  }): Promise<(Alert & { opened_at: string })[]> {
    let query = this.db
      .selectFrom('alert_states')
      .selectAll('alert_states')
      .where('alert_states.state', '=', 'open')
      .where('alert_states.opened_at', '<=', q.openedBefore)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('alert_escalations')
              .select('alert_escalations.rule_id')
              .whereRef('alert_escalations.alert_id', '=', 'alert_states.alert_id')
              .whereRef('alert_escalations.opened_at', '=', 'alert_states.opened_at')
              .where('alert_escalations.rule_id', '=', q.ruleId),
          ),
        ),
      );
    if (q.openedAfter !== undefined) query = query.where('alert_states.opened_at', '>=', q.openedAfter);
    if (q.types !== null) query = query.where('alert_states.alert_type', 'in', q.types.length ? [...q.types] : ['']);
    if (q.cameras !== null)
      query = query.where('alert_states.camera_id', 'in', q.cameras.length ? [...q.cameras] : [0]);
    const rows = await query.orderBy('alert_states.alert_id', 'asc').limit(q.limit).execute();
    return rows.map((r) => ({ ...toAlert(r), opened_at: r.opened_at }));
  }
}
