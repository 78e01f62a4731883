/**
 * What the dashboard keeps of the live stream while the page is open, across page changes:
 * the feed (newest first, capped), recognitions per minute for the last hour, the alerts and
 * their lifecycle state (the inbox: every alert not resolved, from `GET /api/alerts`, kept
 * current by `alert` and `alert_update` events), toasts for alerts, what the live regions
 * announce, and the gap notice. Seeded from `GET /api/events`, then fed by the client's events.
 *
 * The store notifies once per animation frame (store.ts): a burst of events is one render.
 */
import {
  type Alert,
  type AlertMessage,
  type AlertUpdateMessage,
  ApiError,
  type CameraEventMessage,
  compareEventIds,
  type GapEvent,
  type OpenEyeApi,
  type OpenEyeClient,
} from '@openeye/client';
import { cameraOf } from '@openeye/protocol/events';
import { clockMinute } from './format';
import { broadcastSender } from './look';
import { beepForCritical } from './sound';
import { Store } from './store';

export type FeedItem = CameraEventMessage | AlertMessage;
export type Severity = AlertMessage['alert_type'];

export interface Bucket {
  recognized: number;
  unknown: number;
}

export type AlertState = Alert['state'];

/** An alert as the inbox, the toasts and the feed show it. */
export interface AlertInfo {
  id: string;
  severity: Severity;
  message: string;
  cameraId: number | null;
  timestamp: string;
  broadcastFrom: string | null;
  state: AlertState;
  version: number;
  /** Who acknowledged or resolved it (the newest of the two), for "Acknowledged by …". */
  handledBy: string | null;
  /** When that was (ISO), for "… at HH:MM". */
  handledAt: string | null;
  /** The user it is assigned to (id), or null. */
  assignedTo: number | null;
  snapshotUrl: string | null;
  /** The recognition an unknown-face alert is about (its camera event carries the same id). */
  recognitionId: number | null;
}

export interface Toast {
  key: number;
  /** The alerts this toast stands for, newest last (identical repeats are folded into one toast). */
  ids: string[];
  severity: Severity;
  message: string;
  cameraId: number | null;
  timestamp: string;
  broadcastFrom: string | null;
  snapshotUrl: string | null;
  /** When it leaves by itself (ms since epoch); null: pinned (critical) until handled or dismissed. */
  expiresAt: number | null;
}

export interface LiveState {
  feed: FeedItem[];
  /** Minute number (ms since epoch / 60000) to counts, for the last hour. */
  buckets: ReadonlyMap<number, Bucket>;
  toasts: Toast[];
  /** Every alert seen (newest state), by id. The inbox is those not resolved. */
  alerts: ReadonlyMap<string, AlertInfo>;
  /** What the live regions say now: critical alerts assertively, others politely. */
  announce: { critical: string; polite: string };
  /** The inbox has been loaded from the server: an alert not in it is resolved. */
  alertsLoaded: boolean;
  gap: GapEvent | null;
  /** The history has been loaded (or failed to load) at least once. */
  seeded: boolean;
  seedError: string | null;
  /** When the newest event arrived, for "last event" hints. */
  lastEventAt: number | null;
}

export const FEED_CAP = 200;
export const CHART_MINUTES = 60;
/** Toasts kept (shown or behind "+N more"); the oldest non-critical ones go first. */
const TOAST_CAP = 30;
const ALERTS_CAP = 2000;
const SEEN_CAP = 5000;
const LIFETIME: Record<Severity, number | null> = { info: 6000, warning: 10_000, critical: null };
const SEVERITY_WORDS: Record<Severity, string> = { info: 'Info', warning: 'Warning', critical: 'Critical alert' };

const initial: LiveState = {
  feed: [],
  buckets: new Map(),
  toasts: [],
  alerts: new Map(),
  announce: { critical: '', polite: '' },
  alertsLoaded: false,
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
    if (item.type !== 'alert') return { ...state, feed, buckets, lastEventAt: Date.now() };
    const known = state.alerts.get(item.id);
    const info = known ?? alertFromMessage(item);
    const alerts = known ? state.alerts : withAlert(state.alerts, info);
    if (!toast || info.state !== 'open') return { ...state, feed, buckets, alerts, lastEventAt: Date.now() };
    return {
      ...state,
      feed,
      buckets,
      alerts,
      toasts: addToast(state.toasts, info),
      announce: announceFor(state.announce, info),
      lastEventAt: Date.now(),
    };
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

function snapshotOf(item: { snapshot?: { url: string } }): string | null {
  return item.snapshot?.url ?? null;
}

function recognitionOf(data: Record<string, unknown>): number | null {
  return typeof data.recognition_id === 'number' ? data.recognition_id : null;
}

function alertFromMessage(item: AlertMessage): AlertInfo {
  return {
    id: item.id,
    severity: item.alert_type,
    message: item.data.message,
    cameraId: item.data.camera_id ?? null,
    timestamp: item.timestamp,
    broadcastFrom: broadcastSender(item.data),
    state: 'open',
    version: 1,
    handledBy: null,
    handledAt: null,
    assignedTo: null,
    snapshotUrl: snapshotOf(item),
    recognitionId: recognitionOf(item.data),
  };
}

export function alertFromRest(alert: Alert): AlertInfo {
  const data = alert.data as Record<string, unknown>;
  const by =
    alert.state === 'resolved' ? alert.resolved_by : alert.state === 'acknowledged' ? alert.acknowledged_by : null;
  const at =
    alert.state === 'resolved' ? alert.resolved_at : alert.state === 'acknowledged' ? alert.acknowledged_at : null;
  return {
    id: alert.id,
    severity: alert.alert_type,
    message: alert.message,
    cameraId: alert.camera_id,
    timestamp: alert.created_at,
    broadcastFrom: broadcastSender(data),
    state: alert.state,
    version: alert.version,
    handledBy: by?.username ?? null,
    handledAt: at ?? null,
    assignedTo: alert.assigned_to,
    snapshotUrl: typeof data.snapshot_url === 'string' ? data.snapshot_url : null,
    recognitionId: recognitionOf(data),
  };
}

function withAlert(alerts: ReadonlyMap<string, AlertInfo>, info: AlertInfo): Map<string, AlertInfo> {
  const next = new Map(alerts);
  next.set(info.id, info);
  if (next.size > ALERTS_CAP) {
    // Forget the oldest handled ones first; open ones are what the inbox is for.
    for (const [id, a] of next) {
      if (next.size <= ALERTS_CAP) break;
      if (a.state === 'resolved') next.delete(id);
    }
  }
  return next;
}

function addToast(toasts: Toast[], info: AlertInfo): Toast[] {
  const now = Date.now();
  const lifetime = LIFETIME[info.severity];
  const live = toasts.filter((t) => t.expiresAt === null || t.expiresAt > now);
  const same = live.find(
    (t) =>
      t.severity === info.severity &&
      t.message === info.message &&
      t.cameraId === info.cameraId &&
      t.broadcastFrom === info.broadcastFrom &&
      t.snapshotUrl === null &&
      info.snapshotUrl === null,
  );
  const next: Toast = same
    ? { ...same, ids: [...same.ids, info.id], timestamp: info.timestamp, expiresAt: lifetime && now + lifetime }
    : {
        key: ++toastKey,
        ids: [info.id],
        severity: info.severity,
        message: info.message,
        cameraId: info.cameraId,
        timestamp: info.timestamp,
        broadcastFrom: info.broadcastFrom,
        snapshotUrl: info.snapshotUrl,
        expiresAt: lifetime && now + lifetime,
      };
  const out = [...live.filter((t) => t !== same), next];
  // Over the cap, the oldest non-critical toasts go (their alerts stay in the inbox); critical ones stay.
  while (out.length > TOAST_CAP) {
    const index = out.findIndex((t) => t.severity !== 'critical');
    if (index < 0) break;
    out.splice(index, 1);
  }
  return out;
}

function announceFor(previous: LiveState['announce'], info: AlertInfo): LiveState['announce'] {
  const text = `${SEVERITY_WORDS[info.severity]}: ${info.message}`;
  return info.severity === 'critical' ? { ...previous, critical: text } : { ...previous, polite: text };
}

/** Toasts whose alerts are all handled are dropped. */
function withoutHandled(toasts: Toast[], alerts: ReadonlyMap<string, AlertInfo>): Toast[] {
  const out = toasts.filter((t) => t.ids.some((id) => (alerts.get(id)?.state ?? 'open') === 'open'));
  return out.length === toasts.length ? toasts : out;
}

/** Applies an `alert_update` (from any browser) to the alert it is about. */
export function receiveUpdate(update: AlertUpdateMessage): void {
  const current = live.get().alerts.get(update.alert_id);
  if (!current) {
    // An alert this page never saw (older than its history): the inbox asks the server again.
    if (update.state !== 'resolved') scheduleAlertsReload();
    return;
  }
  if (update.version < current.version) return;
  const changed = update.state !== current.state;
  applyAlert({
    ...current,
    state: update.state,
    version: update.version,
    handledBy: update.state === 'open' ? null : changed ? (update.by?.username ?? null) : current.handledBy,
    handledAt: update.state === 'open' ? null : changed ? update.at : current.handledAt,
    assignedTo: update.assigned_to,
  });
}

function applyAlert(info: AlertInfo): void {
  live.set((state) => {
    const known = state.alerts.get(info.id);
    // An answer older than what the live stream already brought changes nothing.
    if (known && known.version > info.version) return state;
    const alerts = withAlert(state.alerts, info);
    return { ...state, alerts, toasts: withoutHandled(state.toasts, alerts) };
  });
}

let alertsApi: OpenEyeApi | null = null;
let reloadTimer: ReturnType<typeof setTimeout> | undefined;

function scheduleAlertsReload(): void {
  if (!alertsApi) return;
  const api = alertsApi;
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => void loadAlerts(api), 300);
}

/** Loads the alerts not resolved (the inbox) from the server; the newest state wins. */
export async function loadAlerts(api: OpenEyeApi): Promise<void> {
  alertsApi = api;
  // The answer tells the state of the alerts known when it was asked; one that comes live while it
  // is on its way is newer than the answer, not resolved because the answer lacks it.
  const knownWhenAsked = new Set(live.get().alerts.keys());
  try {
    const pages = await Promise.all([
      api.listAlerts({ state: 'open', limit: 500 }),
      api.listAlerts({ state: 'acknowledged', limit: 500 }),
    ]);
    const fresh = pages.flatMap((page) => page.alerts.map(alertFromRest));
    // Only a complete answer says which alerts are no longer open or acknowledged.
    const complete = pages.every((page) => page.next_before === null);
    live.set((state) => {
      const alerts = new Map(state.alerts);
      const listed = new Set(fresh.map((a) => a.id));
      for (const a of fresh) {
        const known = alerts.get(a.id);
        if (!known || known.version <= a.version)
          alerts.set(a.id, { ...a, snapshotUrl: known?.snapshotUrl ?? a.snapshotUrl });
      }
      // Not listed as open or acknowledged any more: resolved meanwhile.
      for (const [id, a] of alerts) {
        if (complete && a.state !== 'resolved' && !listed.has(id) && knownWhenAsked.has(id)) {
          alerts.set(id, { ...a, state: 'resolved' });
        }
      }
      // Open critical alerts stay pinned across reloads and reconnects: a toast for each one without.
      let toasts = withoutHandled(state.toasts, alerts);
      const toasted = new Set(toasts.flatMap((t) => t.ids));
      const pinned = [...alerts.values()]
        .filter((a) => a.severity === 'critical' && a.state === 'open' && !toasted.has(a.id))
        .sort((a, b) => compareEventIds(a.id, b.id));
      for (const a of pinned) toasts = addToast(toasts, a);
      return { ...state, alerts, alertsLoaded: true, toasts };
    });
  } catch {
    // The inbox keeps what it has; the next reconnect asks again.
  }
}

export type Action = 'acknowledge' | 'resolve' | 'reopen' | 'assign';

/** What an operator is told when a colleague changed the alert first (409): who and when. */
export function conflictText(alert: Alert): string {
  const time = (iso: string | null) => (iso ? ` at ${clockMinute(Date.parse(iso))}` : '');
  const name = (actor: Alert['acknowledged_by']) => (actor ? actor.username : 'the system');
  if (alert.state === 'resolved') return `Already resolved by ${name(alert.resolved_by)}${time(alert.resolved_at)}`;
  if (alert.state === 'acknowledged')
    return `Already acknowledged by ${name(alert.acknowledged_by)}${time(alert.acknowledged_at)}`;
  return 'Someone changed this alert meanwhile; it is shown as it is now.';
}

/**
 * Acts on an alert with the version this page saw. When someone else was first (409), the alert is
 * shown as it is now and the answer says who was first (`conflict`); any other failure throws.
 */
export async function actOnAlert(
  api: OpenEyeApi,
  id: string,
  action: Action,
  options: { note?: string; userId?: number | null } = {},
): Promise<{ conflict: string | null }> {
  const current = live.get().alerts.get(id);
  if (!current) return { conflict: null };
  const note = options.note?.trim() ? options.note.trim() : undefined;
  try {
    const answer =
      action === 'acknowledge'
        ? await api.acknowledgeAlert(id, current.version, note)
        : action === 'resolve'
          ? await api.resolveAlert(id, current.version, note)
          : action === 'reopen'
            ? await api.reopenAlert(id, current.version, note)
            : await api.assignAlert(id, current.version, options.userId ?? null, note);
    applyAlert({ ...alertFromRest(answer), snapshotUrl: current.snapshotUrl });
    return { conflict: null };
  } catch (error) {
    const body = error instanceof ApiError ? (error.body as { alert?: Alert } | undefined) : undefined;
    if (error instanceof ApiError && error.status === 409 && body?.alert) {
      applyAlert({ ...alertFromRest(body.alert), snapshotUrl: current.snapshotUrl });
      return { conflict: conflictText(body.alert) };
    }
    throw error;
  }
}

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** The inbox: alerts not resolved; unread before acknowledged, critical first, then newest first. */
export function inboxOf(alerts: ReadonlyMap<string, AlertInfo>): AlertInfo[] {
  return [...alerts.values()]
    .filter((a) => a.state !== 'resolved')
    .sort(
      (a, b) =>
        Number(a.state !== 'open') - Number(b.state !== 'open') ||
        RANK[a.severity] - RANK[b.severity] ||
        compareEventIds(b.id, a.id),
    );
}

/** The newest unread alert, for the Alt+A shortcut. */
export function newestUnread(alerts: ReadonlyMap<string, AlertInfo>): AlertInfo | undefined {
  let newest: AlertInfo | undefined;
  for (const a of alerts.values()) {
    if (a.state === 'open' && (!newest || compareEventIds(a.id, newest.id) > 0)) newest = a;
  }
  return newest;
}

export function unreadOf(alerts: ReadonlyMap<string, AlertInfo>): number {
  let n = 0;
  for (const a of alerts.values()) if (a.state === 'open') n++;
  return n;
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
  alertsApi = null;
  clearTimeout(reloadTimer);
  live.set(initial);
}

/** Listens to the client; returns the function that stops listening. */
export function attachLive(client: OpenEyeClient, api: OpenEyeApi): () => void {
  // The alerts' lifecycle, live: acknowledged or resolved anywhere shows here.
  client.subscribe(['alert_update']);
  const offs = [
    // On every (re)connection the inbox is asked again: what changed while away shows.
    client.on('status_change', (change) => {
      if (change.status === 'connected') void loadAlerts(api);
    }),
    client.on('camera_event', (event) => receive(event)),
    client.on('alert', (alert) => {
      const isNew = !live.get().alerts.has(alert.id);
      receive(alert);
      // One beep per browser: with a shared connection, the tab holding it.
      if (isNew && alert.alert_type === 'critical' && client.getTabRole() !== 'follower') beepForCritical();
    }),
    client.on('alert_update', (update) => receiveUpdate(update)),
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
