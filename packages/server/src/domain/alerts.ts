/**
 * The alert lifecycle (docs/alerts.md): open → acknowledged → resolved, assignment, reopening.
 * Each transition is one domain write: the state row updated only if it is still at the version
 * the caller saw (UPDATE … WHERE version = ?), the audit row and the `alert_update` event stored in
 * the same transaction, then published. Two operators acting at once: one wins, the other gets 409
 * with the alert as it is now and no event is stored for it. Repeating what already happened
 * (the same action by the same user) is answered with the alert and no event.
 */
import {
  type Actor,
  type Alert,
  type AlertAction,
  type AlertState,
  type AlertUpdateMessage,
  type AlertWithHistory,
  MAX_ALERT_NOTE_BYTES,
  type Role,
  recordOf,
} from '@openeye/protocol';
import { CameraAccess } from '../auth/access.js';
import type { AlertPatch } from '../store/alerts.js';
import type { Store } from '../store/index.js';
import { parseEventId } from '../store/index.js';
import { badRequest, DomainError, notFound } from './errors.js';
import type { DomainService } from './service.js';

/** Who acts: a signed-in user (with the cameras they may see), or the server itself (`null`). */
export interface AlertActor {
  id: number;
  username: string;
  role: Role;
  access: CameraAccess;
}

export interface TransitionInput {
  version: number;
  note?: string | undefined;
  /** For `assign`: the user to assign to, null to unassign. */
  user_id?: number | null;
}

export interface TransitionResult {
  alert: Alert;
  /** The stored `alert_update`; null when nothing changed (a repeat). */
  event: AlertUpdateMessage | null;
}

/** The 409 of a lost race or an impossible transition: the body carries the alert as it is now. */
export class AlertConflict extends DomainError {
  constructor(
    message: string,
    readonly alert: Alert,
  ) {
    super('conflict', message, undefined, { alert });
  }
}

const TARGET: Record<Exclude<AlertAction, 'assign'>, AlertState> = {
  acknowledge: 'acknowledged',
  resolve: 'resolved',
  reopen: 'open',
};

export class AlertService {
  constructor(
    private readonly store: Store,
    private readonly domain: DomainService,
  ) {}

  /** An alert id from a URL; 404 for anything that is not one. */
  static parseId(id: string): number {
    const n = parseEventId(id);
    if (n === null) throw notFound('Alert');
    return n;
  }

  async get(id: string, access = CameraAccess.ALL): Promise<AlertWithHistory> {
    const alertId = AlertService.parseId(id);
    const alert = await this.store.alerts.byId(alertId);
    if (!alert || !access.canSee(alert.camera_id)) throw notFound('Alert');
    return { ...alert, history: await this.store.alerts.history(alertId) };
  }

  async list(
    query: { state?: AlertState; camera_id?: number; limit?: number; before?: string },
    access = CameraAccess.ALL,
  ): Promise<{ alerts: Alert[]; next_before: string | null }> {
    const limit = query.limit ?? 50;
    let before: number | undefined;
    if (query.before !== undefined) {
      const parsed = parseEventId(query.before);
      if (parsed === null) throw badRequest('before must be an alert id', 'before');
      before = parsed;
    }
    if (query.camera_id !== undefined && !access.canSee(query.camera_id)) return { alerts: [], next_before: null };
    const page = await this.store.alerts.list({
      ...(query.state ? { state: query.state } : {}),
      ...(query.camera_id !== undefined ? { cameraId: query.camera_id } : {}),
      ...(before !== undefined ? { before } : {}),
      limit: limit + 1,
      cameras: access.cameras,
    });
    const more = page.length > limit;
    const alerts = more ? page.slice(0, limit) : page;
    return { alerts, next_before: more ? alerts.at(-1)!.id : null };
  }

  /**
   * Applies `action` to alert `id` as `actor` (null: the server). Throws 404 (unknown, or about a
   * camera the actor may not see), 403 (producers; assigning someone else without being admin),
   * 400 (note too long, bad assignee) or 409 (`AlertConflict`).
   */
  async transition(
    id: string,
    action: AlertAction,
    input: TransitionInput,
    actor: AlertActor | null,
  ): Promise<TransitionResult> {
    const alertId = AlertService.parseId(id);
    if (actor && actor.role === 'producer') {
      throw new DomainError('forbidden', 'Producers do not act on alerts');
    }
    const note = input.note ?? null;
    if (note !== null && Buffer.byteLength(note) > MAX_ALERT_NOTE_BYTES) {
      throw badRequest(`note is longer than ${MAX_ALERT_NOTE_BYTES} bytes`, 'note');
    }
    const by: Actor = actor ? { id: actor.id, username: actor.username } : null;
    const access = actor?.access ?? CameraAccess.ALL;

    const { result } = await this.domain.writeWithEvents<TransitionResult>(async (tx, now) => {
      const current = await tx.alerts.byId(alertId);
      if (!current || !access.canSee(current.camera_id)) throw notFound('Alert');

      let patch: AlertPatch;
      let assignedTo = current.assigned_to;
      if (action === 'assign') {
        if (input.user_id === undefined) throw badRequest('user_id is required', 'user_id');
        assignedTo = input.user_id;
        await this.checkAssignee(tx, actor, current, assignedTo);
        patch = { assigned_to: assignedTo };
      } else {
        patch = this.patchFor(action, current, by, now, note);
      }
      const unchanged = action === 'assign' ? current.assigned_to === assignedTo : current.state === TARGET[action];

      if (current.version !== input.version) {
        // A retry of what this actor already did is answered as it was; anything else lost a race.
        const last = await tx.alerts.lastTransition(alertId);
        const repeat = unchanged && last?.action === action && (last.by?.id ?? null) === (by?.id ?? null);
        if (repeat) return { result: { alert: current, event: null }, events: [], changed: false };
        throw new AlertConflict(conflictMessage(current, input.version), current);
      }
      if (unchanged) return { result: { alert: current, event: null }, events: [], changed: false };
      if (action === 'acknowledge' && current.state === 'resolved') {
        throw new AlertConflict('The alert is resolved; reopen it first', current);
      }

      const updated = await tx.alerts.update(alertId, current.version, patch, now);
      if (!updated) {
        // Another node changed it between our read and our update.
        const now2 = (await tx.alerts.byId(alertId))!;
        throw new AlertConflict(conflictMessage(now2, input.version), now2);
      }
      const update: Omit<AlertUpdateMessage, 'id' | 'timestamp'> = {
        type: 'alert_update',
        alert_id: updated.id,
        action,
        state: updated.state,
        assigned_to: updated.assigned_to,
        by,
        at: now,
        note,
        version: updated.version,
        ...(updated.camera_id !== null ? { camera_id: updated.camera_id } : {}),
      };
      return {
        result: { alert: updated, event: null },
        events: [recordOf(update)],
        changed: true,
        onStored: async (tx2, stored) => {
          const event = stored[0] as AlertUpdateMessage;
          await tx2.alerts.addTransition({
            alert_id: updated.id,
            event_id: event.id,
            action,
            state: updated.state,
            assigned_to: updated.assigned_to,
            by,
            at: now,
            note,
            version: updated.version,
          });
          return { alert: updated, event };
        },
      };
    });
    return result;
  }

  private patchFor(
    action: Exclude<AlertAction, 'assign'>,
    current: Alert,
    by: Actor,
    now: string,
    note: string | null,
  ): AlertPatch {
    const who = { id: by?.id ?? null, name: by?.username ?? null };
    switch (action) {
      case 'acknowledge':
        return {
          state: 'acknowledged',
          acknowledged_by: who.id,
          acknowledged_by_name: who.name,
          acknowledged_at: now,
          ...(note !== null ? { note } : {}),
        };
      case 'resolve':
        return {
          state: 'resolved',
          resolved_by: who.id,
          resolved_by_name: who.name,
          resolved_at: now,
          note: note ?? current.note,
        };
      case 'reopen':
        return {
          state: 'open',
          acknowledged_by: null,
          acknowledged_by_name: null,
          acknowledged_at: null,
          resolved_by: null,
          resolved_by_name: null,
          resolved_at: null,
          opened_at: now,
          ...(note !== null ? { note } : {}),
        };
    }
  }

  /** Viewers may take an alert themselves (or give it back); assigning anyone else needs admin. */
  private async checkAssignee(
    tx: Parameters<Parameters<DomainService['writeWithEvents']>[0]>[0],
    actor: AlertActor | null,
    current: Alert,
    userId: number | null,
  ): Promise<void> {
    if (actor && actor.role !== 'admin') {
      const self = userId === actor.id || (userId === null && current.assigned_to === actor.id);
      if (!self) throw new DomainError('forbidden', 'Assigning an alert to another user needs the role admin');
    }
    if (userId === null) return;
    const user = await tx.users.byId(userId);
    if (!user || user.disabled) throw new DomainError('not_found', 'User not found', 'user_id');
    if (user.role === 'producer') throw badRequest('Producers do not act on alerts', 'user_id');
    if (!CameraAccess.forUser(user).canSee(current.camera_id)) {
      throw badRequest("The user may not see this alert's camera", 'user_id');
    }
  }
}

function conflictMessage(current: Alert, seen: number): string {
  const who =
    current.state === 'acknowledged' && current.acknowledged_by
      ? ` (acknowledged by ${current.acknowledged_by.username} at ${current.acknowledged_at})`
      : current.state === 'resolved' && current.resolved_by
        ? ` (resolved by ${current.resolved_by.username} at ${current.resolved_at})`
        : '';
  return `The alert changed since version ${seen}: it is ${current.state}, version ${current.version}${who}`;
}
