/**
 * The live feed of camera events and alerts, newest first, filterable by camera and by type.
 *
 * One row per happening: an unknown face's camera event and the alert raised for it (they share
 * `data.recognition_id`) are one row that shows the alert's state. Rows are focusable; Enter or a
 * click opens the event in the history. A long list is virtualised (fixed row height): only the
 * rows in view, plus a margin, are in the DOM.
 */
import type { Camera } from '@openeye/protocol';
import { cameraOf } from '@openeye/protocol/events';
import { type KeyboardEvent, memo, useDeferredValue, useEffect, useId, useMemo, useRef, useState } from 'react';
import { cameraName } from '../lib/cameras';
import { clockTime, formatFullDateTime } from '../lib/format';
import { type AlertInfo, type AlertState, actOnAlert, type FeedItem, live } from '../lib/live';
import { lookOf } from '../lib/look';
import { useReadOnly } from '../lib/read-only';
import { navigate } from '../lib/router';
import { api } from '../lib/services';
import { useStoreSelector } from '../lib/store';
import { AuthImage } from './AuthImage';
import { Icon } from './Icon';

/** Height of a row in px (styles.css .feed-item), for virtualisation. */
export const FEED_ROW_PX = 58;
const VIRTUALIZE_AFTER = 60;
const OVERSCAN = 8;

const STATE_LABELS: Record<AlertState, string> = { open: 'Unread', acknowledged: 'Acknowledged', resolved: 'Resolved' };

interface Row {
  item: FeedItem;
  /** The alert this row stands for or carries (an unknown face's), if any. */
  alertId: string | null;
}

function recognitionOf(item: FeedItem): number | null {
  const id = (item.data as Record<string, unknown>).recognition_id;
  return typeof id === 'number' ? id : null;
}

/** Folds an unknown face's alert into its camera event's row. */
export function feedRows(items: FeedItem[]): Row[] {
  const faces = new Set<number>();
  const alertOf = new Map<number, string>();
  for (const item of items) {
    const rid = recognitionOf(item);
    if (rid === null) continue;
    if (item.type === 'alert') alertOf.set(rid, item.id);
    else if (item.event_type === 'unknown_face') faces.add(rid);
  }
  const rows: Row[] = [];
  for (const item of items) {
    const rid = recognitionOf(item);
    if (item.type === 'alert') {
      if (rid !== null && faces.has(rid)) continue;
      rows.push({ item, alertId: item.id });
    } else {
      rows.push({
        item,
        alertId: rid !== null && item.event_type === 'unknown_face' ? (alertOf.get(rid) ?? null) : null,
      });
    }
  }
  return rows;
}

type Kind = 'recognized' | 'unknown' | 'motion' | 'status' | 'recording' | 'alert' | 'other';

const KIND_LABELS: Record<Kind, string> = {
  recognized: 'Recognized faces',
  unknown: 'Unknown faces',
  motion: 'Motion',
  status: 'Camera online/offline',
  recording: 'Recording',
  alert: 'Alerts',
  other: 'Other events',
};

function kindOf(item: FeedItem): Kind {
  if (item.type === 'alert') return 'alert';
  switch (item.event_type) {
    case 'face_recognized':
      return 'recognized';
    case 'unknown_face':
      return 'unknown';
    case 'motion_detected':
      return 'motion';
    case 'camera_online':
    case 'camera_offline':
      return 'status';
    case 'recording_started':
    case 'recording_stopped':
      return 'recording';
    default:
      return 'other';
  }
}

function openEvent(id: string): void {
  navigate(`/history?event=${encodeURIComponent(id)}`);
}

/**
 * The next step for an alert's row: Acknowledge while it is open, Resolve once acknowledged. Its own
 * button (Tab from the row, Enter or Space), not the row's click.
 */
function AlertActionButton({
  alertId,
  title,
  action,
}: {
  alertId: string;
  title: string;
  action: 'acknowledge' | 'resolve';
}) {
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const label = action === 'acknowledge' ? 'Acknowledge' : 'Resolve';
  const run = async () => {
    setBusy(true);
    setFailed(false);
    try {
      await actOnAlert(api, alertId, action);
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      className="button button--small button--ghost feed-ack"
      disabled={busy}
      aria-label={`${label} ${title}${failed ? ' (failed, try again)' : ''}`}
      title={failed ? `Could not ${action}. Try again.` : label}
      data-action={action}
      onClick={(event) => {
        event.stopPropagation();
        void run();
      }}
      onKeyDown={(event) => event.stopPropagation()}
    >
      {failed ? 'Retry' : label}
    </button>
  );
}

const FeedRow = memo(function FeedRow({
  item,
  camera,
  state,
  alertId,
}: {
  item: FeedItem;
  camera: string | null;
  state: AlertState | null;
  alertId: string | null;
}) {
  const look = lookOf(item);
  const meta = [camera, look.detail].filter(Boolean).join(' · ');
  // A read-only wall (a kiosk key) neither acts on alerts nor opens details away from the wall.
  const readOnly = useReadOnly();
  const onKeyDown = (event: KeyboardEvent<HTMLLIElement>) => {
    if (event.key === 'Enter' && !readOnly) {
      event.preventDefault();
      openEvent(item.id);
    }
  };
  return (
    <li
      className={`feed-item feed-tone-${look.tone}`}
      data-kind={kindOf(item)}
      data-event-id={item.id}
      data-alert-state={state ?? undefined}
      data-testid="feed-row"
      // Rows are focusable so Enter opens their detail (not on a read-only wall).
      tabIndex={readOnly ? undefined : 0}
      title={readOnly ? undefined : 'Open in history (Enter)'}
      onKeyDown={onKeyDown}
      onClick={readOnly ? undefined : () => openEvent(item.id)}
    >
      <span className="feed-icon" aria-hidden="true">
        <Icon name={look.icon} size={16} />
      </span>
      <div className="feed-body">
        <div className="feed-title">{look.title}</div>
        {meta ? <div className="feed-meta">{meta}</div> : null}
      </div>
      <div className="feed-side">
        {item.snapshot ? (
          <AuthImage
            src={item.snapshot.url}
            className="feed-thumb"
            alt={`Snapshot${camera ? ` from ${camera}` : ''}`}
          />
        ) : null}
        {(state === 'open' || state === 'acknowledged') && alertId && !readOnly ? (
          <AlertActionButton
            key={state}
            alertId={alertId}
            title={look.title}
            action={state === 'open' ? 'acknowledge' : 'resolve'}
          />
        ) : null}
        {state ? <span className={`feed-state feed-state--${state}`}>{STATE_LABELS[state]}</span> : null}
        <time className="feed-time num" dateTime={item.timestamp} title={formatFullDateTime(item.timestamp)}>
          {clockTime(item.timestamp)}
        </time>
      </div>
    </li>
  );
});

function useWindow(count: number) {
  const list = useRef<HTMLOListElement>(null);
  const [view, setView] = useState({ top: 0, height: 800 });
  const virtual = count > VIRTUALIZE_AFTER;
  useEffect(() => {
    const el = list.current;
    if (!el || !virtual) return;
    let frame = 0;
    const measure = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setView({ top: el.scrollTop, height: el.clientHeight || 800 }));
    };
    measure();
    el.addEventListener('scroll', measure, { passive: true });
    const resize = new ResizeObserver(measure);
    resize.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      el.removeEventListener('scroll', measure);
      resize.disconnect();
    };
  }, [virtual]);
  if (!virtual) return { list, start: 0, end: count };
  const start = Math.max(0, Math.floor(view.top / FEED_ROW_PX) - OVERSCAN);
  const end = Math.min(count, Math.ceil((view.top + view.height) / FEED_ROW_PX) + OVERSCAN);
  return { list, start, end };
}

export function Feed({
  items,
  cameras,
  seeded,
  alerts,
  alertsLoaded,
  stale = false,
}: {
  items: FeedItem[];
  cameras: Camera[] | null;
  seeded: boolean;
  alerts: ReadonlyMap<string, AlertInfo>;
  alertsLoaded: boolean;
  stale?: boolean;
}) {
  const [camera, setCamera] = useState('all');
  const [kind, setKind] = useState<'all' | Kind>('all');
  const cameraSelect = useId();
  const kindSelect = useId();

  const rows = useMemo(() => feedRows(items), [items]);
  const shown = useMemo(
    () =>
      rows.filter(
        ({ item }) =>
          (camera === 'all' || String(cameraOf(item)) === camera) && (kind === 'all' || kindOf(item) === kind),
      ),
    [rows, camera, kind],
  );
  const { list, start, end } = useWindow(shown.length);
  const stateOf = (alertId: string | null): AlertState | null =>
    alertId === null ? null : (alerts.get(alertId)?.state ?? (alertsLoaded ? 'resolved' : null));

  return (
    <section
      className={`card panel feed${stale ? ' is-stale' : ''}`}
      aria-labelledby="feed-title"
      data-testid="feed-card"
      data-stale={stale}
    >
      <header className="panel-head">
        <div>
          <h2 id="feed-title" className="panel-title">
            Live events
          </h2>
          <p className="panel-sub num" data-testid="feed-count">
            {shown.length === rows.length ? `${rows.length} most recent` : `${shown.length} of ${rows.length} shown`}
          </p>
        </div>
        <div className="feed-filters">
          <label className="visually-labelled" htmlFor={cameraSelect}>
            <span className="sr-only">Filter by camera</span>
            <select
              id={cameraSelect}
              value={camera}
              onChange={(e) => setCamera(e.target.value)}
              data-testid="feed-camera"
            >
              <option value="all">All cameras</option>
              {(cameras ?? []).map((c) => (
                <option key={c.id} value={String(c.id)}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <label className="visually-labelled" htmlFor={kindSelect}>
            <span className="sr-only">Filter by type</span>
            <select
              id={kindSelect}
              value={kind}
              onChange={(e) => setKind(e.target.value as 'all' | Kind)}
              data-testid="feed-type"
            >
              <option value="all">All types</option>
              {(Object.keys(KIND_LABELS) as Kind[]).map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </select>
          </label>
        </div>
      </header>
      <ol
        className="feed-list"
        aria-label="Live events, newest first"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the scrolling list must be reachable by keyboard
        tabIndex={0}
        data-testid="feed"
        ref={list}
        style={
          end - start < shown.length
            ? { paddingTop: start * FEED_ROW_PX, paddingBottom: (shown.length - end) * FEED_ROW_PX }
            : undefined
        }
      >
        {shown.slice(start, end).map(({ item, alertId }) => (
          <FeedRow
            key={item.id}
            item={item}
            camera={cameraName(cameraOf(item), cameras)}
            state={stateOf(alertId)}
            alertId={alertId}
          />
        ))}
      </ol>
      {shown.length === 0 ? (
        <div className="empty feed-empty">
          <Icon name="bell" size={22} />
          <p>
            {!seeded
              ? 'Loading events…'
              : items.length === 0
                ? 'No events yet. They appear here as they happen.'
                : 'No events match these filters.'}
          </p>
        </div>
      ) : null}
    </section>
  );
}

const DeferredFeed = memo(Feed);

/**
 * The feed fed by the live store: only this part re-renders when events arrive, and not urgently:
 * the list renders with deferred values, so React renders it in slices between frames, yielding
 * to input, the toasts and the header's count (a burst of alerts is no single long task).
 */
export function LiveFeed({ cameras, stale = false }: { cameras: Camera[] | null; stale?: boolean }) {
  const items = useDeferredValue(useStoreSelector(live, (s) => s.feed));
  const seeded = useStoreSelector(live, (s) => s.seeded);
  const alerts = useDeferredValue(useStoreSelector(live, (s) => s.alerts));
  const alertsLoaded = useStoreSelector(live, (s) => s.alertsLoaded);
  return (
    <DeferredFeed
      items={items}
      cameras={cameras}
      seeded={seeded}
      alerts={alerts}
      alertsLoaded={alertsLoaded}
      stale={stale}
    />
  );
}
