/**
 * What every side needs to know about events with ids, in one place: which camera an event is
 * about, whether a subscription lets it through, and how it is kept as a history record. The
 * server's index and replay, the client's local filter and polling, and the dashboard all use
 * these, so a new event type changes this package only.
 */
import {
  ALERT_ACTIONS,
  ALERT_STATES,
  ALERT_TYPES,
  type AlertAction,
  type AlertState,
  type AlertType,
  type EventType,
  STORED_EVENT_TYPES,
  type StoredEventType,
} from './constants.js';
import type { Actor, AlertMessage, AlertUpdateMessage, CameraEventMessage, EventMessage, Snapshot } from './schemas.js';

const storedTypes: ReadonlySet<string> = new Set(STORED_EVENT_TYPES);

/** Whether `type` names an event with an id (stored, replayed, camera-filterable). */
export function isStoredEventType(type: string): type is StoredEventType {
  return storedTypes.has(type);
}

/** The camera an event is about: its own `camera_id`, or its data's; undefined when none. */
export function cameraOf(event: EventMessage): number | undefined {
  if ('camera_id' in event && typeof event.camera_id === 'number') return event.camera_id;
  const id = 'data' in event ? (event.data as { camera_id?: unknown }).camera_id : undefined;
  return typeof id === 'number' ? id : undefined;
}

/** A subscription as the filter sees it: types, and the camera filter (null: every camera). */
export interface SubscriptionFilter {
  has(type: EventType): boolean;
  readonly cameraIds: { has(id: number): boolean } | null;
}

/**
 * Whether `filter` lets `event` through: its type is subscribed, and it is about no camera, or the
 * filter takes every camera, or the camera is in the filter. The one rule for live delivery,
 * replay, polling and the dashboard.
 */
export function passes(event: EventMessage, filter: SubscriptionFilter): boolean {
  if (!filter.has(event.type)) return false;
  if (filter.cameraIds === null) return true;
  const cameraId = cameraOf(event);
  return cameraId === undefined || filter.cameraIds.has(cameraId);
}

/** How the server keeps an event in its history (one row per event; `id` is the row id). */
export interface EventRecord {
  kind: StoredEventType;
  /** The camera it is about, for filtering in queries; null when none. */
  camera_id: number | null;
  /** The camera event's `event_type`, the alert's `alert_type`, or the alert update's `action`. */
  event_type: string;
  data: Record<string, unknown>;
  /** The image stored with the event, if any. */
  snapshot?: Snapshot | null;
}

/** The history record of a new event (everything but its id and time). */
export function recordOf(
  event:
    | Omit<CameraEventMessage, 'id' | 'timestamp'>
    | Omit<AlertMessage, 'id' | 'timestamp'>
    | Omit<AlertUpdateMessage, 'id' | 'timestamp'>,
): EventRecord {
  switch (event.type) {
    case 'camera_event':
      return { kind: 'camera_event', camera_id: event.camera_id, event_type: event.event_type, data: event.data };
    case 'alert':
      return {
        kind: 'alert',
        camera_id: event.data.camera_id ?? null,
        event_type: event.alert_type,
        data: event.data,
      };
    case 'alert_update': {
      const { type: _type, camera_id, action, ...data } = event;
      return { kind: 'alert_update', camera_id: camera_id ?? null, event_type: action, data };
    }
  }
}

/**
 * The message a history record was sent as. The record comes from storage the reader did not
 * write: the result always fits the schema (a malformed part is left out), so no read path fails.
 */
export function eventOf(record: EventRecord, id: string, timestamp: string): EventMessage {
  const data = { ...record.data };
  const snapshot = record.snapshot ? { snapshot: record.snapshot } : {};
  switch (record.kind) {
    case 'camera_event':
      return {
        type: 'camera_event',
        id,
        timestamp,
        camera_id: record.camera_id ?? 0,
        event_type: record.event_type,
        data,
        ...snapshot,
      };
    case 'alert': {
      if (typeof data.message !== 'string') data.message = '';
      if (Object.hasOwn(data, 'camera_id') && !isId(data.camera_id)) delete data.camera_id;
      const alertType = (ALERT_TYPES as readonly string[]).includes(record.event_type)
        ? (record.event_type as AlertType)
        : 'info';
      return { type: 'alert', id, timestamp, alert_type: alertType, data: data as AlertMessage['data'], ...snapshot };
    }
    case 'alert_update': {
      const message: AlertUpdateMessage = {
        type: 'alert_update',
        id,
        timestamp,
        alert_id: typeof data.alert_id === 'string' ? data.alert_id : '0',
        action: oneOf(ALERT_ACTIONS, record.event_type, 'acknowledge' as AlertAction),
        state: oneOf(ALERT_STATES, data.state, 'open' as AlertState),
        assigned_to: isId(data.assigned_to) ? (data.assigned_to as number) : null,
        by: actorOf(data.by),
        at: typeof data.at === 'string' ? data.at : timestamp,
        note: typeof data.note === 'string' ? data.note : null,
        version: isId(data.version) ? (data.version as number) : 1,
      };
      if (record.camera_id !== null) message.camera_id = record.camera_id;
      return message;
    }
  }
}

function oneOf<T extends string>(values: readonly T[], value: unknown, fallback: T): T {
  return (values as readonly unknown[]).includes(value) ? (value as T) : fallback;
}

function actorOf(v: unknown): Actor {
  if (typeof v !== 'object' || v === null) return null;
  const { id, username } = v as { id?: unknown; username?: unknown };
  return isId(id) && typeof username === 'string' ? { id: id as number, username } : null;
}

const isId = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1;
