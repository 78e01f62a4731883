import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { touchCameraQuery } from './cameras.js';
import { insertEventQuery } from './events.js';
import { Store } from './index.js';
import { PreparedQuery } from './prepared.js';
import type { Database } from './schema.js';
import { userByIdQuery } from './users.js';

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-prepared-'));
  store = await Store.open({ databaseUrl: null, dataDir: dir });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const byName = new PreparedQuery(2, (db, name: string, location: string) =>
  db.selectFrom('cameras').select(['id', 'name']).where('name', '=', name).where('location', '<>', location).limit(5),
);
const rename = new PreparedQuery(2, (db, id: number, name: string) =>
  db.updateTable('cameras').set({ name }).where('id', '=', id),
);

describe('PreparedQuery', () => {
  it('runs with each call its own values, constants of the builder kept, on the store and in a transaction', async () => {
    const now = new Date().toISOString();
    const a = await store.cameras.create({ name: 'Door', location: 'Hall' }, now);
    const b = await store.cameras.create({ name: 'Yard', location: 'Out' }, now);
    expect(await byName.execute(store.db, 'Door', 'Out')).toEqual([{ id: a.id, name: 'Door' }]);
    expect(await byName.execute(store.db, 'Yard', 'Hall')).toEqual([{ id: b.id, name: 'Yard' }]);
    expect(await byName.execute(store.db, 'Yard', 'Out')).toEqual([]);
    expect(await rename.affected(store.db, a.id, 'Gate')).toBe(1);
    expect(await rename.affected(store.db, 999_999, 'Gate')).toBe(0);
    await store.transaction(async (tx) => {
      expect(await rename.affected(tx.db, b.id, 'Garden')).toBe(1);
      expect(await byName.execute(tx.db, 'Garden', 'Hall')).toEqual([{ id: b.id, name: 'Garden' }]);
    });
    expect((await store.cameras.list()).map((c) => c.name)).toEqual(['Gate', 'Garden']);
  });

  it("compiles the event path's queries to the SQL and parameters Kysely's builder gives, per dialect", () => {
    const pg = new Kysely<Database>({ dialect: new PostgresDialect({ pool: {} as never }) });
    const at = '2026-12-02T00:00:00.000Z';
    for (const db of [store.db, pg]) {
      const same = (got: CompiledQuery, direct: CompiledQuery) => {
        expect(got.sql).toBe(direct.sql);
        expect(got.parameters).toEqual(direct.parameters);
      };
      same(userByIdQuery.compile(db, 7), db.selectFrom('users').selectAll().where('id', '=', 7).compile());
      same(
        touchCameraQuery.compile(db, 3, at),
        db.updateTable('cameras').set({ last_seen_at: at }).where('id', '=', 3).compile(),
      );
      for (const [camera_id, snapshot] of [
        [3, '{"url":"/api/media/1"}'],
        [null, null],
      ] as const) {
        same(
          insertEventQuery.compile(db, 'camera_event', camera_id, 'motion', '{"a":1}', snapshot, at),
          db
            .insertInto('events')
            .values({
              kind: 'camera_event',
              camera_id,
              event_type: 'motion',
              data: '{"a":1}',
              snapshot,
              created_at: at,
            })
            .returningAll()
            .compile(),
        );
      }
      same(
        byName.compile(db, 'Yard', 'Out'),
        db
          .selectFrom('cameras')
          .select(['id', 'name'])
          .where('name', '=', 'Yard')
          .where('location', '<>', 'Out')
          .limit(5)
          .compile(),
      );
    }
  });

  it('refuses a builder that does not use every argument as a value', async () => {
    const unused = new PreparedQuery(2, (db, id: number, _name: string) =>
      db.selectFrom('cameras').selectAll().where('id', '=', id),
    );
    await expect(unused.execute(store.db, 1, 'x')).rejects.toThrow(/argument 1 is not a parameter/);
  });
});
