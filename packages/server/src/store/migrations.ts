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
  };
}

/** Runs every pending migration; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(engine) };
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
  // Keep SQLite's statistics current for the planner after the first migration.
  if (engine === 'sqlite') await sql`PRAGMA optimize`.execute(db);
}
