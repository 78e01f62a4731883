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
  /** Live sources as the admin set them, credentials included: never answered as stored (store/cameras.ts). */
  snapshot_url: string | null;
  mjpeg_url: string | null;
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
}
