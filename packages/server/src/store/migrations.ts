/**
 * Schema migrations, in code so they ship inside the package. The same migrations run on SQLite
 * and PostgreSQL; the only dialect difference is how an auto-increment key is spelled.
 */
import { type CreateTableBuilder, type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Engine } from './db.js';

function migrations(engine: Engine): Record<string, Migration> {
  const id = <T extends string>(table: CreateTableBuilder<T>, type: 'integer' | 'bigint' = 'integer') =>
    engine === 'postgres'
      ? table.addColumn('id', type === 'bigint' ? 'bigserial' : 'serial', (c) => c.primaryKey())
      : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    '001_initial': {
      async up(db: Kysely<unknown>) {
        await id(db.schema.createTable('users'))
          .addColumn('username', 'text', (c) => c.notNull().unique())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await id(db.schema.createTable('cameras'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('location', 'text')
          .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('recording', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_seen_at', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await id(db.schema.createTable('people'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await id(db.schema.createTable('recognitions'))
          .addColumn('camera_id', 'integer', (c) => c.notNull().references('cameras.id').onDelete('cascade'))
          .addColumn('person_id', 'integer', (c) => c.references('people.id').onDelete('set null'))
          .addColumn('unknown', 'integer', (c) => c.notNull())
          .addColumn('confidence', 'real')
          .addColumn('occurred_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('recognitions_occurred_at').on('recognitions').column('occurred_at').execute();
        await id(db.schema.createTable('events'), 'bigint')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('camera_id', 'integer')
          .addColumn('event_type', 'text', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('events_created_at').on('events').column('created_at').execute();
        await db.schema
          .createTable('meta')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        for (const t of ['meta', 'events', 'recognitions', 'people', 'cameras', 'users']) {
          await db.schema.dropTable(t).execute();
        }
      },
    },
    '002_token_version': {
      // Bumped by a password change: every token signed with an older version is refused.
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('users')
          .addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.alterTable('users').dropColumn('token_version').execute();
      },
    },
    '003_camera_access_and_api_keys': {
      async up(db: Kysely<unknown>) {
        // The cameras a non-admin may see, as a JSON array of ids; null: every camera.
        await db.schema.alterTable('users').addColumn('camera_ids', 'text').execute();
        await id(db.schema.createTable('api_keys'))
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          /** The public part shown in lists and used to find the key: `oek_<prefix>_…`. */
          .addColumn('prefix', 'text', (c) => c.notNull().unique())
          .addColumn('secret_hash', 'text', (c) => c.notNull())
          .addColumn('camera_ids', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('last_used_at', 'text')
          .addColumn('revoked_at', 'text')
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('api_keys').execute();
        await db.schema.alterTable('users').dropColumn('camera_ids').execute();
      },
    },
    '007_event_media': {
      async up(db: Kysely<unknown>) {
        // Images stored with events (face crops, scenes), served from any node; pruned by age and size.
        await id(db.schema.createTable('media'), 'bigint')
          .addColumn('camera_id', 'integer')
          .addColumn('content_type', 'text', (c) => c.notNull())
          .addColumn('bytes', engine === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
          .addColumn('size', 'integer', (c) => c.notNull())
          .addColumn('width', 'integer')
          .addColumn('height', 'integer')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('media_created_at').on('media').column('created_at').execute();
        // The event's snapshot ({url, content_type, bytes, width, height}) as JSON; null: none.
        await db.schema.alterTable('events').addColumn('snapshot', 'text').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.alterTable('events').dropColumn('snapshot').execute();
        await db.schema.dropTable('media').execute();
      },
    },
    '005_alert_lifecycle': {
      // Alerts people act on (docs/alerts.md): their state, its audit trail, escalation rules,
      // webhooks, the notification outbox and Web Push subscriptions.
      async up(db: Kysely<unknown>) {
        const bigint = engine === 'postgres' ? 'bigint' : 'integer';
        await db.schema.alterTable('cameras').addColumn('offline_grace_seconds', 'integer').execute();
        await db.schema
          .createTable('alert_states')
          /** The alert's event id. */
          .addColumn('alert_id', bigint, (c) => c.primaryKey())
          .addColumn('alert_type', 'text', (c) => c.notNull())
          .addColumn('message', 'text', (c) => c.notNull())
          .addColumn('camera_id', 'integer')
          .addColumn('source', 'text')
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('assigned_to', 'integer')
          .addColumn('acknowledged_by', 'integer')
          .addColumn('acknowledged_by_name', 'text')
          .addColumn('acknowledged_at', 'text')
          .addColumn('resolved_by', 'integer')
          .addColumn('resolved_by_name', 'text')
          .addColumn('resolved_at', 'text')
          .addColumn('note', 'text')
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          /** When it was (re)opened: escalation counts from here. */
          .addColumn('opened_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('alert_states_state').on('alert_states').columns(['state', 'alert_id']).execute();
        await db.schema.createIndex('alert_states_resolved_at').on('alert_states').column('resolved_at').execute();
        await db.schema
          .createIndex('alert_states_source_camera')
          .on('alert_states')
          .columns(['source', 'camera_id', 'state'])
          .execute();
        await id(db.schema.createTable('alert_transitions'))
          .addColumn('alert_id', bigint, (c) => c.notNull())
          .addColumn('event_id', bigint)
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('assigned_to', 'integer')
          .addColumn('by_user', 'integer')
          .addColumn('by_name', 'text')
          .addColumn('note', 'text')
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('alert_transitions_alert').on('alert_transitions').column('alert_id').execute();
        await id(db.schema.createTable('escalation_rules'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('alert_types', 'text')
          .addColumn('camera_ids', 'text')
          .addColumn('after_seconds', 'integer', (c) => c.notNull())
          .addColumn('webhook_ids', 'text', (c) => c.notNull())
          .addColumn('push', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        // One row per (alert, rule, opening): the primary key makes each escalation fire once in a cluster.
        await db.schema
          .createTable('alert_escalations')
          .addColumn('alert_id', bigint, (c) => c.notNull())
          .addColumn('rule_id', 'integer', (c) => c.notNull())
          .addColumn('opened_at', 'text', (c) => c.notNull())
          .addColumn('fired_at', 'text', (c) => c.notNull())
          .addColumn('node', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('alert_escalations_pk', ['alert_id', 'rule_id', 'opened_at'])
          .execute();
        await id(db.schema.createTable('webhooks'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await id(db.schema.createTable('push_subscriptions'))
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('endpoint', 'text', (c) => c.notNull().unique())
          .addColumn('p256dh', 'text', (c) => c.notNull())
          .addColumn('auth', 'text', (c) => c.notNull())
          .addColumn('label', 'text')
          .addColumn('critical', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        // The durable outbox: one row per message to one target; a node claims a row before each attempt.
        await id(db.schema.createTable('notification_outbox'), 'bigint')
          .addColumn('channel', 'text', (c) => c.notNull())
          .addColumn('target_id', 'integer', (c) => c.notNull())
          .addColumn('alert_id', bigint)
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'text')
          .addColumn('claimed_by', 'text')
          .addColumn('claim_until', 'text')
          .addColumn('last_status_code', 'integer')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('delivered_at', 'text')
          .execute();
        await db.schema
          .createIndex('notification_outbox_due')
          .on('notification_outbox')
          .columns(['status', 'next_attempt_at'])
          .execute();
        await db.schema
          .createIndex('notification_outbox_target')
          .on('notification_outbox')
          .columns(['channel', 'target_id', 'id'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        for (const t of [
          'notification_outbox',
          'push_subscriptions',
          'webhooks',
          'alert_escalations',
          'escalation_rules',
          'alert_transitions',
          'alert_states',
        ]) {
          await db.schema.dropTable(t).execute();
        }
        await db.schema.alterTable('cameras').dropColumn('offline_grace_seconds').execute();
      },
    },
    '004_media': {
      // A camera's live sources, pulled while someone watches (media/pull.ts); credentials inside.
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('cameras').addColumn('snapshot_url', 'text').execute();
        await db.schema.alterTable('cameras').addColumn('mjpeg_url', 'text').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.alterTable('cameras').dropColumn('mjpeg_url').execute();
        await db.schema.alterTable('cameras').dropColumn('snapshot_url').execute();
      },
    },
    '006_integrations': {
      async up(db: Kysely<unknown>) {
        // Cameras a bridge created (Frigate): its name; null for cameras created through the API.
        await db.schema.alterTable('cameras').addColumn('source', 'text').execute();
        // What bridges already stored, so a redelivered message stores nothing twice (pruned by age).
        await db.schema
          .createTable('ingest_receipts')
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('item', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('ref', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('ingest_receipts_pk', ['source', 'item', 'kind'])
          .execute();
        await db.schema.createIndex('ingest_receipts_created_at').on('ingest_receipts').column('created_at').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('ingest_receipts').execute();
        await db.schema.alterTable('cameras').dropColumn('source').execute();
      },
    },
  };
}

/** Runs every pending migration; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(engine) };
  // Migrations of parallel work may land out of name order; each is applied once either way.
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
  // Keep SQLite's statistics current for the planner after the first migration.
  if (engine === 'sqlite') await sql`PRAGMA optimize`.execute(db);
}
