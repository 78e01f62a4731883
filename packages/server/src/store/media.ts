/** Images stored with events: written in the event's transaction, read by id, pruned by age and size. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface StoredMedia {
  id: number;
  camera_id: number | null;
  content_type: string;
  bytes: Buffer;
  size: number;
  width: number | null;
  height: number | null;
  created_at: string;
}

export class MediaRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(m: Omit<StoredMedia, 'id'>): Promise<number> {
    const r = await this.db.insertInto('media').values(m).returning('id').executeTakeFirstOrThrow();
    return Number(r.id);
  }

  async byId(id: number): Promise<StoredMedia | null> {
    const r = await this.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? { ...r, id: Number(r.id), bytes: Buffer.from(r.bytes) } : null;
  }

  /** Removes media older than `olderThan`, then the oldest until at most `maxBytes` remain. */
  async prune(olderThan: string, maxBytes: number): Promise<number> {
    const byAge = await this.db.deleteFrom('media').where('created_at', '<', olderThan).executeTakeFirst();
    let removed = Number(byAge.numDeletedRows);
    const total = await this.db
      .selectFrom('media')
      .select((eb) => eb.fn.sum<string | number | null>('size').as('total'))
      .executeTakeFirst();
    let excess = Number(total?.total ?? 0) - maxBytes;
    while (excess > 0) {
      const oldest = await this.db.selectFrom('media').select(['id', 'size']).orderBy('id').limit(500).execute();
      if (oldest.length === 0) break;
      const ids: number[] = [];
      for (const row of oldest) {
        if (excess <= 0) break;
        ids.push(Number(row.id));
        excess -= Number(row.size);
      }
      const r = await this.db.deleteFrom('media').where('id', 'in', ids).executeTakeFirst();
      removed += Number(r.numDeletedRows);
    }
    return removed;
  }
}
