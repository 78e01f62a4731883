/**
 * The camera area of the wall/kiosk mode. A slot: the camera wall (live pictures) is another
 * component of the dashboard; when it exists, render it here. Until then, each camera's name and
 * live status, large enough to read across a room.
 */
import { cameras } from '../lib/cameras';
import { useStore } from '../lib/store';

export function KioskCameras({ stale }: { stale: boolean }) {
  const { list } = useStore(cameras);
  return (
    <section className="card panel kiosk-cameras" aria-labelledby="kiosk-cameras-title" data-testid="kiosk-cameras">
      <h2 id="kiosk-cameras-title" className="panel-title">
        Cameras
      </h2>
      {list === null ? (
        <p className="empty">Loading cameras…</p>
      ) : (
        <ul className="kiosk-camera-grid">
          {list.map((c) => (
            <li
              key={c.id}
              className={`kiosk-camera${c.active ? '' : ' is-offline'}`}
              data-camera-id={c.id}
              data-stale={stale}
            >
              <span className={`dot ${c.active ? 'dot--on' : 'dot--off'}`} aria-hidden="true" />
              <span className="kiosk-camera-name">{c.name}</span>
              <span className="kiosk-camera-state">{stale ? 'Status unknown' : c.active ? 'Online' : 'Offline'}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
