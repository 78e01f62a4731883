/**
 * The event history as the History page reads it: filters that live in the URL
 * (`/history?camera=3&type=alert&severity=critical&range=24h&event=123`), the `GET /api/events`
 * query they make, one event by id, and how an event reads for an operator.
 */
import { ApiError } from '@openeye/client';
import type { EventMessage, EventsResponse } from '@openeye/protocol';
import { currentToken } from './services';

export type HistoryType = '' | 'alert' | 'camera_event' | 'alert_update';
export type Severity = '' | 'info' | 'warning' | 'critical';
export type Range = '' | '1h' | '24h' | '7d' | '30d' | 'custom';

/** What the URL of the History page says. */
export interface HistoryFilters {
  camera: number | null;
  type: HistoryType;
  severity: Severity;
  /** A camera event type (motion_detected, face_recognized, ...), only with type camera_event or none. */
  kind: string;
  range: Range;
  /** With range `custom`: local date and time as a datetime-local input writes it. */
  from: string;
  to: string;
  person: number | null;
  /** The event open in the detail view. */
  event: string | null;
}

const RANGE_MS: Record<Exclude<Range, '' | 'custom'>, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

const positive = (v: string | null): number | null =>
  v && /^[0-9]{1,10}$/.test(v) && Number(v) > 0 ? Number(v) : null;
const oneOf = <T extends string>(values: readonly T[], v: string | null): T =>
  (values as readonly string[]).includes(v ?? '') ? (v as T) : values[0]!;

export function readFilters(search: string): HistoryFilters {
  const p = new URLSearchParams(search);
  const event = p.get('event');
  return {
    camera: positive(p.get('camera')),
    type: oneOf(['', 'alert', 'camera_event', 'alert_update'] as const, p.get('type')),
    severity: oneOf(['', 'info', 'warning', 'critical'] as const, p.get('severity')),
    kind: /^[a-z0-9_.:-]{1,64}$/.test(p.get('kind') ?? '') ? p.get('kind')! : '',
    range: oneOf(['', '1h', '24h', '7d', '30d', 'custom'] as const, p.get('range')),
    from: p.get('from') ?? '',
    to: p.get('to') ?? '',
    person: positive(p.get('person')),
    event: event && /^[0-9]{1,15}$/.test(event) ? event : null,
  };
}

/** The History page's URL for `filters` (only what is set, in a stable order). */
export function historyUrl(filters: Partial<HistoryFilters>): string {
  const p = new URLSearchParams();
  if (filters.camera) p.set('camera', String(filters.camera));
  if (filters.type) p.set('type', filters.type);
  if (filters.severity) p.set('severity', filters.severity);
  if (filters.kind) p.set('kind', filters.kind);
  if (filters.range) p.set('range', filters.range);
  if (filters.range === 'custom' && filters.from) p.set('from', filters.from);
  if (filters.range === 'custom' && filters.to) p.set('to', filters.to);
  if (filters.person) p.set('person', String(filters.person));
  if (filters.event) p.set('event', filters.event);
  const query = p.toString();
  return query ? `/history?${query}` : '/history';
}

/** A datetime-local value ("2024-05-01T08:30") as an ISO time; null when empty or invalid. */
function localToIso(value: string): string | null {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** The `GET /api/events` query of `filters` (without paging). */
export function eventsQuery(filters: HistoryFilters, now = Date.now()): URLSearchParams {
  const q = new URLSearchParams();
  // Alert updates (acknowledged, resolved) only when asked for: the history is of happenings.
  q.set('types', filters.type || 'camera_event,alert');
  if (filters.camera) q.set('camera_id', String(filters.camera));
  if (filters.severity && filters.type !== 'camera_event') q.set('alert_type', filters.severity);
  if (filters.kind && filters.type !== 'alert' && filters.type !== 'alert_update') q.set('event_type', filters.kind);
  if (filters.range === 'custom') {
    const since = localToIso(filters.from);
    const until = localToIso(filters.to);
    if (since) q.set('since', since);
    if (until) q.set('until', until);
  } else if (filters.range) {
    q.set('since', new Date(now - RANGE_MS[filters.range]).toISOString());
  }
  if (filters.person) q.set('person_id', String(filters.person));
  return q;
}

async function getJson<T>(path: string): Promise<T> {
  const token = await currentToken();
  let response: Response;
  try {
    response = await fetch(path, { headers: { accept: 'application/json', authorization: `Bearer ${token ?? ''}` } });
  } catch {
    throw new ApiError(0, 'network_error', 'The server cannot be reached');
  }
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok) {
    throw new ApiError(
      response.status,
      typeof body?.error === 'string' ? body.error : `http_${response.status}`,
      typeof body?.message === 'string' ? body.message : `The server answered ${response.status}`,
      typeof body?.field === 'string' ? body.field : undefined,
    );
  }
  return body as T;
}

/** One page of the history, newest first: the `limit` newest matching events older than `before`. */
export async function fetchHistory(
  query: URLSearchParams,
  { before, limit }: { before?: string; limit: number },
): Promise<{ events: EventMessage[]; hasMore: boolean }> {
  const q = new URLSearchParams(query);
  q.set('limit', String(limit));
  if (before) q.set('before', before);
  const answer = await getJson<EventsResponse>(`/api/events?${q}`);
  return { events: [...answer.events].reverse(), hasMore: answer.has_more };
}

/** The `limit` oldest matching events newer than `after`, newest first. */
export async function fetchNewer(query: URLSearchParams, { after, limit }: { after: string; limit: number }) {
  const q = new URLSearchParams(query);
  q.set('limit', String(limit));
  q.set('after', after);
  const answer = await getJson<EventsResponse>(`/api/events?${q}`);
  return [...answer.events].reverse();
}

/** One event by id; null when it is not (or no longer) in the history, or not yours to see. */
export async function fetchEvent(id: string): Promise<EventMessage | null> {
  try {
    return await getJson<EventMessage>(`/api/events/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return 'The server cannot be reached. Try again.';
    if (error.status === 429) return 'Too many requests at once. Wait a moment and try again.';
    if (error.status === 400) return `The server did not accept this filter: ${error.message}`;
    return error.message;
  }
  return 'Something went wrong. Try again.';
}

/** The camera an event is about, if any. */
export function cameraIdOf(event: EventMessage): number | null {
  if (event.type === 'camera_event') return event.camera_id;
  if (event.type === 'alert') return typeof event.data.camera_id === 'number' ? event.data.camera_id : null;
  return event.camera_id ?? null;
}

/** The person an event names, if any (a recognized face). */
export function personOf(event: EventMessage): { id: number; name: string | null } | null {
  if (event.type === 'alert_update') return null;
  const d = event.data as Record<string, unknown>;
  return typeof d.person_id === 'number'
    ? { id: d.person_id, name: typeof d.person_name === 'string' ? d.person_name : null }
    : null;
}

/** Camera event types an operator filters by, with their names. */
export const CAMERA_EVENT_KINDS: ReadonlyArray<[string, string]> = [
  ['face_recognized', 'Recognized faces'],
  ['unknown_face', 'Unknown faces'],
  ['motion_detected', 'Motion'],
  ['camera_online', 'Camera online'],
  ['camera_offline', 'Camera offline'],
  ['recording_started', 'Recording started'],
  ['recording_stopped', 'Recording stopped'],
];
