/**
 * The camera area of the kiosk mode: the live wall's grid (each tile watched only while on screen
 * and the tab visible), large enough to read across a room. While the data is stale the tiles say
 * so instead of showing a status the screen cannot know.
 */
import { cameras } from '../lib/cameras';
import { useStore } from '../lib/store';
import { CameraGrid } from './media/CameraGrid';

export function KioskCameras({ stale }: { stale: boolean }) {
  const { list } = useStore(cameras);
  return (
    <section
      className={`card panel kiosk-cameras${stale ? ' is-stale' : ''}`}
      aria-labelledby="kiosk-cameras-title"
      data-testid="kiosk-cameras"
      data-stale={stale}
    >
      <h2 id="kiosk-cameras-title" className="panel-title">
        Cameras
      </h2>
      {list === null ? (
        <p className="empty">Loading cameras…</p>
      ) : list.length === 0 ? (
        <p className="empty">No cameras yet.</p>
      ) : (
        <CameraGrid cameras={list} maxFps={2} minTileWidth={360} className="kiosk-camera-grid" />
      )}
    </section>
  );
}
