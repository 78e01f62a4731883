/**
 * Cameras, people, recognitions, camera events and alerts. Every accepted item is stored in one
 * transaction first; only then are its events published on the bus, in id order. Domain code
 * never touches a socket.
 */
import {
  type AlertMessage,
  type AlertType,
  type Camera,
  type CameraEventMessage,
  type CreateAlertRequest,
  type CreateCameraRequest,
  type CreateRecognitionRequest,
  type EventMessage,
  type EventRecord,
  type FrameContentType,
  imageSize,
  type Person,
  type Recognition,
  type Snapshot,
  sniffImage,
  type UpdateCameraRequest,
} from '@openeye/protocol';
import { CameraAccess } from '../auth/access.js';
import type { EventPublisher } from '../cluster/engine.js';
import { resolveSourceUrl } from '../media/source-url.js';
import type { CameraPatch } from '../store/cameras.js';
import type { Receipt, Repositories, Store } from '../store/index.js';
import { checkAlertData, checkData } from './data.js';
import { badRequest, DomainError, duplicate, notFound } from './errors.js';

type NewEvent = EventRecord;

/** Who writes (the cameras they may touch), the image sent with the event, and the bridge receipt. */
export interface WriteOptions {
  access?: CameraAccess;
  /** A JPEG, PNG or WebP stored with the event(s) as their snapshot. */
  image?: Buffer;
  /**
   * Store only if no write with this receipt was stored before: the receipt is written in the same
   * transaction (its `ref` the first event's id), and a second write with it throws a 409
   * `duplicate` DomainError and stores nothing. How a redelivered bridge message stores nothing twice.
   */
  once?: Receipt;
}

interface PendingImage {
  cameraId: number | null;
  image: Buffer;
  type: FrameContentType;
}

/** Stores the image in the write's transaction and returns the snapshot its events carry. */
async function storeImage(tx: Repositories, p: PendingImage, now: string): Promise<Snapshot> {
  const { width, height } = imageSize(p.image, p.type);
  const id = await tx.media.insert({
    camera_id: p.cameraId,
    content_type: p.type,
    bytes: p.image,
    size: p.image.length,
    width: width || null,
    height: height || null,
    created_at: now,
  });
  return {
    url: `/api/media/${id}`,
    content_type: p.type,
    bytes: p.image.length,
    ...(width ? { width } : {}),
    ...(height ? { height } : {}),
  };
}

/** What a write returns: its result, the events it implies, whether the statistics may have changed. */
export interface WriteResult<T> {
  result: T;
  events: NewEvent[];
  changed: boolean;
  /** Runs in the transaction after the events are stored (they have ids); its value replaces `result`. */
  onStored?: (tx: Repositories, stored: EventMessage[]) => Promise<T>;
}

/** A source URL field of a create or update, checked and with a masked password resolved; `{}` when not sent. */
function sourceField<K extends 'snapshot_url' | 'mjpeg_url'>(
  field: K,
  sent: string | null | undefined,
  stored: string | null,
): Partial<Record<K, string | null>> {
  if (sent === undefined) return {};
  return { [field]: resolveSourceUrl(sent, stored, field) } as Partial<Record<K, string | null>>;
}

export class DomainService {
  /** Writes that publish events run one after another, so the bus sees ids in order. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Told of every event this node stored, once its transaction committed (the metrics). */
  onStored: ((events: readonly EventMessage[]) => void) | null = null;
  /** Told of every recognition this node stored (the metrics). */
  onRecognition: ((result: 'known' | 'unknown') => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly bus: EventPublisher,
    private readonly now: () => Date = () => new Date(),
    private readonly options: { maxImageBytes: number } = { maxImageBytes: 2 * 1024 * 1024 },
  ) {}

  // ------------------------------------------------------------------ cameras

  /** The cameras `access` may see. */
  async listCameras(access = CameraAccess.ALL): Promise<Camera[]> {
    const all = await this.store.cameras.list();
    return access.limited ? all.filter((c) => access.canSee(c.id)) : all;
  }

  /** A camera; one `access` may not see is not found (its existence is not told either). */
  async getCamera(id: number, access = CameraAccess.ALL): Promise<Camera> {
    const camera = access.canSee(id) ? await this.store.cameras.byId(id) : null;
    return camera ?? Promise.reject(notFound('Camera'));
  }

  /** Creates a camera; `source` marks one a bridge created (`frigate`). */
  createCamera(input: CreateCameraRequest, source?: string): Promise<Camera> {
    const camera = {
      ...input,
      ...sourceField('snapshot_url', input.snapshot_url, null),
      ...sourceField('mjpeg_url', input.mjpeg_url, null),
      source: source ?? null,
    };
    return this.write(async (tx, now) => ({ result: await tx.cameras.create(camera, now), events: [], changed: true }));
  }

  /**
   * Updates a camera; a change of `active` or `recording` also becomes a camera event. A source URL
   * sent back with the password `***` keeps the stored password (media/source-url.ts).
   */
  updateCamera(id: number, patch: UpdateCameraRequest, access = CameraAccess.ALL): Promise<Camera> {
    if (!access.canSee(id)) return Promise.reject(notFound('Camera'));
    return this.write(async (tx, now) => {
      const before = await tx.cameras.byId(id);
      if (!before) throw notFound('Camera');
      let change: CameraPatch = patch;
      if (patch.snapshot_url !== undefined || patch.mjpeg_url !== undefined) {
        const stored = await tx.cameras.sources(id);
        change = {
          ...patch,
          ...sourceField('snapshot_url', patch.snapshot_url, stored?.snapshot_url ?? null),
          ...sourceField('mjpeg_url', patch.mjpeg_url, stored?.mjpeg_url ?? null),
        };
      }
      // A status report (active, recording) is a sign of life, like an event (camera-offline.ts).
      const status = patch.active !== undefined || patch.recording !== undefined;
      const after = (await tx.cameras.update(id, status ? { ...change, last_seen_at: now } : change))!;
      const events: NewEvent[] = [];
      if (before.active !== after.active) {
        events.push({
          kind: 'camera_event',
          camera_id: id,
          event_type: after.active ? 'camera_online' : 'camera_offline',
          data: { name: after.name },
        });
      }
      if (before.recording !== after.recording) {
        events.push({
          kind: 'camera_event',
          camera_id: id,
          event_type: after.recording ? 'recording_started' : 'recording_stopped',
          data: { name: after.name },
        });
      }
      return { result: after, events, changed: events.length > 0 };
    });
  }

  deleteCamera(id: number): Promise<void> {
    return this.write(async (tx) => {
      if (!(await tx.cameras.delete(id))) throw notFound('Camera');
      return { result: undefined, events: [], changed: true };
    });
  }

  async postCameraEvent(
    cameraId: number,
    eventType: string,
    given: object = {},
    { access = CameraAccess.ALL, image, once }: WriteOptions = {},
  ): Promise<CameraEventMessage> {
    const data = checkData(given);
    if (!access.canSee(cameraId)) throw notFound('Camera');
    const snapshot = this.imageFor(cameraId, image);
    return this.writeWithEvents(
      async (tx, now) => {
        if (!(await tx.cameras.touch(cameraId, now))) throw notFound('Camera');
        const events: NewEvent[] = [{ kind: 'camera_event', camera_id: cameraId, event_type: eventType, data }];
        return { result: null, events, changed: false };
      },
      snapshot,
      once,
    ).then((stored) => stored.events[0] as CameraEventMessage);
  }

  /** A sign of life of a camera that is no event (a frame): only its `last_seen_at` moves. */
  async cameraSeen(id: number): Promise<void> {
    await this.store.cameras.touch(id, this.now().toISOString());
  }

  // ------------------------------------------------------------------ people

  listPeople(): Promise<Person[]> {
    return this.store.people.list();
  }

  createPerson(name: string): Promise<Person> {
    return this.write(async (tx, now) => ({ result: await tx.people.create(name, now), events: [], changed: true }));
  }

  async renamePerson(id: number, name: string): Promise<Person> {
    return (await this.store.people.rename(id, name)) ?? Promise.reject(notFound('Person'));
  }

  deletePerson(id: number): Promise<void> {
    return this.write(async (tx) => {
      if (!(await tx.people.delete(id))) throw notFound('Person');
      return { result: undefined, events: [], changed: true };
    });
  }

  // ------------------------------------------------------------------ recognitions

  /**
   * Stores a recognition. A known face becomes a `face_recognized` camera event; an unknown
   * face an `unknown_face` camera event and a `warning` alert.
   */
  async createRecognition(
    input: CreateRecognitionRequest,
    { access = CameraAccess.ALL, image, once }: WriteOptions = {},
  ): Promise<Recognition> {
    if (!access.canSee(input.camera_id)) throw notFound('Camera');
    const snapshot = this.imageFor(input.camera_id, image);
    const { result, events } = await this.writeWithEvents(
      async (tx, now) => {
        const camera = await tx.cameras.byId(input.camera_id);
        if (!camera) throw notFound('Camera');
        const person = input.person_id === null ? null : await tx.people.byId(input.person_id);
        if (input.person_id !== null && !person) throw notFound('Person');
        const occurred_at = input.occurred_at ? new Date(input.occurred_at).toISOString() : now;
        const row = await tx.recognitions.create({
          camera_id: camera.id,
          person_id: person?.id ?? null,
          unknown: person === null,
          confidence: input.confidence ?? null,
          occurred_at,
        });
        await tx.cameras.touch(camera.id, now);
        const common = { recognition_id: row.id, confidence: row.confidence, occurred_at, camera_name: camera.name };
        const events: NewEvent[] = person
          ? [
              {
                kind: 'camera_event',
                camera_id: camera.id,
                event_type: 'face_recognized',
                data: { ...common, person_id: person.id, person_name: person.name },
              },
            ]
          : [
              { kind: 'camera_event', camera_id: camera.id, event_type: 'unknown_face', data: common },
              {
                kind: 'alert',
                camera_id: camera.id,
                event_type: 'warning',
                data: { message: 'Unknown face detected', camera_id: camera.id, ...common },
              },
            ];
        const { unknown: _unknown, ...recognition } = row;
        return { result: recognition, events, changed: true };
      },
      snapshot,
      once,
    );
    this.onRecognition?.(result.person_id === null ? 'unknown' : 'known');
    const alert = events.find((e): e is AlertMessage => e.type === 'alert');
    return alert ? { ...result, alert } : result;
  }

  // ------------------------------------------------------------------ alerts

  async createAlert(
    input: CreateAlertRequest,
    { access = CameraAccess.ALL, image, once }: WriteOptions = {},
  ): Promise<AlertMessage> {
    const given = input.data ?? {};
    checkAlertData(given);
    // The camera an alert is about: `camera_id`, or `data.camera_id`; when both are given they agree.
    const dataCamera = given.camera_id as number | undefined;
    if (input.camera_id !== undefined && dataCamera !== undefined && dataCamera !== input.camera_id) {
      throw badRequest('data.camera_id differs from camera_id', 'data.camera_id');
    }
    const cameraId = input.camera_id ?? dataCamera;
    const field = input.camera_id !== undefined ? 'camera_id' : 'data.camera_id';
    if (!access.canSee(cameraId)) throw notFound('Camera', field);
    const snapshot = this.imageFor(cameraId ?? null, image);
    return this.writeWithEvents(
      async (tx): Promise<{ result: null; events: NewEvent[]; changed: boolean }> => {
        if (cameraId !== undefined && !(await tx.cameras.byId(cameraId))) {
          throw notFound('Camera', field);
        }
        const data: Record<string, unknown> = { ...given, message: input.message };
        if (cameraId !== undefined) data.camera_id = cameraId;
        return {
          result: null,
          events: [{ kind: 'alert', camera_id: cameraId ?? null, event_type: input.alert_type, data }],
          changed: false,
        };
      },
      snapshot,
      once,
    ).then((stored) => stored.events[0] as AlertMessage);
  }

  /** The admin broadcast: an alert to everyone, kept in the history like any other. */
  broadcast(message: string, alertType: AlertType, from: string): Promise<AlertMessage> {
    return this.writeWithEvents(async () => ({
      result: null,
      events: [{ kind: 'alert', camera_id: null, event_type: alertType, data: { message, broadcast: true, from } }],
      changed: false,
    })).then((stored) => stored.events[0] as AlertMessage);
  }

  // ------------------------------------------------------------------ plumbing

  private async write<T>(fn: (tx: Repositories, now: string) => Promise<WriteResult<T>>): Promise<T> {
    return (await this.writeWithEvents(fn)).result;
  }

  /** Checks an image sent with an event: its type from its bytes (415), its size (413). */
  private imageFor(cameraId: number | null, image: Buffer | undefined): PendingImage | undefined {
    if (!image) return undefined;
    if (image.length > this.options.maxImageBytes) {
      throw new DomainError(
        'payload_too_large',
        `The snapshot may have at most ${this.options.maxImageBytes} bytes`,
        'snapshot',
      );
    }
    const type = sniffImage(image);
    if (!type)
      throw new DomainError('unsupported_media_type', 'The snapshot is not a JPEG, PNG or WebP image', 'snapshot');
    return { cameraId, image, type };
  }

  /**
   * One domain write: `fn` in a transaction, the image (if any, the snapshot of every event of the
   * write) and its events stored in it (every new alert gets its lifecycle state, open), then
   * published in id order. `onStored` runs in the same transaction once the events have their ids.
   * Used by the other domain services (alerts) too.
   */
  writeWithEvents<T>(
    fn: (tx: Repositories, now: string) => Promise<WriteResult<T>>,
    image?: PendingImage,
    once?: Receipt,
  ): Promise<{ result: T; events: EventMessage[] }> {
    const run = async () => {
      const now = this.now().toISOString();
      const { result, stored, changed } = await this.store.transaction(async (tx) => {
        // Checked first (no work for a repeat), claimed last (with the first event's id as its ref).
        if (once && (await tx.receipts.find(once)) !== null) throw duplicate();
        const out = await fn(tx, now);
        const snapshot = image && out.events.length > 0 ? await storeImage(tx, image, now) : null;
        const stored: EventMessage[] = [];
        if (out.events.length > 0) await tx.events.lockForAppend(this.store.engine);
        for (const e of out.events) stored.push(await tx.events.insert({ ...e, snapshot, created_at: now }));
        for (const e of stored) if (e.type === 'alert') await tx.alerts.open(e);
        if (once && !(await tx.receipts.claim(once, stored[0]?.id ?? null, now))) throw duplicate();
        const result = out.onStored ? await out.onStored(tx, stored) : out.result;
        // Alerts and their transitions change the statistics' alert counts.
        const changed = out.changed || stored.some((e) => e.type !== 'camera_event');
        return { result, stored, changed };
      });
      if (stored.length > 0) {
        this.onStored?.(stored);
        this.bus.publish({ kind: 'events', events: stored });
      }
      if (changed) this.bus.publish({ kind: 'changed' });
      return { result, events: stored };
    };
    const next = this.tail.then(run, run);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
