import type { Kysely } from 'kysely';
import type { ApiKeysTable, Database } from './schema.js';
import { IN_CHUNK, readIds, writeIds } from './users.js';

export interface ApiKeyRecord {
  id: number;
  user_id: number;
  name: string;
  prefix: string;
  secret_hash: string;
  camera_ids: number[] | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

type Row = Omit<ApiKeysTable, 'id'> & { id: number };

const toRecord = (r: Row): ApiKeyRecord => ({
  id: Number(r.id),
  user_id: Number(r.user_id),
  name: r.name,
  prefix: r.prefix,
  secret_hash: r.secret_hash,
  camera_ids: readIds(r.camera_ids),
  created_at: r.created_at,
  last_used_at: r.last_used_at,
  revoked_at: r.revoked_at,
});

export class ApiKeysRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(k: Omit<ApiKeyRecord, 'id' | 'last_used_at' | 'revoked_at'>): Promise<ApiKeyRecord> {
    const r = await this.db
      .insertInto('api_keys')
      .values({ ...k, camera_ids: writeIds(k.camera_ids), last_used_at: null, revoked_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(r);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.db.selectFrom('api_keys').selectAll().orderBy('id').execute()).map(toRecord);
  }

  async byId(id: number): Promise<ApiKeyRecord | null> {
    const r = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  async byPrefix(prefix: string): Promise<ApiKeyRecord | null> {
    const r = await this.db.selectFrom('api_keys').selectAll().where('prefix', '=', prefix).executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  async revoke(id: number, now: string): Promise<ApiKeyRecord | null> {
    const r = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return r ? toRecord(r) : this.byId(id);
  }

  /** Which of `ids` are revoked or gone. */
  async revokedAmong(ids: readonly number[]): Promise<number[]> {
    const live = new Set<number>();
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const rows = await this.db
        .selectFrom('api_keys')
        .select('id')
        .where('id', 'in', ids.slice(i, i + IN_CHUNK))
        .where('revoked_at', 'is', null)
        .execute();
      for (const r of rows) live.add(Number(r.id));
    }
    return ids.filter((id) => !live.has(id));
  }

  async touch(id: number, now: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
  }
}
