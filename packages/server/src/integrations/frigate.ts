/**
 * Frigate's MQTT messages as OpenEye writes: pure functions, no I/O (tested with the fixtures in
 * test/fixtures/frigate/). The shapes are Frigate's current code (docs/integrations.md has the
 * table and the sources); parsing is tolerant of extra keys and of older versions (`sub_label` as a
 * plain string), strict about what we store (a camera name, a score in 0..1, bounded lists).
 *
 * Every action carries its receipt (`once`): Frigate's id plus what was made of it, so that the
 * same object updated many times, or a message redelivered after a restart, stores nothing twice.
 */
import { jsonDepthExceeds } from '@openeye/protocol';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { splitCredentials } from '../media/source-url.js';
import type { Receipt } from '../store/index.js';

export const FRIGATE = 'frigate';

/** A payload larger than this is refused unparsed (Frigate's events are a few KB). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
const MAX_DEPTH = 32;

/**
 * Attribute labels Frigate puts in `sub_label` too (delivery logos, F:frigate/config): never a
 * person's name.
 */
const ATTRIBUTE_LABELS = new Set([
  'face',
  'license_plate',
  'amazon',
  'an_post',
  'dhl',
  'dpd',
  'fedex',
  'gls',
  'nzpost',
  'postnl',
  'postnord',
  'purolator',
  'ups',
  'usps',
]);

// ------------------------------------------------------------------ shapes (extra keys allowed)

const CameraName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });
const FrigateId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' });
const Name = Type.String({ minLength: 1, maxLength: 128 });
const Score = Type.Number({ minimum: 0, maximum: 1 });
const Epoch = Type.Number({ minimum: 0, maximum: 32_503_680_000 });
const Names = Type.Array(Type.String({ maxLength: 128 }), { maxItems: 64 });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const TrackedObject = Type.Object({
  id: FrigateId,
  camera: CameraName,
  label: Type.String({ minLength: 1, maxLength: 64 }),
  sub_label: Type.Optional(
    Type.Union([
      Type.Null(),
      Type.String({ maxLength: 128 }),
      Type.Tuple([Nullable(Type.String({ maxLength: 128 })), Nullable(Type.Number())]),
    ]),
  ),
  top_score: Type.Optional(Nullable(Score)),
  score: Type.Optional(Nullable(Score)),
  current_zones: Type.Optional(Names),
  entered_zones: Type.Optional(Names),
  has_snapshot: Type.Optional(Type.Boolean()),
  start_time: Epoch,
  end_time: Type.Optional(Nullable(Epoch)),
  frame_time: Type.Optional(Epoch),
  recognized_license_plate: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
});

const EventsMessage = Type.Object({
  type: Type.String({ maxLength: 32 }),
  after: TrackedObject,
});

const FaceUpdate = Type.Object({
  type: Type.Literal('face'),
  id: FrigateId,
  name: Nullable(Name),
  score: Type.Optional(Nullable(Score)),
  camera: CameraName,
  timestamp: Type.Optional(Epoch),
});

const TypedMessage = Type.Object({ type: Type.String({ maxLength: 32 }) });

const Review = Type.Object({
  id: FrigateId,
  camera: CameraName,
  start_time: Epoch,
  end_time: Type.Optional(Nullable(Epoch)),
  severity: Type.String({ maxLength: 32 }),
  thumb_path: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
  data: Type.Object({
    detections: Type.Optional(Type.Array(FrigateId, { maxItems: 256 })),
    objects: Type.Optional(Names),
    sub_labels: Type.Optional(Names),
    zones: Type.Optional(Names),
  }),
});

const ReviewsMessage = Type.Object({ type: Type.String({ maxLength: 32 }), after: Review });

function compile() {
  return {
    events: TypeCompiler.Compile(EventsMessage),
    typed: TypeCompiler.Compile(TypedMessage),
    face: TypeCompiler.Compile(FaceUpdate),
    reviews: TypeCompiler.Compile(ReviewsMessage),
    camera: TypeCompiler.Compile(CameraName),
  };
}
let compiled: ReturnType<typeof compile> | null = null;
/** The checkers, compiled on first use (not when the server merely imports the module). */
const checks = () => (compiled ??= compile());

export type TrackedObject = Static<typeof TrackedObject>;
export type FaceUpdate = Static<typeof FaceUpdate>;
export type Review = Static<typeof Review>;

// ------------------------------------------------------------------ actions

interface Base {
  /** Frigate's camera name; the camera is created on first sight. */
  camera: string;
  once: Receipt;
}

export type FrigateAction =
  | (Base & { kind: 'camera_event'; eventType: string; data: Record<string, unknown> })
  | (Base & { kind: 'recognition'; name: string | null; confidence: number | null; occurredAt: string })
  | (Base & { kind: 'alert'; message: string; data: Record<string, unknown> })
  /** A review already made an alert was updated or ended: for the alert lifecycle (the receipt's ref is the alert). */
  | {
      kind: 'alert_update';
      camera: string;
      reviewId: string;
      status: 'updated' | 'ended';
      data: Record<string, unknown>;
    }
  | { kind: 'camera_status'; camera: string; online: boolean };

export type FrigateResult =
  | { ok: true; actions: FrigateAction[]; skipped?: string }
  | { ok: false; reason: 'invalid_json' | 'invalid_payload' | 'too_large'; detail: string };

export interface FrigateOptions {
  /** Frigate's HTTP address (no trailing slash) for snapshot, thumbnail and live links; null: none. */
  frigateUrl: string | null;
}

const skip = (why: string): FrigateResult => ({ ok: true, actions: [], skipped: why });
const invalid = (detail: string): FrigateResult => ({ ok: false, reason: 'invalid_payload', detail });

/** The JSON of a payload, or why not. */
export function parsePayload(
  payload: Buffer | string,
): { ok: true; value: unknown } | { ok: false; reason: 'invalid_json' | 'too_large'; detail: string } {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, reason: 'too_large', detail: `${size} bytes` };
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  if (jsonDepthExceeds(text, MAX_DEPTH)) return { ok: false, reason: 'invalid_json', detail: 'nested too deep' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'invalid_json', detail: 'not JSON' };
  }
}

/** The first problem the compiled schema finds, as `path: message`, short. */
function firstError(compiled: { Errors(v: unknown): Iterable<{ path: string; message: string }> }, v: unknown) {
  for (const e of compiled.Errors(v)) return `${e.path || '/'}: ${e.message}`.slice(0, 200);
  return 'invalid';
}

const iso = (seconds: number) => new Date(Math.round(seconds * 1000)).toISOString();

/** `sub_label` in any of its shapes: the name and its score, or null (cleared, none, an attribute). */
export function subLabel(value: TrackedObject['sub_label']): { name: string; score: number | null } | null {
  if (value === null || value === undefined) return null;
  const [name, score] = typeof value === 'string' ? [value, null] : value;
  if (name === null || name.trim() === '' || ATTRIBUTE_LABELS.has(name.trim().toLowerCase())) return null;
  const s = typeof score === 'number' && score >= 0 && score <= 1 ? score : null;
  return { name: name.trim(), score: s };
}

/** The receipt kind of a face name: one recognition per object and distinct name. */
export const faceKind = (name: string | null) => (name === null ? 'face:unknown' : `face:${name.toLowerCase()}`);

/**
 * OPENEYE_FRIGATE_URL as links in events show it: without the credentials it may carry (every
 * viewer of the event gets its links; the server's own requests to Frigate add them).
 */
function linkBase(o: FrigateOptions): string | null {
  if (!o.frigateUrl) return null;
  return splitCredentials(o.frigateUrl)?.url.href.replace(/\/+$/, '') ?? null;
}

function links(o: FrigateOptions, id: string, hasSnapshot: boolean | undefined): Record<string, string> {
  const frigate = linkBase(o);
  if (!frigate || !hasSnapshot) return {};
  const base = `${frigate}/api/events/${encodeURIComponent(id)}`;
  return { snapshot_url: `${base}/snapshot.jpg`, thumbnail_url: `${base}/thumbnail.jpg` };
}

/** The camera's live links in Frigate (latest frame, MJPEG), for the camera's live sources. */
export function cameraLinks(o: FrigateOptions, camera: string): Record<string, string> {
  const frigate = linkBase(o);
  if (!frigate) return {};
  const base = `${frigate}/api/${encodeURIComponent(camera)}`;
  return { camera_snapshot_url: `${base}/latest.jpg`, camera_mjpeg_url: base };
}

/** `<frigate>/events`: a person or another object, its start (new/update) and its end. */
export function mapEvents(value: unknown, o: FrigateOptions): FrigateResult {
  if (!checks().events.Check(value)) return invalid(firstError(checks().events, value));
  const { type, after: a } = value;
  if (type !== 'new' && type !== 'update' && type !== 'end') return skip('unknown_type');
  const person = a.label === 'person';
  const sub = subLabel(a.sub_label);
  const common: Record<string, unknown> = {
    source: FRIGATE,
    frigate_id: a.id,
    label: a.label,
    score: a.top_score ?? a.score ?? null,
    zones: a.current_zones ?? [],
    started_at: iso(a.start_time),
    ...(sub ? { sub_label: sub.name } : {}),
    ...(typeof a.recognized_license_plate === 'string' ? { license_plate: a.recognized_license_plate } : {}),
    ...links(o, a.id, a.has_snapshot),
  };
  const actions: FrigateAction[] = [
    // The start: the first message of the object (new, or an update when the new was missed).
    {
      kind: 'camera_event',
      camera: a.camera,
      eventType: person ? 'person_detected' : 'object_detected',
      data: { ...common, ...cameraLinks(o, a.camera) },
      once: { source: FRIGATE, item: a.id, kind: 'detected' },
    },
  ];
  // A name on a person: Frigate's face recognition (or an older setup's sub label via the API).
  if (person && sub) {
    actions.push({
      kind: 'recognition',
      camera: a.camera,
      name: sub.name,
      confidence: sub.score,
      occurredAt: iso(a.frame_time ?? a.start_time),
      once: { source: FRIGATE, item: a.id, kind: faceKind(sub.name) },
    });
  }
  if (type === 'end') {
    const ended = a.end_time ?? a.frame_time ?? null;
    actions.push({
      kind: 'camera_event',
      camera: a.camera,
      eventType: person ? 'person_ended' : 'object_ended',
      data: {
        ...common,
        zones: a.entered_zones ?? common.zones,
        ended_at: ended === null ? null : iso(ended),
        duration_s: ended === null ? null : Math.max(0, Math.round((ended - a.start_time) * 10) / 10),
      },
      once: { source: FRIGATE, item: a.id, kind: 'ended' },
    });
  }
  return { ok: true, actions };
}

/** `<frigate>/tracked_object_update`: face attempts become recognitions; other types are not ours. */
export function mapTrackedObjectUpdate(value: unknown): FrigateResult {
  if (!checks().typed.Check(value)) return invalid(firstError(checks().typed, value));
  if (value.type !== 'face') return skip('not_mapped');
  if (!checks().face.Check(value)) return invalid(firstError(checks().face, value));
  const name = value.name === null ? null : value.name.trim() || null;
  return {
    ok: true,
    actions: [
      {
        kind: 'recognition',
        camera: value.camera,
        name,
        // Frigate sends 0.0 with a null name: no score, not a score of zero.
        confidence: name === null ? null : (value.score ?? null),
        occurredAt: value.timestamp === undefined ? new Date().toISOString() : iso(value.timestamp),
        once: { source: FRIGATE, item: value.id, kind: faceKind(name) },
      },
    ],
  };
}

/** The review's thumbnail over HTTP: `thumb_path` without Frigate's media root. */
function reviewThumb(o: FrigateOptions, r: Review): Record<string, string> {
  const frigate = linkBase(o);
  if (!frigate || !r.thumb_path) return {};
  const path = r.thumb_path.replace(/^\/media\/frigate/, '');
  if (!/^\/clips\/review\/[A-Za-z0-9._-]+\.(webp|jpg)$/.test(path)) return {};
  return { thumbnail_url: `${frigate}${path}` };
}

/** `<frigate>/reviews`: an `alert` review becomes one OpenEye alert; its updates go to the lifecycle hook. */
export function mapReviews(value: unknown, o: FrigateOptions): FrigateResult {
  if (!checks().reviews.Check(value)) return invalid(firstError(checks().reviews, value));
  const { type, after: r } = value;
  if (type !== 'new' && type !== 'update' && type !== 'end') return skip(type === 'genai' ? 'genai' : 'unknown_type');
  if (r.severity !== 'alert') return skip('detection_review');
  const objects = (r.data.objects ?? []).map((x) => x.replace(/-verified$/, ''));
  const names = r.data.sub_labels ?? [];
  const zones = r.data.zones ?? [];
  const what = [...new Set(objects)].join(', ') || 'activity';
  const message = `Frigate alert on ${r.camera}: ${what}${names.length ? ` (${names.join(', ')})` : ''}${
    zones.length ? ` in ${zones.join(', ')}` : ''
  }`.slice(0, 1024);
  const data: Record<string, unknown> = {
    source: FRIGATE,
    review_id: r.id,
    camera_name: r.camera,
    objects: [...new Set(objects)],
    sub_labels: names,
    zones,
    detections: (r.data.detections ?? []).slice(0, 32),
    started_at: iso(r.start_time),
    ...reviewThumb(o, r),
  };
  const actions: FrigateAction[] = [
    { kind: 'alert', camera: r.camera, message, data, once: { source: FRIGATE, item: r.id, kind: 'alert' } },
  ];
  if (type !== 'new') {
    actions.push({
      kind: 'alert_update',
      camera: r.camera,
      reviewId: r.id,
      status: type === 'end' ? 'ended' : 'updated',
      data: { ...data, ended_at: r.end_time == null ? null : iso(r.end_time) },
    });
  }
  return { ok: true, actions };
}

/** `<frigate>/<camera>/status/detect` (Frigate ≥ 0.17): `online` | `offline` | `disabled`. */
export function mapCameraStatus(camera: string, payload: string): FrigateResult {
  if (!checks().camera.Check(camera)) return invalid('camera: not a Frigate camera name');
  const state = payload.trim();
  if (state !== 'online' && state !== 'offline' && state !== 'disabled')
    return invalid('status: not online|offline|disabled');
  return { ok: true, actions: [{ kind: 'camera_status', camera, online: state === 'online' }] };
}

/** Routes a message on `topic` (under `prefix`) to its mapping. */
export function mapFrigateMessage(
  prefix: string,
  topic: string,
  payload: Buffer | string,
  o: FrigateOptions,
): FrigateResult {
  if (!topic.startsWith(`${prefix}/`)) return skip('not_mapped');
  const rest = topic.slice(prefix.length + 1);
  const status = /^([^/]+)\/status\/detect$/.exec(rest);
  if (status) {
    const text = typeof payload === 'string' ? payload : payload.toString('utf8');
    if (text.length > 32) return { ok: false, reason: 'invalid_payload', detail: 'status: too long' };
    return mapCameraStatus(status[1]!, text);
  }
  if (rest !== 'events' && rest !== 'tracked_object_update' && rest !== 'reviews') return skip('not_mapped');
  const parsed = parsePayload(payload);
  if (!parsed.ok) return parsed;
  if (rest === 'events') return mapEvents(parsed.value, o);
  if (rest === 'tracked_object_update') return mapTrackedObjectUpdate(parsed.value);
  return mapReviews(parsed.value, o);
}

/** The topics the bridge subscribes to. */
export function frigateTopics(prefix: string): string[] {
  return [`${prefix}/events`, `${prefix}/tracked_object_update`, `${prefix}/reviews`, `${prefix}/+/status/detect`];
}
