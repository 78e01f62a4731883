/** Row types of the tables, as Kysely sees them. Times are ISO 8601 UTC strings; booleans are 0/1. */
import type { StoredEventType } from '@openeye/protocol';
import type { Generated } from 'kysely';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  role: 'admin' | 'viewer' | 'producer';
  disabled: number;
  created_at: string;
  /** Bumped by every password change; tokens carry the version they were signed with (`tv`). */
  token_version: Generated<number>;
  /** JSON array of the camera ids a non-admin may see; null: every camera. */
  camera_ids: string | null;
}

export interface ApiKeysTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  prefix: string;
  secret_hash: string;
  camera_ids: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CamerasTable {
  id: Generated<number>;
  name: string;
  location: string | null;
  active: number;
  recording: number;
  last_seen_at: string | null;
  created_at: string;
  offline_grace_seconds: number | null;
  /** Live sources as the admin set them, credentials included: never answered as stored (store/cameras.ts). */
  snapshot_url: string | null;
  mjpeg_url: string | null;
  /** The bridge that created the camera (`frigate`), or null. */
  source: Generated<string | null>;
}

export interface PeopleTable {
  id: Generated<number>;
  name: string;
  created_at: string;
}

export interface RecognitionsTable {
  id: Generated<number>;
  camera_id: number;
  person_id: number | null;
  unknown: number;
  confidence: number | null;
  occurred_at: string;
}

export interface EventsTable {
  /** The event id of protocol.md section 5 (as a decimal string on the wire). */
  id: Generated<number | string>;
  kind: StoredEventType;
  camera_id: number | null;
  /** The camera event's `event_type`, or the alert's `alert_type`. */
  event_type: string;
  data: string;
  created_at: string;
  /** JSON of the event's Snapshot, or null. */
  snapshot: string | null;
}

export interface MediaTable {
  id: Generated<number | string>;
  camera_id: number | null;
  content_type: string;
  bytes: Buffer | Uint8Array;
  size: number;
  width: number | null;
  height: number | null;
  created_at: string;
}

export interface AlertStatesTable {
  alert_id: number | string;
  alert_type: string;
  message: string;
  camera_id: number | null;
  source: string | null;
  data: string;
  state: 'open' | 'acknowledged' | 'resolved';
  assigned_to: number | null;
  acknowledged_by: number | null;
  acknowledged_by_name: string | null;
  acknowledged_at: string | null;
  resolved_by: number | null;
  resolved_by_name: string | null;
  resolved_at: string | null;
  note: string | null;
  version: number;
  created_at: string;
  opened_at: string;
  updated_at: string;
}

export interface AlertTransitionsTable {
  id: Generated<number>;
  alert_id: number | string;
  event_id: number | string | null;
  action: string;
  state: string;
  assigned_to: number | null;
  by_user: number | null;
  by_name: string | null;
  note: string | null;
  version: number;
  at: string;
}

export interface EscalationRulesTable {
  id: Generated<number>;
  name: string;
  alert_types: string | null;
  camera_ids: string | null;
  after_seconds: number;
  webhook_ids: string;
  push: number;
  enabled: number;
  created_at: string;
}

export interface AlertEscalationsTable {
  alert_id: number | string;
  rule_id: number;
  opened_at: string;
  fired_at: string;
  node: string;
}

export interface WebhooksTable {
  id: Generated<number>;
  name: string;
  url: string;
  secret: string;
  enabled: number;
  created_at: string;
}

export interface PushSubscriptionsTable {
  id: Generated<number>;
  user_id: number;
  endpoint: string;
  p256dh: string;
  auth: string;
  label: string | null;
  critical: number;
  created_at: string;
}

export interface NotificationOutboxTable {
  id: Generated<number | string>;
  channel: 'webhook' | 'push';
  target_id: number;
  alert_id: number | string | null;
  payload: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  next_attempt_at: string | null;
  claimed_by: string | null;
  claim_until: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

/**
 * Items a bridge has already turned into stored data, so that a redelivered message stores nothing
 * twice: (source, item, kind), e.g. ('frigate', '<event id>', 'face:maria'). `ref` is the id of the
 * event it produced, when one did (a Frigate review's alert, for later updates).
 */
export interface IngestReceiptsTable {
  source: string;
  item: string;
  kind: string;
  ref: string | null;
  created_at: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  users: UsersTable;
  cameras: CamerasTable;
  people: PeopleTable;
  recognitions: RecognitionsTable;
  events: EventsTable;
  meta: MetaTable;
  api_keys: ApiKeysTable;
  media: MediaTable;
  alert_states: AlertStatesTable;
  alert_transitions: AlertTransitionsTable;
  escalation_rules: EscalationRulesTable;
  alert_escalations: AlertEscalationsTable;
  webhooks: WebhooksTable;
  push_subscriptions: PushSubscriptionsTable;
  notification_outbox: NotificationOutboxTable;
  ingest_receipts: IngestReceiptsTable;
}
