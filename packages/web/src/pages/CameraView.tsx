/**
 * One camera in full (`/cameras/:id`): the live picture (watched while the tab is visible), its
 * frame rate and the age of the newest frame, the latest snapshot the server holds, and where the
 * server pulls the camera's pictures from.
 */
import { useCameraFrame } from '@openeye/client/react';
import { useCallback, useEffect, useState } from 'react';
import { Icon } from '../components/Icon';
import { frameAge } from '../components/media/CameraTile';
import { usePageVisible } from '../components/media/visibility';
import { cameras } from '../lib/cameras';
import { formatDateTime } from '../lib/format';
import { historyUrl } from '../lib/history';
import { useNow, useTitle } from '../lib/hooks';
import { Link, usePath } from '../lib/router';
import { currentToken } from '../lib/services';
import { useStore } from '../lib/store';
import '../media.css';

type Snapshot = { state: 'loading' } | { state: 'none' } | { state: 'ready'; url: string; at: string | null };

/** The camera's newest frame as the server holds it (`GET /api/cameras/:id/snapshot`), as an object URL. */
function useLatestSnapshot(cameraId: number): [Snapshot, () => void] {
  const [snapshot, setSnapshot] = useState<Snapshot>({ state: 'loading' });
  const [round, setRound] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new round fetches again
  useEffect(() => {
    let live = true;
    let url: string | null = null;
    void (async () => {
      try {
        const token = await currentToken();
        const res = await fetch(`/api/cameras/${cameraId}/snapshot`, {
          headers: { authorization: `Bearer ${token ?? ''}` },
        });
        if (!live) return;
        if (!res.ok) {
          setSnapshot({ state: 'none' });
          return;
        }
        const blob = await res.blob();
        if (!live) return;
        url = URL.createObjectURL(blob);
        setSnapshot({ state: 'ready', url, at: res.headers.get('x-frame-timestamp') });
      } catch {
        if (live) setSnapshot({ state: 'none' });
      }
    })();
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [cameraId, round]);
  return [snapshot, useCallback(() => setRound((r) => r + 1), [])];
}

export function CameraViewPage({ cameraId }: { cameraId: number }) {
  const { list } = useStore(cameras);
  const camera = list?.find((c) => c.id === cameraId) ?? null;
  useTitle(camera?.name ?? 'Camera');
  const visible = usePageVisible();
  const { url, frame, fps } = useCameraFrame(visible ? cameraId : null, { maxFps: 15 });
  const now = useNow(500);
  const [snapshot, refresh] = useLatestSnapshot(cameraId);

  if (list && !camera) {
    return (
      <div className="empty empty--page">
        <Icon name="camera" size={28} />
        <h1 tabIndex={-1}>Camera not found</h1>
        <p>
          There is no camera {cameraId}, or you may not see it. <Link href="/wall">Back to the live cameras</Link>
        </p>
      </div>
    );
  }

  return (
    <>
      <div className="page-head">
        <div>
          <h1 tabIndex={-1}>{camera?.name ?? `Camera ${cameraId}`}</h1>
          <p className="page-sub">
            {camera ? (
              <>
                <span className={`dot ${camera.active ? 'dot--on' : 'dot--off'}`} aria-hidden="true" />{' '}
                {camera.active ? 'Online' : 'Offline'}
                {camera.location ? ` · ${camera.location}` : ''}
              </>
            ) : (
              'Loading…'
            )}
          </p>
        </div>
        <div className="row-actions">
          <Link className="button button--ghost" href="/wall">
            <Icon name="dashboard" size={16} /> All cameras
          </Link>
          <Link className="button button--ghost" href={historyUrl({ camera: cameraId })}>
            <Icon name="clock" size={16} /> Event history
          </Link>
        </div>
      </div>

      <div className="camera-view" data-testid="camera-view">
        <section className="card panel" aria-label="Live picture">
          <div className="camera-view-media">
            {url ? (
              <img src={url} alt={`${camera?.name ?? 'Camera'}, live`} data-testid="view-frame" />
            ) : (
              <div className="camera-tile-empty">
                <Icon name="camera" size={30} />
                <span>{visible ? 'Waiting for the camera…' : 'Paused while the tab is hidden'}</span>
              </div>
            )}
            {url ? (
              <span className="camera-tile-live" aria-hidden="true">
                <span className="dot dot--rec" /> Live
              </span>
            ) : null}
          </div>
          <dl className="camera-view-stats">
            <div className="camera-view-stat">
              <dt>Frame rate</dt>
              <dd className="num" data-testid="view-fps">
                {fps.toFixed(1)} fps
              </dd>
            </div>
            <div className="camera-view-stat">
              <dt>Frame age</dt>
              <dd className="num" data-testid="view-age">
                {frameAge(frame?.timestamp, now)}
              </dd>
            </div>
            <div className="camera-view-stat">
              <dt>Picture</dt>
              <dd className="num">{frame ? `${frame.width}×${frame.height}` : '—'}</dd>
            </div>
          </dl>
        </section>

        <div className="camera-view-side">
          <section className="card panel" aria-label="Latest snapshot">
            <div className="panel-head">
              <div>
                <h2 className="panel-title">Latest snapshot</h2>
                <p className="panel-sub">
                  {snapshot.state === 'ready' && snapshot.at
                    ? formatDateTime(snapshot.at)
                    : 'The newest frame the server holds'}
                </p>
              </div>
              <button
                type="button"
                className="icon-button"
                aria-label="Refresh the snapshot"
                title="Refresh"
                onClick={refresh}
              >
                <Icon name="refresh" size={16} />
              </button>
            </div>
            {snapshot.state === 'ready' ? (
              <img
                src={snapshot.url}
                alt={`${camera?.name ?? 'Camera'}, latest snapshot`}
                data-testid="view-snapshot"
              />
            ) : (
              <p className="muted">
                {snapshot.state === 'loading' ? 'Loading…' : 'No frame has arrived from this camera yet.'}
              </p>
            )}
          </section>
          <section className="card panel" aria-label="Sources">
            <h2 className="panel-title">Where the pictures come from</h2>
            <p className="panel-sub">
              Pushed by a producer, or pulled by the server while someone watches. Admins set the URLs under Cameras.
            </p>
            <dl className="event-fields">
              <div className="event-field">
                <dt>Snapshot URL</dt>
                <dd>{camera?.snapshot_url ?? 'None'}</dd>
              </div>
              <div className="event-field">
                <dt>MJPEG stream</dt>
                <dd>{camera?.mjpeg_url ?? 'None'}</dd>
              </div>
            </dl>
          </section>
        </div>
      </div>
    </>
  );
}

/** `/cameras/:id` as a page of the route table: the id from the path, a fresh view per camera. */
export function CameraViewRoute() {
  const path = usePath();
  return <CameraViewPage key={path} cameraId={Number(path.slice('/cameras/'.length))} />;
}
