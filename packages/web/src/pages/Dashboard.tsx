import { useOpenEyeClient, useStatistics } from '@openeye/client/react';
import type { Camera } from '@openeye/protocol';
import { type KeyboardEvent, memo } from 'react';
import { RecognitionChart } from '../components/Chart';
import { LiveFeed } from '../components/Feed';
import { Icon } from '../components/Icon';
import { StatCard } from '../components/StatCard';
import { cameras } from '../lib/cameras';
import { isStale, useLink } from '../lib/connection';
import { clockTime, formatCount, relativeTime } from '../lib/format';
import { useNow, useTitle } from '../lib/hooks';
import { dismissGap, live, seed } from '../lib/live';
import { Link, navigate } from '../lib/router';
import { api } from '../lib/services';
import { useStore, useStoreSelector } from '../lib/store';
import { watched } from '../lib/watch';

function GapBanner({ onReload }: { onReload: () => void }) {
  return (
    <div className="banner banner--warning" role="alert" data-testid="gap-banner">
      <Icon name="warning" size={20} />
      <div className="banner-text">
        <strong>Some events may be missing.</strong> The connection was away longer than the server keeps its history,
        so the feed and the chart can have holes.
      </div>
      <div className="banner-actions">
        <button type="button" className="button button--small" onClick={onReload}>
          Reload history
        </button>
        <button type="button" className="button button--small button--ghost" onClick={dismissGap}>
          Dismiss
        </button>
      </div>
    </div>
  );
}

function openCamera(event: KeyboardEvent<HTMLLIElement>, id: number): void {
  if (event.key !== 'Enter') return;
  event.preventDefault();
  navigate(`/cameras/${id}`);
}

export const CameraStrip = memo(function CameraStrip({
  list,
  now,
  stale = false,
}: {
  list: Camera[] | null;
  now: number;
  stale?: boolean;
}) {
  return (
    <section
      className={`card panel camera-strip-card${stale ? ' is-stale' : ''}`}
      aria-labelledby="strip-title"
      data-testid="cameras-card"
      data-stale={stale}
    >
      <header className="panel-head">
        <div>
          <h2 id="strip-title" className="panel-title">
            Cameras
          </h2>
          <p className="panel-sub">Live status</p>
        </div>
        <Link href="/cameras" className="button button--small button--ghost">
          Manage
        </Link>
      </header>
      {list === null ? (
        <div className="empty">Loading cameras…</div>
      ) : list.length === 0 ? (
        <div className="empty">No cameras yet.</div>
      ) : (
        <ul className="camera-strip">
          {list.map((c) => (
            <li
              key={c.id}
              className={`camera-tile${c.active ? '' : ' is-offline'}`}
              data-camera-id={c.id}
              data-stale={stale}
              // biome-ignore lint/a11y/noNoninteractiveTabindex: tiles are focusable so Enter opens the camera
              tabIndex={0}
              title={stale ? 'Status may be out of date (offline)' : `Open ${c.name}`}
              onKeyDown={(event) => openCamera(event, c.id)}
              onClick={() => navigate(`/cameras/${c.id}`)}
            >
              <span className={`dot ${c.active ? 'dot--on' : 'dot--off'}`} aria-hidden="true" />
              <div className="camera-tile-body">
                <div className="camera-tile-name">{c.name}</div>
                <div className="camera-tile-meta num">
                  {stale ? 'Status unknown' : c.active ? 'Online' : 'Offline'} · {relativeTime(c.last_seen_at, now)}
                </div>
              </div>
              {c.recording ? (
                <span className="badge badge--rec" title="Recording">
                  REC
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
});

export function DashboardPage() {
  useTitle('Dashboard');
  const stats = useStatistics();
  const gap = useStoreSelector(live, (s) => s.gap);
  const buckets = useStoreSelector(live, (s) => s.buckets);
  const seedError = useStoreSelector(live, (s) => s.seedError);
  const { list } = useStore(cameras);
  const stale = isStale(useLink(useOpenEyeClient()).state);
  const watchedIds = useStore(watched);
  const now = useNow(1000);
  const fr = stats?.face_recognition;
  const cams = stats?.cameras;
  // recognitions_today counts every face of the day, unknown ones included.
  const faces = fr ? fr.recognitions_today : 0;
  const watchedNames = watchedIds
    .map((id) => list?.find((c) => c.id === id)?.name)
    .filter((name): name is string => Boolean(name));

  return (
    <div className="dashboard">
      {gap ? (
        <GapBanner onReload={() => void seed(api, watchedIds.length > 0 ? watchedIds : null).then(dismissGap)} />
      ) : null}
      <div className="page-head">
        <div>
          <h1 tabIndex={-1}>Dashboard</h1>
          <p className={`page-sub num${stale ? ' stale-label' : ''}`} data-testid="updated">
            {stale ? <Icon name="warning" size={14} /> : null}
            {stats
              ? `${stale ? 'Offline: numbers may be out of date. Last updated' : 'Statistics updated'} ${relativeTime(stats.timestamp, now)}`
              : 'Waiting for the first statistics…'}
          </p>
        </div>
        {watchedIds.length > 0 ? (
          <div className="chip" title="Only events of the watched cameras are shown in the feed and chart">
            <Icon name="star" size={14} />
            Watching {watchedNames.length > 0 ? watchedNames.join(', ') : `${watchedIds.length} cameras`}
          </div>
        ) : null}
      </div>

      <div className={`stats-grid${stale ? ' is-stale' : ''}`} data-stale={stale}>
        <StatCard
          label="Total people"
          icon="users"
          tone="accent"
          value={formatCount(fr?.total_people)}
          footer="Enrolled for recognition"
          testId="stat-people"
        />
        <StatCard
          label="Recognitions today"
          icon="recognized"
          tone="success"
          value={formatCount(fr?.recognitions_today)}
          footer="Faces seen since midnight, known and unknown"
          testId="stat-recognitions"
        />
        <StatCard
          label="Unknown faces today"
          icon="unknown"
          tone="warning"
          value={formatCount(fr?.unknown_faces_today)}
          footer={
            fr && faces > 0
              ? `${Math.round((fr.unknown_faces_today / faces) * 100)}% of faces today`
              : 'No faces seen today'
          }
          testId="stat-unknown"
        />
        <StatCard
          label="Last recognition"
          icon="clock"
          tone="info"
          value={fr ? relativeTime(fr.last_recognition, now) : '—'}
          footer={fr?.last_recognition ? `at ${clockTime(fr.last_recognition)}` : 'Nobody recognized yet'}
          testId="stat-last"
        />
        <section
          className="card stat stat--neutral stat-cameras"
          aria-label="Cameras"
          data-testid="stat-cameras"
          data-stale={stale}
        >
          <header className="stat-head">
            <span className="stat-label">Cameras</span>
            <span className="stat-icon">
              <Icon name="camera" size={18} />
            </span>
          </header>
          <dl className="triple">
            <div>
              <dt>Total</dt>
              <dd className="num" data-testid="stat-cameras-total">
                {formatCount(cams?.total_cameras)}
              </dd>
            </div>
            <div>
              <dt>Active</dt>
              <dd className="num tone-success" data-testid="stat-cameras-active">
                {formatCount(cams?.active_cameras)}
              </dd>
            </div>
            <div>
              <dt>Recording</dt>
              <dd className="num tone-danger" data-testid="stat-cameras-recording">
                {formatCount(cams?.recording_cameras)}
              </dd>
            </div>
          </dl>
        </section>
      </div>

      <div className="dash-grid">
        <div className="dash-main">
          <section className="card panel chart-card" aria-labelledby="chart-title">
            <header className="panel-head">
              <div>
                <h2 id="chart-title" className="panel-title">
                  Recognitions per minute
                </h2>
                <p className="panel-sub">
                  Last 60 minutes · {watchedIds.length > 0 ? 'watched cameras' : 'all cameras'}
                </p>
              </div>
            </header>
            <RecognitionChart buckets={buckets} now={now} />
            {seedError ? (
              <p className="form-error" role="alert">
                History could not be loaded: {seedError}
              </p>
            ) : null}
          </section>
          <CameraStrip list={list} now={now} stale={stale} />
        </div>
        <LiveFeed cameras={list} stale={stale} />
      </div>
    </div>
  );
}
