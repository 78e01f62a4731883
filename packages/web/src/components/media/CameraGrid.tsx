/**
 * A grid of live camera tiles, for the camera wall and the kiosk/wall mode. Each tile watches its
 * camera only while on screen and while the tab is visible, so a wall of 50 cameras streams only
 * the few in view.
 */
import type { Camera } from '@openeye/protocol';
import '../../media.css';
import { CameraTile } from './CameraTile';

export interface CameraGridProps {
  cameras: readonly Camera[];
  /** Frames per second each tile asks for (the server caps it); default 5. */
  maxFps?: number;
  /** Minimum tile width in px; the grid fits as many columns as it can. Default 300. */
  minTileWidth?: number;
  className?: string;
}

export function CameraGrid({ cameras, maxFps = 5, minTileWidth = 300, className }: CameraGridProps) {
  return (
    <div
      className={`camera-grid${className ? ` ${className}` : ''}`}
      style={{ gridTemplateColumns: `repeat(auto-fill, minmax(min(${minTileWidth}px, 100%), 1fr))` }}
      data-testid="camera-grid"
    >
      {cameras.map((c) => (
        <CameraTile key={c.id} camera={c} maxFps={maxFps} />
      ))}
    </div>
  );
}
