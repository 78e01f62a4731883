/**
 * Event history: every stored camera event and alert, newest first, filtered by time, camera, type
 * and severity, paged back through `GET /api/events?before=`. The filters and the open event live
 * in the URL (`/history?camera=3&type=alert&event=123`): a reload, a shared link and back/forward
 * all show the same view. `/history?event=<id>` opens that event even when it is older than any
 * loaded page (it is fetched by id).
 */
import type { EventMessage } from '@openeye/protocol';
import { useEffect, useId, useMemo, useState } from 'react';
import { Icon } from '../components/Icon';
import { cameraName, cameras } from '../lib/cameras';
import { formatDateTime } from '../lib/format';
import {
  CAMERA_EVENT_KINDS,
  cameraIdOf,
  errorText,
  eventsQuery,
  fetchHistory,
  type HistoryFilters,
  historyUrl,
  readFilters,
} from '../lib/history';
import { useTitle } from '../lib/hooks';
import { lookOf } from '../lib/look';
import { navigate, useSearch } from '../lib/router';
import { useStore } from '../lib/store';
import { EventDetail } from './EventDetail';
import '../history.css';

const PAGE = 50;

interface Loaded {
  /** The query these events answer (a change of filters starts over). */
  key: string;
  events: EventMessage[];
  hasMore: boolean;
  loading: boolean;
  error: string | null;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

export function HistoryPage() {
  useTitle('History');
  const search = useSearch();
  const filters = useMemo(() => readFilters(search), [search]);
  const { list } = useStore(cameras);
  // The query without the open event: opening an event does not reload the list.
  const listKey = historyUrl({ ...filters, event: null });
  // Relative ranges ("last hour") are taken from when the filters were set.
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new key is a new query
  const query = useMemo(() => eventsQuery(filters), [listKey]);
  const [loaded, setLoaded] = useState<Loaded>({ key: '', events: [], hasMore: false, loading: true, error: null });

  useEffect(() => {
    let live = true;
    setLoaded({ key: listKey, events: [], hasMore: false, loading: true, error: null });
    fetchHistory(query, { limit: PAGE }).then(
      (page) =>
        live && setLoaded({ key: listKey, events: page.events, hasMore: page.hasMore, loading: false, error: null }),
      (error: unknown) =>
        live && setLoaded({ key: listKey, events: [], hasMore: false, loading: false, error: errorText(error) }),
    );
    return () => {
      live = false;
    };
  }, [listKey, query]);

  const loadOlder = () => {
    const oldest = loaded.events.at(-1);
    if (!oldest || loaded.loading) return;
    setLoaded((s) => ({ ...s, loading: true, error: null }));
    fetchHistory(query, { limit: PAGE, before: oldest.id }).then(
      (page) =>
        setLoaded((s) =>
          s.key === listKey
            ? { ...s, events: [...s.events, ...page.events], hasMore: page.hasMore, loading: false }
            : s,
        ),
      (error: unknown) => setLoaded((s) => (s.key === listKey ? { ...s, loading: false, error: errorText(error) } : s)),
    );
  };

  /** Changes filters: a new history entry, so Back returns to the previous filters. */
  const setFilters = (patch: Partial<HistoryFilters>) =>
    navigate(historyUrl({ ...filters, ...patch, event: null }), { scroll: false });
  const open = (id: string) => navigate(historyUrl({ ...filters, event: id }), { scroll: false });
  const close = () => navigate(historyUrl({ ...filters, event: null }), { scroll: false });

  const ids = {
    camera: useId(),
    type: useId(),
    severity: useId(),
    kind: useId(),
    range: useId(),
    from: useId(),
    to: useId(),
  };
  const filtered =
    filters.camera !== null ||
    filters.type !== '' ||
    filters.severity !== '' ||
    filters.kind !== '' ||
    filters.range !== '' ||
    filters.person !== null;

  let lastDay = '';
  return (
    <>
      <div className="page-head">
        <div>
          <h1 tabIndex={-1}>History</h1>
          <p className="page-sub">Every camera event and alert the server keeps, newest first.</p>
        </div>
      </div>

      <section className="card history-filters" aria-label="Filters">
        <div className="history-filter">
          <label htmlFor={ids.range}>Time</label>
          <select
            id={ids.range}
            value={filters.range}
            onChange={(e) => setFilters({ range: e.target.value as HistoryFilters['range'] })}
          >
            <option value="">Any time</option>
            <option value="1h">Last hour</option>
            <option value="24h">Last 24 hours</option>
            <option value="7d">Last 7 days</option>
            <option value="30d">Last 30 days</option>
            <option value="custom">Between…</option>
          </select>
        </div>
        {filters.range === 'custom' ? (
          <>
            <div className="history-filter">
              <label htmlFor={ids.from}>From</label>
              <input
                id={ids.from}
                type="datetime-local"
                value={filters.from}
                max={filters.to || undefined}
                onChange={(e) => setFilters({ from: e.target.value })}
              />
            </div>
            <div className="history-filter">
              <label htmlFor={ids.to}>To</label>
              <input
                id={ids.to}
                type="datetime-local"
                value={filters.to}
                min={filters.from || undefined}
                onChange={(e) => setFilters({ to: e.target.value })}
              />
            </div>
          </>
        ) : null}
        <div className="history-filter">
          <label htmlFor={ids.camera}>Camera</label>
          <select
            id={ids.camera}
            value={filters.camera ?? ''}
            onChange={(e) => setFilters({ camera: e.target.value ? Number(e.target.value) : null })}
          >
            <option value="">All cameras</option>
            {(list ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
            {filters.camera !== null && !list?.some((c) => c.id === filters.camera) ? (
              <option value={filters.camera}>{cameraName(filters.camera, list)}</option>
            ) : null}
          </select>
        </div>
        <div className="history-filter">
          <label htmlFor={ids.type}>Type</label>
          <select
            id={ids.type}
            value={filters.type}
            onChange={(e) => {
              const type = e.target.value as HistoryFilters['type'];
              setFilters({
                type,
                severity: type === 'camera_event' || type === 'alert_update' ? '' : filters.severity,
                kind: type === 'alert' || type === 'alert_update' ? '' : filters.kind,
              });
            }}
          >
            <option value="">Events and alerts</option>
            <option value="alert">Alerts</option>
            <option value="camera_event">Camera events</option>
            <option value="alert_update">Alert handling</option>
          </select>
        </div>
        {filters.type === 'alert' || filters.type === '' ? (
          <div className="history-filter">
            <label htmlFor={ids.severity}>Severity</label>
            <select
              id={ids.severity}
              value={filters.severity}
              onChange={(e) => setFilters({ severity: e.target.value as HistoryFilters['severity'] })}
            >
              <option value="">Any severity</option>
              <option value="critical">Critical</option>
              <option value="warning">Warning</option>
              <option value="info">Info</option>
            </select>
          </div>
        ) : null}
        {filters.type === 'camera_event' || filters.type === '' ? (
          <div className="history-filter">
            <label htmlFor={ids.kind}>Event</label>
            <select id={ids.kind} value={filters.kind} onChange={(e) => setFilters({ kind: e.target.value })}>
              <option value="">Any event</option>
              {CAMERA_EVENT_KINDS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
              {filters.kind && !CAMERA_EVENT_KINDS.some(([v]) => v === filters.kind) ? (
                <option value={filters.kind}>{filters.kind}</option>
              ) : null}
            </select>
          </div>
        ) : null}
        {filters.person !== null ? (
          <span className="pill history-chip">
            Person #{filters.person}
            <button
              type="button"
              className="icon-button"
              aria-label="Show every person"
              onClick={() => setFilters({ person: null })}
            >
              <Icon name="close" size={14} />
            </button>
          </span>
        ) : null}
        {filtered ? (
          <button type="button" className="button button--ghost button--small" onClick={() => navigate('/history')}>
            Clear filters
          </button>
        ) : null}
      </section>

      <div className={`history-grid${filters.event ? ' has-detail' : ''}`}>
        <section className="card history-list" aria-label="Events" aria-busy={loaded.loading}>
          {loaded.error ? (
            <p className="form-error" role="alert">
              <Icon name="warning" size={16} /> {loaded.error}
            </p>
          ) : null}
          <ol className="history-rows">
            {loaded.events.map((event) => {
              const day = dayFormat.format(new Date(event.timestamp));
              const showDay = day !== lastDay;
              lastDay = day;
              const look = lookOf(event);
              const camera = cameraName(cameraIdOf(event), list);
              const active = filters.event === event.id;
              return (
                <li key={event.id} className="history-item">
                  {showDay ? <div className="history-day">{day}</div> : null}
                  <a
                    href={historyUrl({ ...filters, event: event.id })}
                    className={`history-row feed-tone-${look.tone}${active ? ' is-active' : ''}`}
                    aria-current={active ? 'true' : undefined}
                    data-testid="history-row"
                    data-event-id={event.id}
                    onClick={(e) => {
                      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
                      e.preventDefault();
                      open(event.id);
                    }}
                  >
                    <span className="feed-icon" aria-hidden="true">
                      <Icon name={look.icon} size={16} />
                    </span>
                    <span className="history-body">
                      <span className="feed-title">{look.title}</span>
                      <span className="feed-meta">{[camera, look.detail].filter(Boolean).join(' · ') || '—'}</span>
                    </span>
                    <time className="feed-time num" dateTime={event.timestamp} title={formatDateTime(event.timestamp)}>
                      {timeFormat.format(new Date(event.timestamp))}
                    </time>
                  </a>
                </li>
              );
            })}
          </ol>
          {!loaded.loading && !loaded.error && loaded.events.length === 0 ? (
            <div className="empty">
              <Icon name="search" size={24} />
              <p>{filtered ? 'No events match these filters.' : 'No events yet.'}</p>
            </div>
          ) : null}
          <div className="history-more">
            {loaded.loading ? (
              <span className="muted">Loading…</span>
            ) : loaded.hasMore ? (
              <button type="button" className="button button--ghost" onClick={loadOlder}>
                Load older events
              </button>
            ) : loaded.events.length > 0 ? (
              <span className="muted">This is the oldest event kept.</span>
            ) : null}
          </div>
        </section>
        {filters.event ? (
          <EventDetail
            id={filters.event}
            known={loaded.events.find((e) => e.id === filters.event) ?? null}
            filters={filters}
            onClose={close}
          />
        ) : null}
      </div>
    </>
  );
}
