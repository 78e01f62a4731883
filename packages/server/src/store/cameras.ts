import type { Camera } from '@openeye/protocol';
import type { Kysely, Selectable, Updateable } from 'kysely';
import { maskSourceUrl } from '../media/source-url.js';
import { PreparedQuery } from './prepared.js';
import type { CamerasTable, Database } from './schema.js';

type Row = Selectable<CamerasTable>;

/** A camera as every reader gets it: source URLs with their password masked. */
const toCamera = (r: Row): Camera => ({
  id: Number(r.id),
  name: r.name,
  location: r.location,
  active: Boolean(r.active),
  recording: Boolean(r.recording),
  last_seen_at: r.last_seen_at,
  created_at: r.created_at,
  offline_grace_seconds: r.offline_grace_seconds ?? null,
  snapshot_url: maskSourceUrl(r.snapshot_url),
  mjpeg_url: maskSourceUrl(r.mjpeg_url),
  ...(r.source ? { source: r.source } : {}),
});

/** A camera's live sources as stored, credentials included: for the puller and for updates only. */
export interface CameraSources {
  id: number;
  name: string;
  active: boolean;
  snapshot_url: string | null;
  mjpeg_url: string | null;
}

export interface CameraPatch {
  name?: string;
  location?: string | null;
  active?: boolean;
  recording?: boolean;
  last_seen_at?: string;
  /** Stored as given: the caller resolved a masked password (media/source-url.ts). */
  snapshot_url?: string | null;
  mjpeg_url?: string | null;
  offline_grace_seconds?: number | null;
}

export interface NewCamera {
  name: string;
  location?: string | null;
  active?: boolean;
  recording?: boolean;
  snapshot_url?: string | null;
  mjpeg_url?: string | null;
  offline_grace_seconds?: number | null;
  /** The bridge that created the camera (`frigate`); unset for cameras created through the API. */
  source?: string | null;
}

/** A sign of life (prepared: compiled once, store/prepared.ts). */
export const touchCameraQuery = new PreparedQuery(2, (db, id: number, at: string) =>
  db.updateTable('cameras').set({ last_seen_at: at }).where('id', '=', id),
);

export class CamerasRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<Camera[]> {
    return (await this.db.selectFrom('cameras').selectAll().orderBy('id').execute()).map(toCamera);
  }

  async byId(id: number): Promise<Camera | null> {
    const r = await this.db.selectFrom('cameras').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toCamera(r) : null;
  }

  /** The stored source URLs (with their credentials); null when the camera does not exist. */
  async sources(id: number): Promise<CameraSources | null> {
    const r = await this.db
      .selectFrom('cameras')
      .select(['id', 'name', 'active', 'snapshot_url', 'mjpeg_url'])
      .where('id', '=', id)
      .executeTakeFirst();
    return r
      ? {
          id: Number(r.id),
          name: r.name,
          active: Boolean(r.active),
          snapshot_url: r.snapshot_url,
          mjpeg_url: r.mjpeg_url,
        }
      : null;
  }

  async create(c: NewCamera, now: string) {
    const r = await this.db
      .insertInto('cameras')
      .values({
        name: c.name,
        location: c.location ?? null,
        active: c.active === false ? 0 : 1,
        recording: c.recording ? 1 : 0,
        last_seen_at: null,
        created_at: now,
        offline_grace_seconds: c.offline_grace_seconds ?? null,
        snapshot_url: c.snapshot_url ?? null,
        mjpeg_url: c.mjpeg_url ?? null,
        ...(c.source ? { source: c.source } : {}),
        ...(c.source ? { source: c.source } : {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toCamera(r);
  }

  async update(id: number, patch: CameraPatch): Promise<Camera | null> {
    const values: Updateable<CamerasTable> = {};
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.location !== undefined) values.location = patch.location;
    if (patch.active !== undefined) values.active = patch.active ? 1 : 0;
    if (patch.recording !== undefined) values.recording = patch.recording ? 1 : 0;
    if (patch.last_seen_at !== undefined) values.last_seen_at = patch.last_seen_at;
    if (patch.offline_grace_seconds !== undefined) values.offline_grace_seconds = patch.offline_grace_seconds;
    if (patch.snapshot_url !== undefined) values.snapshot_url = patch.snapshot_url;
    if (patch.mjpeg_url !== undefined) values.mjpeg_url = patch.mjpeg_url;
    if (Object.keys(values).length === 0) return this.byId(id);
    const r = await this.db.updateTable('cameras').set(values).where('id', '=', id).returningAll().executeTakeFirst();
    return r ? toCamera(r) : null;
  }

  /**
   * A sign of life (every camera event, every frame): sets `last_seen_at` only, and reads nothing
   * back. False when there is no such camera.
   */
  async touch(id: number, at: string): Promise<boolean> {
    return (await touchCameraQuery.affected(this.db, id, at)) > 0;
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('cameras').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async counts(): Promise<{ total: number; active: number; recording: number }> {
    const r = await this.db
      .selectFrom('cameras')
      .select((eb) => [
        eb.fn.countAll<string | number>().as('total'),
        eb.fn.sum<string | number | null>('active').as('active'),
        eb.fn.sum<string | number | null>('recording').as('recording'),
      ])
      .executeTakeFirst();
    return { total: Number(r?.total ?? 0), active: Number(r?.active ?? 0), recording: Number(r?.recording ?? 0) };
  }
}
