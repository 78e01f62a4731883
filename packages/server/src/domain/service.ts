/**
 * Cameras, people, recognitions, camera events and alerts. Every accepted item is stored in one
 * transaction first; only then are its events published on the bus, in id order. Domain code
 * never touches a socket.
 */
import type {
  AlertMessage,
  AlertType,
  Camera,
  CameraEventMessage,
  CreateAlertRequest,
  CreateCameraRequest,
  CreateRecognitionRequest,
  EventMessage,
  EventRecord,
  Person,
  Recognition,
  UpdateCameraRequest,
} from '@openeye/protocol';
import { CameraAccess } from '../auth/access.js';
import type { EventPublisher } from '../cluster/engine.js';
import { resolveSourceUrl } from '../media/source-url.js';
import type { CameraPatch } from '../store/cameras.js';
import type { Repositories, Store } from '../store/index.js';
import { checkAlertData, checkData } from './data.js';
import { badRequest, notFound } from './errors.js';

type NewEvent = EventRecord;

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

  constructor(
    private readonly store: Store,
    private readonly bus: EventPublisher,
    private readonly now: () => Date = () => new Date(),
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

  createCamera(input: CreateCameraRequest): Promise<Camera> {
    const camera = {
      ...input,
      ...sourceField('snapshot_url', input.snapshot_url, null),
      ...sourceField('mjpeg_url', input.mjpeg_url, null),
    };
    return this.write(async (tx, now) => ({ result: await tx.cameras.create(camera, now), events: [], changed: true }));
  }

  /**
   * Updates a camera; a change of `active` or `recording` also becomes a camera event. A source URL
   * sent back with the password `***` keeps the stored password (media/source-url.ts).
   */
  updateCamera(id: number, patch: UpdateCameraRequest, access = CameraAccess.ALL): Promise<Camera> {
    if (!access.canSee(id)) return Promise.reject(notFound('Camera'));
    return this.write(async (tx) => {
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
      const after = (await tx.cameras.update(id, change))!;
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
    access = CameraAccess.ALL,
  ): Promise<CameraEventMessage> {
    const data = checkData(given);
    if (!access.canSee(cameraId)) throw notFound('Camera');
    return this.writeWithEvents(async (tx, now) => {
      if (!(await tx.cameras.update(cameraId, { last_seen_at: now }))) throw notFound('Camera');
      const events: NewEvent[] = [{ kind: 'camera_event', camera_id: cameraId, event_type: eventType, data }];
      return { result: null, events, changed: false };
    }).then((stored) => stored.events[0] as CameraEventMessage);
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
  async createRecognition(input: CreateRecognitionRequest, access = CameraAccess.ALL): Promise<Recognition> {
    if (!access.canSee(input.camera_id)) throw notFound('Camera');
    const { result, events } = await this.writeWithEvents(async (tx, now) => {
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
      await tx.cameras.update(camera.id, { last_seen_at: now });
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
    });
    const alert = events.find((e): e is AlertMessage => e.type === 'alert');
    return alert ? { ...result, alert } : result;
  }

  // ------------------------------------------------------------------ alerts

  async createAlert(input: CreateAlertRequest, access = CameraAccess.ALL): Promise<AlertMessage> {
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
    return this.writeWithEvents(async (tx): Promise<{ result: null; events: NewEvent[]; changed: boolean }> => {
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
    }).then((stored) => stored.events[0] as AlertMessage);
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

  private async write<T>(
    fn: (tx: Repositories, now: string) => Promise<{ result: T; events: NewEvent[]; changed: boolean }>,
  ): Promise<T> {
    return (await this.writeWithEvents(fn)).result;
  }

  private writeWithEvents<T>(
    fn: (tx: Repositories, now: string) => Promise<{ result: T; events: NewEvent[]; changed: boolean }>,
  ): Promise<{ result: T; events: EventMessage[] }> {
    const run = async () => {
      const now = this.now().toISOString();
      const { result, stored, changed } = await this.store.transaction(async (tx) => {
        const out = await fn(tx, now);
        const stored: EventMessage[] = [];
        if (out.events.length > 0) await tx.events.lockForAppend(this.store.engine);
        for (const e of out.events) stored.push(await tx.events.insert({ ...e, created_at: now }));
        return { result: out.result, stored, changed: out.changed };
      });
      if (stored.length > 0) this.bus.publish({ kind: 'events', events: stored });
      if (changed) this.bus.publish({ kind: 'changed' });
      return { result, events: stored };
    };
    const next = this.tail.then(run, run);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
