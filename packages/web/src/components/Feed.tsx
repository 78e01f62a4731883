/**
 * The live feed of camera events and alerts, newest first, filterable by camera and by type.
 */
import type { Camera } from '@openeye/protocol';
import { cameraOf } from '@openeye/protocol/events';
import { memo, useId, useMemo, useState } from 'react';
import { cameraName } from '../lib/cameras';
import { clockTime, humanize, percent } from '../lib/format';
import { broadcastFrom, type FeedItem } from '../lib/live';
import { Icon, type IconName } from './Icon';

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

interface Look {
  icon: IconName;
  tone: string;
  title: string;
  detail: string | null;
}

function describe(item: FeedItem): Look {
  if (item.type === 'alert') {
    const icon: IconName = item.alert_type === 'info' ? 'info' : item.alert_type;
    const sender = broadcastFrom(item);
    const from = sender ? `Broadcast by ${sender}` : null;
    return {
      icon,
      tone: item.alert_type,
      title: item.data.message,
      detail: from ?? `${humanize(item.alert_type)} alert`,
    };
  }
  const d = item.data;
  switch (item.event_type) {
    case 'face_recognized':
      return {
        icon: 'recognized',
        tone: 'success',
        title: `${typeof d.person_name === 'string' ? d.person_name : 'Someone'} recognized`,
        detail: percent(d.confidence) ? `${percent(d.confidence)} confidence` : null,
      };
    case 'unknown_face':
      return {
        icon: 'unknown',
        tone: 'warning',
        title: 'Unknown face',
        detail: percent(d.confidence) ? `${percent(d.confidence)} confidence` : null,
      };
    case 'motion_detected':
      return {
        icon: 'motion',
        tone: 'info',
        title: 'Motion detected',
        detail: typeof d.zone === 'number' ? `Zone ${d.zone}` : typeof d.details === 'string' ? d.details : null,
      };
    case 'camera_online':
      return { icon: 'power', tone: 'success', title: 'Camera online', detail: null };
    case 'camera_offline':
      return { icon: 'power', tone: 'danger', title: 'Camera offline', detail: null };
    case 'recording_started':
      return { icon: 'record', tone: 'danger', title: 'Recording started', detail: null };
    case 'recording_stopped':
      return { icon: 'record', tone: 'muted', title: 'Recording stopped', detail: null };
    default:
      return {
        icon: 'activity',
        tone: 'muted',
        title: humanize(item.event_type),
        detail: typeof d.details === 'string' ? d.details : null,
      };
  }
}

const FeedRow = memo(function FeedRow({ item, camera }: { item: FeedItem; camera: string | null }) {
  const look = describe(item);
  const meta = [camera, look.detail].filter(Boolean).join(' · ');
  return (
    <li className={`feed-item feed-tone-${look.tone}`} data-kind={kindOf(item)}>
      <span className="feed-icon" aria-hidden="true">
        <Icon name={look.icon} size={16} />
      </span>
      <div className="feed-body">
        <div className="feed-title">{look.title}</div>
        {meta ? <div className="feed-meta">{meta}</div> : null}
      </div>
      <time className="feed-time num" dateTime={item.timestamp} title={new Date(item.timestamp).toLocaleString()}>
        {clockTime(item.timestamp)}
      </time>
    </li>
  );
});

export function Feed({ items, cameras, seeded }: { items: FeedItem[]; cameras: Camera[] | null; seeded: boolean }) {
  const [camera, setCamera] = useState('all');
  const [kind, setKind] = useState<'all' | Kind>('all');
  const cameraSelect = useId();
  const kindSelect = useId();

  const shown = useMemo(
    () =>
      items.filter(
        (item) => (camera === 'all' || String(cameraOf(item)) === camera) && (kind === 'all' || kindOf(item) === kind),
      ),
    [items, camera, kind],
  );

  return (
    <section className="card panel feed" aria-labelledby="feed-title">
      <header className="panel-head">
        <div>
          <h2 id="feed-title" className="panel-title">
            Live events
          </h2>
          <p className="panel-sub num">
            {shown.length === items.length ? `${items.length} most recent` : `${shown.length} of ${items.length} shown`}
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
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: the scrolling list must be reachable by keyboard */}
      <ol className="feed-list" aria-label="Live events, newest first" tabIndex={0} data-testid="feed">
        {shown.map((item) => (
          <FeedRow key={item.id} item={item} camera={cameraName(cameraOf(item), cameras)} />
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
