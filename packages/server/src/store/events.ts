/**
 * The durable event history (protocol.md section 5). The row id is the event id; on the wire it is
 * its decimal string. The history floor is the highest id ever pruned: a resume from an id below it
 * cannot be complete.
 */
import {
  type EventMessage,
  type EventRecord,
  eventOf,
  jsonDepthExceeds,
  MAX_BODY_DEPTH,
  type Snapshot,
  STORED_EVENT_TYPES,
  type StoredEventType,
} from '@openeye/protocol';
import { type Kysely, sql } from 'kysely';
import { PreparedQuery } from './prepared.js';
import type { Database, EventsTable } from './schema.js';

export type EventKind = StoredEventType;

type Row = Omit<EventsTable, 'id'> & { id: number | string };

/** Which events a query reads; every part given narrows it (AND), except as said. */
export interface EventFilter {
  /** Of these kinds only. */
  kinds?: readonly EventKind[];
  /** The cameras the reader may see: events about one of them or about no camera; null: every camera. */
  cameras?: ReadonlySet<number> | null;
  /** Asked for: events about one of these cameras (events about no camera are left out). */
  cameraIds?: readonly number[];
  /**
   * Camera events of these types, and alerts of these severities. Given one, events of the other
   * kinds are left out; given both, either matches.
   */
  eventTypes?: readonly string[];
  alertTypes?: readonly string[];
  /** ISO times (as toISOString writes them): created at or after `since`, before `until`. */
  since?: string;
  until?: string;
  /** Events whose data names this person (`person_id`). */
  personId?: number;
}

/** A stored row as the message it was sent as; never throws (see eventOf). */
export function toMessage(r: Row): EventMessage {
  return eventOf(
    {
      kind: r.kind,
      camera_id: r.camera_id === null ? null : Number(r.camera_id),
      event_type: r.event_type,
      data: readData(r.data),
      snapshot: readSnapshot(r.snapshot),
    },
    String(r.id),
    r.created_at,
  );
}

function readSnapshot(text: string | null | undefined): Snapshot | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<Snapshot>;
    return typeof v.url === 'string' && typeof v.bytes === 'number' && typeof v.content_type === 'string'
      ? (v as Snapshot)
      : null;
  } catch {
    return null;
  }
}

function readData(text: string): Record<string, unknown> {
  // Deeper than any producer may send (MAX_DATA_DEPTH): serializing it could overflow the stack.
  if (jsonDepthExceeds(text, MAX_BODY_DEPTH)) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Parses a client-supplied event id; null for anything that is not one of ours. */
export function parseEventId(id: string): number | null {
  if (!/^[0-9]{1,15}$/.test(id)) return null;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : null;
}

/** The insert of every stored event (prepared: compiled once, store/prepared.ts). */
export const insertEventQuery = new PreparedQuery(
  6,
  (
    db,
    kind: EventsTable['kind'],
    camera_id: number | null,
    event_type: string,
    data: string,
    snapshot: string | null,
    created_at: string,
  ) => db.insertInto('events').values({ kind, camera_id, event_type, data, snapshot, created_at }).returningAll(),
);

export class EventsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * On PostgreSQL, serializes appends across every node until the transaction ends, so ids are
   * committed in id order and the history is always a gap-free prefix (realtime/sequencer.ts).
   */
  async lockForAppend(engine: 'sqlite' | 'postgres'): Promise<void> {
    if (engine === 'postgres') await sql`select pg_advisory_xact_lock(7263117)`.execute(this.db);
  }

  async insert(e: EventRecord & { created_at: string }): Promise<EventMessage> {
    const [row] = await insertEventQuery.execute(
      this.db,
      e.kind,
      e.camera_id ?? null,
      e.event_type,
      JSON.stringify(e.data),
      e.snapshot ? JSON.stringify(e.snapshot) : null,
      e.created_at,
    );
    if (!row) throw new Error('events: the insert returned no row');
    return toMessage(row);
  }

  /** Events with id > after, oldest first, that pass `filter`. */
  async after(after: number, limit: number, filter: EventFilter = {}): Promise<EventMessage[]> {
    const q = this.filtered(filter).where('id', '>', after);
    return (await q.orderBy('id', 'asc').limit(limit).execute()).map(toMessage);
  }

  /** The newest `limit` events (with an id below `before`, when given) that pass `filter`, oldest first. */
  async newest(limit: number, filter: EventFilter = {}, before?: number): Promise<EventMessage[]> {
    let q = this.filtered(filter);
    if (before !== undefined) q = q.where('id', '<', before);
    return (await q.orderBy('id', 'desc').limit(limit).execute()).map(toMessage).reverse();
  }

  /** One event, if it is still in the history and passes `filter` (e.g. the cameras a user may see). */
  async byId(id: number, filter: EventFilter = {}): Promise<EventMessage | null> {
    const row = await this.filtered(filter).where('id', '=', id).executeTakeFirst();
    return row ? toMessage(row) : null;
  }

  private filtered(filter: EventFilter) {
    const { kinds, cameras } = filter;
    let q = this.db.selectFrom('events').selectAll();
    if (kinds && kinds.length < STORED_EVENT_TYPES.length) {
      q = q.where('kind', 'in', kinds.length ? kinds : ['none' as EventKind]);
    }
    if (cameras) {
      const ids = [...cameras];
      q = q.where((eb) =>
        ids.length ? eb.or([eb('camera_id', 'is', null), eb('camera_id', 'in', ids)]) : eb('camera_id', 'is', null),
      );
    }
    if (filter.cameraIds) q = q.where('camera_id', 'in', filter.cameraIds.length ? filter.cameraIds : [0]);
    const { eventTypes, alertTypes } = filter;
    if (eventTypes || alertTypes) {
      q = q.where((eb) =>
        eb.or([
          ...(eventTypes
            ? [eb.and([eb('kind', '=', 'camera_event'), eb('event_type', 'in', [...eventTypes, ''])])]
            : []),
          ...(alertTypes ? [eb.and([eb('kind', '=', 'alert'), eb('event_type', 'in', [...alertTypes, ''])])] : []),
        ]),
      );
    }
    // Times are stored as toISOString() text: string order is time order.
    if (filter.since !== undefined) q = q.where('created_at', '>=', filter.since);
    if (filter.until !== undefined) q = q.where('created_at', '<', filter.until);
    if (filter.personId !== undefined) {
      // The data is stored as JSON.stringify wrote it (no spaces): the person's id is followed by
      // `,` or `}`. LIKE works alike on both engines and never fails on a malformed row.
      const key = `%"person\\_id":${filter.personId}`;
      q = q.where((eb) =>
        eb.or([
          sql<boolean>`${eb.ref('data')} like ${`${key},%`} escape '\\'`,
          sql<boolean>`${eb.ref('data')} like ${`${key}}%`} escape '\\'`,
        ]),
      );
    }
    return q;
  }

  async newestId(): Promise<number | null> {
    const r = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    return r?.id == null ? null : Number(r.id);
  }

  /** How many events of `kind` were stored at or after `since` (ISO time). */
  async countSince(kind: EventKind, since: string): Promise<number> {
    const r = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('kind', '=', kind)
      .where('created_at', '>=', since)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async historyFloor(): Promise<number> {
    const r = await this.db.selectFrom('meta').select('value').where('key', '=', 'history_floor').executeTakeFirst();
    return r ? Number(r.value) : 0;
  }

  /** Keeps the newest `maxEvents` and those younger than `maxAgeDays`; returns how many were removed. */
  async prune(maxEvents: number, olderThan: string): Promise<number> {
    const byCount = await this.db
      .selectFrom('events')
      .select('id')
      .orderBy('id', 'desc')
      .offset(maxEvents)
      .limit(1)
      .executeTakeFirst();
    const byAge = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('id').as('id'))
      .where('created_at', '<', olderThan)
      .executeTakeFirst();
    const cut = Math.max(byCount ? Number(byCount.id) : 0, byAge?.id == null ? 0 : Number(byAge.id));
    if (cut === 0) return 0;
    return this.db.transaction().execute(async (tx) => {
      const r = await tx.deleteFrom('events').where('id', '<=', cut).executeTakeFirst();
      const floor = String(cut);
      await tx
        .insertInto('meta')
        .values({ key: 'history_floor', value: floor })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: floor }))
        .execute();
      return Number(r.numDeletedRows);
    });
  }
}
