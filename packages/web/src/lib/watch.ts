/**
 * Cameras this browser watches. Watching narrows the live feed, chart and camera alerts to
 * those cameras (a `subscribe` with `camera_ids`), and tells the server who watches what:
 * that is the presence admins see.
 */
import { readJson, writeJson } from './session';

export const WATCH_KEY = 'openeye.watch';

export function readWatchedCameras(): number[] {
  const value = readJson<unknown>(WATCH_KEY, []);
  return Array.isArray(value) ? value.filter((v): v is number => Number.isInteger(v)) : [];
}

export function writeWatchedCameras(ids: readonly number[]): void {
  writeJson(WATCH_KEY, [...new Set(ids)].sort((a, b) => a - b));
}
