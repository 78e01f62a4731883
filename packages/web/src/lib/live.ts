/**
 * What the dashboard keeps of the live stream while the page is open, across page changes:
 * the feed (newest first, capped), recognitions per minute for the last hour, toasts for
 * alerts, and the gap notice. Seeded from `GET /api/events`, then fed by the client's events.
 */
import {
  type AlertMessage,
  type CameraEventMessage,
  compareEventIds,
  type GapEvent,
  type OpenEyeApi,
  type OpenEyeClient,
} from '@openeye/client';
import { cameraOf } from '@openeye/protocol/events';
import { Store } from './store';

export type FeedItem = CameraEventMessage | AlertMessage;
export type Severity = AlertMessage['alert_type'];

export interface Bucket {
  recognized: number;
  unknown: number;
}

export interface Toast {
  key: number;
  id: string;
  severity: Severity;
  message: string;
  cameraId: number | null;
  timestamp: string;
  broadcastFrom: string | null;
  /** How many identical alerts this toast stands for (repeats are folded into one toast). */
  count: number;
}

export interface LiveState {
  feed: FeedItem[];
  /** Minute number (ms since epoch / 60000) to counts, for the last hour. */
  buckets: ReadonlyMap<number, Bucket>;
  toasts: Toast[];
  gap: GapEvent | null;
  /** The history has been loaded (or failed to load) at least once. */
  seeded: boolean;
  seedError: string | null;
  /** When the newest event arrived, for "last event" hints. */
  lastEventAt: number | null;
}

export const FEED_CAP = 200;
export const CHART_MINUTES = 60;
const TOAST_CAP = 4;
const SEEN_CAP = 5000;

const initial: LiveState = {
  feed: [],
  buckets: new Map(),
  toasts: [],
  gap: null,
  seeded: false,
  seedError: null,
  lastEventAt: null,
};

export const live = new Store<LiveState>(initial);

let seen = new Set<string>();
let toastKey = 0;
/** Camera filter the feed was seeded with (the watched cameras), null for all. */
let cameraFilter: readonly number[] | null = null;

export function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000);
}

/** When a recognition happened: `data.occurred_at` when the producer gave one, else the event time. */
export function occurredAt(event: CameraEventMessage): number {
  const raw = event.data.occurred_at;
  const t = typeof raw === 'string' ? Date.parse(raw) : Number.NaN;
  return Number.isNaN(t) ? Date.parse(event.timestamp) : t;
}

/** Who sent an admin broadcast, or null for any other alert. */
export function broadcastFrom(alert: AlertMessage): string | null {
  const data = alert.data as Record<string, unknown>;
  return data.broadcast === true && typeof data.from === 'string' ? data.from : null;
}

function isRecognition(item: FeedItem): item is CameraEventMessage {
  return item.type === 'camera_event' && (item.event_type === 'face_recognized' || item.event_type === 'unknown_face');
}

function passes(item: FeedItem): boolean {
  if (cameraFilter === null) return true;
  const camera = cameraOf(item);
  return camera === undefined || cameraFilter.includes(camera);
}

function count(buckets: Map<number, Bucket>, event: CameraEventMessage): void {
  const minute = minuteOf(occurredAt(event));
  if (minute <= minuteOf(Date.now()) - CHART_MINUTES) return;
  const bucket = buckets.get(minute) ?? { recognized: 0, unknown: 0 };
  if (event.event_type === 'face_recognized') bucket.recognized++;
  else bucket.unknown++;
  buckets.set(minute, bucket);
}

function prune(buckets: Map<number, Bucket>): void {
  const oldest = minuteOf(Date.now()) - CHART_MINUTES;
  for (const minute of buckets.keys()) if (minute <= oldest) buckets.delete(minute);
}

function remember(id: string): boolean {
  if (seen.has(id)) return false;
  seen.add(id);
  if (seen.size > SEEN_CAP) seen = new Set([...seen].slice(-SEEN_CAP / 2));
  return true;
}

function newestFirst(a: FeedItem, b: FeedItem): number {
  return compareEventIds(b.id, a.id);
}

/** A live event from the client. */
export function receive(item: FeedItem, { toast = true } = {}): void {
  if (!remember(item.id)) return;
  live.set((state) => {
    let buckets = state.buckets;
    if (isRecognition(item)) {
      const next = new Map([...buckets].map(([k, v]) => [k, { ...v }]));
      count(next, item);
      prune(next);
      buckets = next;
    }
    const feed = [item, ...state.feed];
    // Events normally arrive in order; a late one (replay after a resume) is put in its place.
    if (feed.length > 1 && newestFirst(feed[0]!, feed[1]!) > 0) feed.sort(newestFirst);
    if (feed.length > FEED_CAP) feed.length = FEED_CAP;
    let toasts = state.toasts;
    if (toast && item.type === 'alert') {
      const cameraId = item.data.camera_id ?? null;
      const from = broadcastFrom(item);
      const same = toasts.find(
        (t) =>
          t.severity === item.alert_type &&
          t.message === item.data.message &&
          t.cameraId === cameraId &&
          t.broadcastFrom === from,
      );
      const next: Toast = same
        ? { ...same, id: item.id, timestamp: item.timestamp, count: same.count + 1 }
        : {
            key: ++toastKey,
            id: item.id,
            severity: item.alert_type,
            message: item.data.message,
            cameraId,
            timestamp: item.timestamp,
            broadcastFrom: from,
            count: 1,
          };
      toasts = [...toasts.filter((t) => t !== same), next].slice(-TOAST_CAP);
    }
    return { ...state, feed, buckets, toasts, lastEventAt: Date.now() };
  });
}

/** Loads the last hour (the newest 1000 events) for the chart and the newest 200 for the feed. */
export async function seed(api: OpenEyeApi, cameras: readonly number[] | null): Promise<void> {
  cameraFilter = cameras;
  try {
    const answer = await api.events({ limit: 1000, types: ['camera_event', 'alert'] });
    const history = answer.events.filter((e): e is FeedItem => e.type !== 'alert_update' && passes(e));
    live.set((state) => {
      // Keep live events that arrived while the history was loading.
      const byId = new Map<string, FeedItem>();
      for (const item of history) byId.set(item.id, item);
      for (const item of state.feed) if (passes(item)) byId.set(item.id, item);
      const all = [...byId.values()].sort(newestFirst);
      seen = new Set(all.map((item) => item.id));
      const buckets = new Map<number, Bucket>();
      for (const item of all) if (isRecognition(item)) count(buckets, item);
      prune(buckets);
      return { ...state, feed: all.slice(0, FEED_CAP), buckets, seeded: true, seedError: null };
    });
  } catch (error) {
    live.set((state) => ({
      ...state,
      seeded: true,
      seedError: error instanceof Error ? error.message : 'The event history could not be loaded',
    }));
  }
}

export function dismissToast(key: number): void {
  live.set((state) => ({ ...state, toasts: state.toasts.filter((t) => t.key !== key) }));
}

export function dismissGap(): void {
  live.set((state) => ({ ...state, gap: null }));
}

/** Everything forgotten (sign-out). */
export function resetLive(): void {
  seen = new Set();
  live.set(initial);
}

/** Listens to the client; returns the function that stops listening. */
export function attachLive(client: OpenEyeClient): () => void {
  const offs = [
    client.on('camera_event', (event) => receive(event)),
    client.on('alert', (alert) => receive(alert)),
    client.on('gap', (gap) => live.set((state) => ({ ...state, gap }))),
  ];
  // The chart's "now" moves on even when nothing happens: drop minutes that left the hour.
  const timer = setInterval(() => {
    const state = live.get();
    const oldest = minuteOf(Date.now()) - CHART_MINUTES;
    if ([...state.buckets.keys()].some((minute) => minute <= oldest)) {
      const next = new Map(state.buckets);
      prune(next);
      live.set({ ...state, buckets: next });
    }
  }, 15_000);
  return () => {
    for (const off of offs) off();
    clearInterval(timer);
  };
}
