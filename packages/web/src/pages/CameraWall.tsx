/**
 * The camera wall: every camera the user may see as a live tile. Only tiles on screen are watched,
 * none while the tab is hidden. The frame rate is in the URL (`/wall?fps=15`).
 */
import { useMemo } from 'react';
import { Icon } from '../components/Icon';
import { CameraGrid } from '../components/media/CameraGrid';
import { cameras } from '../lib/cameras';
import { useTitle } from '../lib/hooks';
import { navigate, useSearch } from '../lib/router';
import { useStore } from '../lib/store';

const RATES = [1, 5, 15, 30] as const;

export function CameraWallPage() {
  useTitle('Live cameras');
  const { list, error } = useStore(cameras);
  const search = useSearch();
  const fps = useMemo(() => {
    const asked = Number(new URLSearchParams(search).get('fps'));
    return (RATES as readonly number[]).includes(asked) ? asked : 5;
  }, [search]);
  const online = list?.filter((c) => c.active).length ?? 0;
  return (
    <>
      <div className="page-head">
        <div>
          <h1 tabIndex={-1}>Live cameras</h1>
          <p className="page-sub num">
            {list ? `${list.length} cameras · ${online} online · only cameras in view are streamed` : 'Loading…'}
          </p>
        </div>
        <div className="wall-controls">
          <label htmlFor="wall-fps" className="muted">
            Frame rate
          </label>
          <select
            id="wall-fps"
            value={fps}
            onChange={(e) => navigate(`/wall?fps=${e.target.value}`, { replace: true, scroll: false })}
          >
            {RATES.map((r) => (
              <option key={r} value={r}>
                {r} fps
              </option>
            ))}
          </select>
        </div>
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {list && list.length === 0 ? (
        <div className="empty card">
          <Icon name="camera" size={24} />
          <p>No cameras yet.</p>
        </div>
      ) : null}
      {list ? <CameraGrid cameras={list} maxFps={fps} /> : null}
    </>
  );
}
