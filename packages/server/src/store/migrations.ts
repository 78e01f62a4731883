/**
 * Schema migrations, in code so they ship inside the package. The same migrations run on SQLite
 * and PostgreSQL; the only dialect difference is how an auto-increment key is spelled.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Engine } from './db.js';

function migrations(engine: Engine): Record<string, Migration> {
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  const id = (table: any, type: 'integer' | 'bigint' = 'integer') =>
    engine === 'postgres'
      ? table.addColumn('id', type === 'bigint' ? 'bigserial' : 'serial', (c: any) => c.primaryKey())
      : table.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());

  return {
    '001_initial': {
      // biome-ignore lint/suspicious/noExplicitAny: see above
      async up(db: Kysely<any>) {
        await id(db.schema.createTable('users'))
          .addColumn('username', 'text', (c: any) => c.notNull().unique())
          .addColumn('password_hash', 'text', (c: any) => c.notNull())
          .addColumn('role', 'text', (c: any) => c.notNull())
          .addColumn('disabled', 'integer', (c: any) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c: any) => c.notNull())
          .execute();
        await id(db.schema.createTable('cameras'))
          .addColumn('name', 'text', (c: any) => c.notNull())
          .addColumn('location', 'text')
          .addColumn('active', 'integer', (c: any) => c.notNull().defaultTo(1))
          .addColumn('recording', 'integer', (c: any) => c.notNull().defaultTo(0))
          .addColumn('last_seen_at', 'text')
          .addColumn('created_at', 'text', (c: any) => c.notNull())
          .execute();
        await id(db.schema.createTable('people'))
          .addColumn('name', 'text', (c: any) => c.notNull())
          .addColumn('created_at', 'text', (c: any) => c.notNull())
          .execute();
        await id(db.schema.createTable('recognitions'))
          .addColumn('camera_id', 'integer', (c: any) => c.notNull().references('cameras.id').onDelete('cascade'))
          .addColumn('person_id', 'integer', (c: any) => c.references('people.id').onDelete('set null'))
          .addColumn('unknown', 'integer', (c: any) => c.notNull())
          .addColumn('confidence', 'real')
          .addColumn('occurred_at', 'text', (c: any) => c.notNull())
          .execute();
        await db.schema.createIndex('recognitions_occurred_at').on('recognitions').column('occurred_at').execute();
        await id(db.schema.createTable('events'), 'bigint')
          .addColumn('kind', 'text', (c: any) => c.notNull())
          .addColumn('camera_id', 'integer')
          .addColumn('event_type', 'text', (c: any) => c.notNull())
          .addColumn('data', 'text', (c: any) => c.notNull())
          .addColumn('created_at', 'text', (c: any) => c.notNull())
          .execute();
        await db.schema.createIndex('events_created_at').on('events').column('created_at').execute();
        await db.schema
          .createTable('meta')
          .addColumn('key', 'text', (c: any) => c.primaryKey())
          .addColumn('value', 'text', (c: any) => c.notNull())
          .execute();
      },
      // biome-ignore lint/suspicious/noExplicitAny: see above
      async down(db: Kysely<any>) {
        for (const t of ['meta', 'events', 'recognitions', 'people', 'cameras', 'users']) {
          await db.schema.dropTable(t).execute();
        }
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
