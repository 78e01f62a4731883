import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface RecognitionRow {
  id: number;
  camera_id: number;
  person_id: number | null;
  unknown: boolean;
  confidence: number | null;
  occurred_at: string;
}

export class RecognitionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(r: Omit<RecognitionRow, 'id'>): Promise<RecognitionRow> {
    const row = await this.db
      .insertInto('recognitions')
      .values({ ...r, unknown: r.unknown ? 1 : 0 })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ...row, id: Number(row.id), unknown: Boolean(row.unknown) };
  }

  /** Every recognition since `since` (ISO), the unknown faces among them, and the newest known one ever. */
  async countsSince(since: string): Promise<{ total: number; unknown: number; last: string | null }> {
    const today = await this.db
      .selectFrom('recognitions')
      .select((eb) => [
        eb.fn.countAll<string | number>().as('total'),
        eb.fn.sum<string | number | null>('unknown').as('unknown'),
      ])
      .where('occurred_at', '>=', since)
      .executeTakeFirst();
    const last = await this.db
      .selectFrom('recognitions')
      .select((eb) => eb.fn.max('occurred_at').as('last'))
      .where('unknown', '=', 0)
      .executeTakeFirst();
    const total = Number(today?.total ?? 0);
    const unknown = Number(today?.unknown ?? 0);
    return { total, unknown, last: (last?.last as string | null | undefined) ?? null };
  }
}
