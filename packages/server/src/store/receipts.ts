/**
 * Ingest receipts: what a bridge has already stored, keyed by (source, item, kind). A receipt is
 * written in the same transaction as the data it stands for, so a message redelivered after a crash
 * or a restart finds it and stores nothing twice; and a rolled-back write leaves no receipt.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface Receipt {
  /** The system the item came from: `frigate`, `mqtt`. */
  source: string;
  /** Its id there (a Frigate event or review id, a producer's idempotency key). */
  item: string;
  /** What was made of it: `start`, `end`, `face:<name>`, `alert` … */
  kind: string;
}

export class ReceiptsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The receipt's `ref` (the id of the event it produced, or '' when none), or null when there is no receipt. */
  async find(r: Receipt): Promise<string | null> {
    const row = await this.db
      .selectFrom('ingest_receipts')
      .select('ref')
      .where('source', '=', r.source)
      .where('item', '=', r.item)
      .where('kind', '=', r.kind)
      .executeTakeFirst();
    return row ? (row.ref ?? '') : null;
  }

  /** Writes the receipt; false when it already exists (nothing written). */
  async claim(r: Receipt, ref: string | null, now: string): Promise<boolean> {
    const result = await this.db
      .insertInto('ingest_receipts')
      .values({ source: r.source, item: r.item, kind: r.kind, ref, created_at: now })
      .onConflict((oc) => oc.columns(['source', 'item', 'kind']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** Removes receipts older than `olderThan` (ISO time); returns how many. */
  async prune(olderThan: string): Promise<number> {
    const r = await this.db.deleteFrom('ingest_receipts').where('created_at', '<', olderThan).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
