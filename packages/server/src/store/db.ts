/** Opens the store: SQLite (embedded default, WAL) or PostgreSQL from DATABASE_URL. */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

export interface OpenedDb {
  db: Kysely<Database>;
  engine: Engine;
  /** Where the data lives, for log lines (no password). */
  location: string;
}

// PostgreSQL returns BIGINT (event ids, counts) as strings; keep them as strings and convert at the edges.
export async function openDatabase(options: { databaseUrl: string | null; dataDir: string }): Promise<OpenedDb> {
  if (options.databaseUrl) {
    // Loaded only for PostgreSQL: a SQLite server does not carry the driver (idle memory).
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10, connectionTimeoutMillis: 5000 });
    pool.on('error', () => {
      // An idle client lost its connection; the pool replaces it. Queries report their own errors.
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    await migrateToLatest(db as Kysely<unknown>, 'postgres');
    const url = new URL(options.databaseUrl);
    return { db, engine: 'postgres', location: `postgres://${url.host}${url.pathname}` };
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, 'openeye.db');
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Kysely prepares every query anew; the same SQL text reuses its compiled statement instead.
  const statements = new Map<string, SQLite.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((source: string) => {
    let statement = statements.get(source);
    if (!statement) {
      if (statements.size >= 1000) statements.clear();
      statement = prepare(source);
      statements.set(source, statement);
    }
    return statement;
  }) as typeof sqlite.prepare;
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrateToLatest(db as Kysely<unknown>, 'sqlite');
  return { db, engine: 'sqlite', location: file };
}
