/**
 * One live camera tile: the newest frame while the tile is on screen and the tab visible (watched
 * through `useCameraFrame`, whose object URLs are revoked as frames replace each other), the
 * camera's name and state, and how old the frame is. Opens the camera's full view.
 */
import { useCameraFrame } from '@openeye/client/react';
import type { Camera } from '@openeye/protocol';
import { memo, useRef } from 'react';
import { useNow } from '../../lib/hooks';
import { Link } from '../../lib/router';
import { Icon } from '../Icon';
import { useOnScreen, usePageVisible } from './visibility';

export function frameAge(timestamp: number | undefined, now: number): string {
  if (timestamp === undefined) return '—';
  const ms = Math.max(0, now - timestamp);
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

export const CameraTile = memo(function CameraTile({ camera, maxFps }: { camera: Camera; maxFps: number }) {
  const ref = useRef<HTMLElement>(null);
  const onScreen = useOnScreen(ref);
  const visible = usePageVisible();
  const watching = onScreen && visible;
  const { url, frame } = useCameraFrame(watching ? camera.id : null, { maxFps });
  const now = useNow(1000);
  const stale = frame !== null && now - frame.timestamp > 5000;
  return (
    <article
      ref={ref}
      className={`camera-tile${stale ? ' is-stale' : ''}`}
      data-testid="camera-tile"
      data-camera-id={camera.id}
      data-watching={watching}
      data-seq={frame?.seq ?? ''}
      aria-label={camera.name}
    >
      <Link href={`/cameras/${camera.id}`} className="camera-tile-link" title={`Open ${camera.name}`}>
        <div className="camera-tile-media">
          {url ? (
            <img src={url} alt={`${camera.name}, live`} data-testid="tile-frame" />
          ) : (
            <div className="camera-tile-empty">
              <Icon name="camera" size={26} />
              <span>
                {watching ? (camera.active ? 'Waiting for the camera…' : 'Camera offline') : 'Paused off screen'}
              </span>
            </div>
          )}
          {url ? (
            <span className="camera-tile-live" aria-hidden="true">
              <span className="dot dot--rec" /> Live
            </span>
          ) : null}
        </div>
        <div className="camera-tile-bar">
          <span className={`dot ${camera.active ? 'dot--on' : 'dot--off'}`} aria-hidden="true" />
          <span className="camera-tile-name">{camera.name}</span>
          <span className="camera-tile-age num" title="Age of the newest frame">
            {frame ? frameAge(frame.timestamp, now) : (camera.location ?? '')}
          </span>
        </div>
      </Link>
    </article>
  );
});
