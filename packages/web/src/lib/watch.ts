/**
 * Cameras this browser watches. Watching narrows the live feed, chart and camera alerts to
 * those cameras (a `subscribe` with `camera_ids`), and tells the server who watches what:
 * that is the presence admins see. Kept in localStorage.
 */
import { readJson, writeJson } from './session';
import { Store } from './store';

export const WATCH_KEY = 'openeye.watch';

export function readWatchedCameras(): number[] {
  const value = readJson<unknown>(WATCH_KEY, []);
  return Array.isArray(value) ? value.filter((v): v is number => Number.isInteger(v)) : [];
}

export const watched = new Store<readonly number[]>(readWatchedCameras());

export function setWatched(ids: readonly number[]): void {
  const next = [...new Set(ids)].sort((a, b) => a - b);
  writeJson(WATCH_KEY, next);
  watched.set(next);
}
