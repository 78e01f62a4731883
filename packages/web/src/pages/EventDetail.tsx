/**
 * One event in full: what happened, when, on which camera, every field the producer sent, the
 * snapshot stored with it, and links to related events (the same camera within ten minutes, the
 * same person). Fetched by id when it is not in the loaded page, so any link to it works.
 */
import type { Camera, EventMessage } from '@openeye/protocol';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { Icon } from '../components/Icon';
import { cameras } from '../lib/cameras';
import { formatDateTime, humanize, percent } from '../lib/format';
import {
  cameraIdOf,
  errorText,
  fetchEvent,
  fetchHistory,
  fetchNewer,
  type HistoryFilters,
  historyUrl,
  personOf,
} from '../lib/history';
import { lookOf } from '../lib/look';
import { Link, navigate } from '../lib/router';
import { useStore } from '../lib/store';

const TEN_MINUTES = 10 * 60_000;

type Loading<T> = { state: 'loading' } | { state: 'ready'; value: T } | { state: 'error'; message: string };

function kindLabel(event: EventMessage): string {
  if (event.type === 'alert') return `${humanize(event.alert_type)} alert`;
  if (event.type === 'alert_update') return `Alert ${event.action}`;
  return `Camera event · ${event.event_type}`;
}

function valueText(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (key === 'confidence' || key === 'score') return percent(value) ?? String(value);
  if (typeof value === 'string') {
    if (/_at$/.test(key) && !Number.isNaN(Date.parse(value))) return formatDateTime(value);
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** The fields of an event beyond what the header shows, as label/value pairs. */
function fieldsOf(event: EventMessage): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  const data: Record<string, unknown> =
    event.type === 'alert_update'
      ? {
          alert_id: event.alert_id,
          state: event.state,
          by: event.by?.username ?? 'the server',
          at: event.at,
          note: event.note,
          assigned_to: event.assigned_to,
          version: event.version,
        }
      : (event.data as Record<string, unknown>);
  for (const [key, value] of Object.entries(data)) {
    if (key === 'message' && event.type === 'alert') continue;
    rows.push([humanize(key), valueText(key, value)]);
  }
  return rows;
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="event-field">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function RelatedList({
  testId,
  title,
  events,
  filters,
  cameraList,
  empty,
}: {
  testId: string;
  title: string;
  events: Loading<EventMessage[]>;
  filters: HistoryFilters;
  cameraList: readonly Camera[] | null;
  empty: string;
}) {
  return (
    <section className="event-related" data-testid={testId} aria-label={title}>
      <h3>{title}</h3>
      {events.state === 'loading' ? <p className="muted">Loading…</p> : null}
      {events.state === 'error' ? <p className="muted">{events.message}</p> : null}
      {events.state === 'ready' && events.value.length === 0 ? <p className="muted">{empty}</p> : null}
      {events.state === 'ready' && events.value.length > 0 ? (
        <ul>
          {events.value.map((e) => {
            const look = lookOf(e);
            const cam = cameraIdOf(e);
            const camName = cam === null ? null : (cameraList?.find((c) => c.id === cam)?.name ?? `Camera ${cam}`);
            const href = historyUrl({ ...filters, event: e.id });
            return (
              <li key={e.id}>
                <a
                  href={href}
                  data-event-id={e.id}
                  className={`event-related-link feed-tone-${look.tone}`}
                  onClick={(ev) => {
                    if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
                    ev.preventDefault();
                    navigate(href, { scroll: false });
                  }}
                >
                  <span className="feed-icon" aria-hidden="true">
                    <Icon name={look.icon} size={14} />
                  </span>
                  <span className="event-related-title">{look.title}</span>
                  <span className="event-related-meta num">
                    {[camName, formatDateTime(e.timestamp)].filter(Boolean).join(' · ')}
                  </span>
                </a>
              </li>
            );
          })}
        </ul>
      ) : null}
    </section>
  );
}

export function EventDetail({
  id,
  known,
  filters,
  onClose,
}: {
  id: string;
  /** The event when the loaded page has it (no request then). */
  known: EventMessage | null;
  filters: HistoryFilters;
  onClose: () => void;
}) {
  const { list } = useStore(cameras);
  const [fetched, setFetched] = useState<Loading<EventMessage | null>>({ state: 'loading' });
  const [sameCamera, setSameCamera] = useState<Loading<EventMessage[]>>({ state: 'loading' });
  const [samePerson, setSamePerson] = useState<Loading<EventMessage[]>>({ state: 'loading' });
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (known && known.id === id) {
      setFetched({ state: 'ready', value: known });
      return;
    }
    let live = true;
    setFetched({ state: 'loading' });
    fetchEvent(id).then(
      (value) => live && setFetched({ state: 'ready', value }),
      (error: unknown) => live && setFetched({ state: 'error', message: errorText(error) }),
    );
    return () => {
      live = false;
    };
  }, [id, known]);

  const event = fetched.state === 'ready' ? fetched.value : null;
  const cameraId = event ? cameraIdOf(event) : null;
  const person = event ? personOf(event) : null;
  const at = event?.timestamp;

  useEffect(() => {
    if (!at || cameraId === null) {
      setSameCamera({ state: 'ready', value: [] });
      return;
    }
    let live = true;
    setSameCamera({ state: 'loading' });
    const t = Date.parse(at);
    const q = new URLSearchParams({
      types: 'camera_event,alert',
      camera_id: String(cameraId),
      since: new Date(t - TEN_MINUTES).toISOString(),
      until: new Date(t + TEN_MINUTES).toISOString(),
    });
    // The nearest in time: up to 8 just after and 8 just before it.
    Promise.all([fetchNewer(q, { after: id, limit: 8 }), fetchHistory(q, { before: id, limit: 8 })]).then(
      ([newer, older]) => live && setSameCamera({ state: 'ready', value: [...newer, ...older.events] }),
      (error: unknown) => live && setSameCamera({ state: 'error', message: errorText(error) }),
    );
    return () => {
      live = false;
    };
  }, [id, at, cameraId]);

  const personId = person?.id ?? null;
  useEffect(() => {
    if (personId === null) return;
    let live = true;
    setSamePerson({ state: 'loading' });
    fetchHistory(new URLSearchParams({ person_id: String(personId) }), { limit: 11 }).then(
      (page) => live && setSamePerson({ state: 'ready', value: page.events.filter((e) => e.id !== id).slice(0, 10) }),
      (error: unknown) => live && setSamePerson({ state: 'error', message: errorText(error) }),
    );
    return () => {
      live = false;
    };
  }, [id, personId]);

  // A newly opened event is announced by moving focus to its heading (keyboard and screen readers).
  // biome-ignore lint/correctness/useExhaustiveDependencies: on each newly shown event
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
  }, [event?.id]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented && !document.querySelector('dialog[open]')) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const camera = cameraId === null ? null : (list?.find((c) => c.id === cameraId) ?? null);
  const look = event ? lookOf(event) : null;

  return (
    <aside className="card event-detail" data-testid="event-detail" aria-labelledby="event-detail-title">
      <div className="event-detail-head">
        {look ? (
          <span className={`feed-icon feed-tone-${look.tone}`} aria-hidden="true">
            <Icon name={look.icon} size={18} />
          </span>
        ) : null}
        <div className="event-detail-titles">
          <h2 id="event-detail-title" ref={heading} tabIndex={-1}>
            {look ? look.title : fetched.state === 'loading' ? 'Loading event…' : 'Event'}
          </h2>
          {event ? <p className="muted num">{formatDateTime(event.timestamp)}</p> : null}
        </div>
        <button type="button" className="icon-button" aria-label="Close event details" title="Close" onClick={onClose}>
          <Icon name="close" size={18} />
        </button>
      </div>

      {fetched.state === 'error' ? (
        <p className="form-error" role="alert">
          {fetched.message}
        </p>
      ) : null}
      {fetched.state === 'ready' && fetched.value === null ? (
        <div className="empty">
          <Icon name="search" size={22} />
          <p>
            This event is not in the history: it was removed by the retention policy, or it is about a camera you cannot
            see.
          </p>
        </div>
      ) : null}

      {event ? (
        <>
          {event.type !== 'alert_update' && event.snapshot ? (
            <figure className="event-snapshot">
              <img
                src={event.snapshot.url}
                alt={`Snapshot of ${look?.title ?? 'the event'}`}
                data-testid="event-snapshot"
                width={event.snapshot.width}
                height={event.snapshot.height}
              />
            </figure>
          ) : null}
          <dl className="event-fields">
            <Field label="Type">{kindLabel(event)}</Field>
            <Field label="Time">
              <time dateTime={event.timestamp} className="num">
                {new Date(event.timestamp).toLocaleString()}
              </time>
            </Field>
            <Field label="Camera">
              {cameraId === null ? (
                'None (about the whole site)'
              ) : (
                <>
                  <Link href={`/cameras/${cameraId}`}>{camera?.name ?? `Camera ${cameraId}`}</Link>
                  {camera?.location ? <span className="muted"> · {camera.location}</span> : null}
                </>
              )}
            </Field>
            {person ? <Field label="Person">{person.name ?? `Person #${person.id}`}</Field> : null}
            {fieldsOf(event).map(([label, value]) => (
              <Field key={label} label={label}>
                {value}
              </Field>
            ))}
            <Field label="Event id">
              <span className="num">#{event.id}</span>
            </Field>
          </dl>
          {cameraId !== null ? (
            <RelatedList
              testId="related-camera"
              title="Same camera, 10 minutes either side"
              events={sameCamera}
              filters={filters}
              cameraList={list}
              empty="Nothing else on this camera around that time."
            />
          ) : null}
          {person ? (
            <RelatedList
              testId="related-person"
              title={`Other sightings of ${person.name ?? `person #${person.id}`}`}
              events={samePerson}
              filters={filters}
              cameraList={list}
              empty="No other sightings kept."
            />
          ) : null}
        </>
      ) : null}
    </aside>
  );
}
