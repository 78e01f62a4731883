/**
 * The camera list, shared by every page: loaded once, patched live from camera events
 * (online/offline, recording, last seen) and reloaded when the camera count changes.
 */
import type { OpenEyeApi, OpenEyeClient } from '@openeye/client';
import type { Camera } from '@openeye/protocol';
import { Store } from './store';

export interface CamerasState {
  list: Camera[] | null;
  error: string | null;
}

export const cameras = new Store<CamerasState>({ list: null, error: null });

let loading: Promise<void> | null = null;
let again = false;

export function loadCameras(api: OpenEyeApi): Promise<void> {
  if (loading) {
    again = true;
    return loading;
  }
  loading = api
    .listCameras()
    .then(
      (list) => cameras.set({ list: [...list].sort((a, b) => a.id - b.id), error: null }),
      (error: unknown) =>
        cameras.set((state) => ({
          ...state,
          error: error instanceof Error ? error.message : 'Could not load cameras',
        })),
    )
    .finally(() => {
      loading = null;
      if (again) {
        again = false;
        void loadCameras(api);
      }
    });
  return loading;
}

/** Applies a change the page made itself (create, update, delete) without waiting for a reload. */
export function upsertCamera(camera: Camera): void {
  cameras.set((state) => {
    const list = state.list ?? [];
    const next = list.some((c) => c.id === camera.id)
      ? list.map((c) => (c.id === camera.id ? camera : c))
      : [...list, camera].sort((a, b) => a.id - b.id);
    return { ...state, list: next };
  });
}

export function removeCamera(id: number): void {
  cameras.set((state) => ({ ...state, list: state.list?.filter((c) => c.id !== id) ?? null }));
}

export function cameraName(id: number | undefined | null, list: readonly Camera[] | null): string | null {
  if (id === undefined || id === null) return null;
  return list?.find((c) => c.id === id)?.name ?? `Camera ${id}`;
}

const PATCHES: Record<string, Partial<Camera>> = {
  camera_online: { active: true },
  camera_offline: { active: false },
  recording_started: { recording: true },
  recording_stopped: { recording: false },
};

export function resetCameras(): void {
  cameras.set({ list: null, error: null });
}

export function attachCameras(client: OpenEyeClient, api: OpenEyeApi): () => void {
  let reloadTimer: ReturnType<typeof setTimeout> | undefined;
  const reloadSoon = () => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => void loadCameras(api), 250);
  };
  const offs = [
    client.on('camera_event', (event) => {
      const state = cameras.get();
      if (!state.list) return;
      if (!state.list.some((c) => c.id === event.camera_id)) {
        reloadSoon();
        return;
      }
      const patch = PATCHES[event.event_type] ?? {};
      cameras.set({
        ...state,
        list: state.list.map((c) =>
          c.id === event.camera_id ? { ...c, ...patch, last_seen_at: laterOf(c.last_seen_at, event.timestamp) } : c,
        ),
      });
    }),
    client.on('statistics_update', ({ data }) => {
      const list = cameras.get().list;
      if (!list) return;
      const active = list.filter((c) => c.active).length;
      const recording = list.filter((c) => c.recording).length;
      if (
        data.cameras.total_cameras !== list.length ||
        data.cameras.active_cameras !== active ||
        data.cameras.recording_cameras !== recording
      ) {
        reloadSoon();
      }
    }),
  ];
  return () => {
    clearTimeout(reloadTimer);
    for (const off of offs) off();
  };
}

function laterOf(a: string | null, b: string): string {
  return a !== null && a > b ? a : b;
}
