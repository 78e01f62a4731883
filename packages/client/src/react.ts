/**
 * @module @openeye/client/react
 * React bindings: a provider for the client (the shared `wsService` by default) and hooks
 * for the connection status, the newest statistics, any realtime event and a camera's live view.
 */
import type { Statistics } from '@openeye/protocol';
import {
  createContext,
  createElement,
  type ReactElement,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import type { OpenEyeClient } from './client.js';
import type { ClientEventMap } from './events.js';
import type { CameraFrame, WatchOptions } from './media.js';
import wsService from './singleton.js';
import type { ConnectionStatus } from './state-machine.js';

const ClientContext = createContext<OpenEyeClient | null>(null);

export interface OpenEyeProviderProps {
  /** The client the hooks below use. Default: the shared `wsService`. */
  client?: OpenEyeClient;
  children?: ReactNode;
}

/**
 * Makes a client available to the hooks. Connecting stays the application's call (`client.connect()`).
 * @example
 * <OpenEyeProvider client={client}><Dashboard /></OpenEyeProvider>
 */
export function OpenEyeProvider({ client, children }: OpenEyeProviderProps): ReactElement {
  return createElement(ClientContext.Provider, { value: client ?? wsService }, children);
}

/** The provider's client, or the shared `wsService` outside any provider. */
export function useOpenEyeClient(): OpenEyeClient {
  return useContext(ClientContext) ?? wsService;
}

/**
 * The connection status, re-rendering on every change; `reason` says why the client is not connected.
 * @example
 * const { status, reason } = useConnectionStatus();
 */
export function useConnectionStatus(): { status: ConnectionStatus; reason: string | null } {
  const client = useOpenEyeClient();
  const subscribe = useCallback((notify: () => void) => client.on('status_change', notify), [client]);
  const status = useSyncExternalStore(
    subscribe,
    () => client.getStatus(),
    () => client.getStatus(),
  );
  const error = useSyncExternalStore(
    subscribe,
    () => client.getLastError(),
    () => client.getLastError(),
  );
  const reason = status === 'connected' ? null : error;
  return useMemo(() => ({ status, reason }), [status, reason]);
}

/** The newest statistics (`statistics_update.data`), or null before the first arrives. */
export function useStatistics(): Statistics | null {
  const client = useOpenEyeClient();
  const subscribe = useCallback((notify: () => void) => client.on('statistics_update', notify), [client]);
  return useSyncExternalStore(
    subscribe,
    () => client.getStatistics(),
    () => client.getStatistics(),
  );
}

/**
 * Calls `handler` for every event of `type`. The handler may change on every render; the
 * subscription does not (it is made once per client and type).
 * @example
 * useRealtimeEvent('alert', (alert) => toast(alert.data.message));
 */
export function useRealtimeEvent<K extends keyof ClientEventMap>(
  type: K,
  handler: (payload: ClientEventMap[K]) => void,
): void {
  const client = useOpenEyeClient();
  const ref = useRef(handler);
  useEffect(() => {
    ref.current = handler;
  });
  useEffect(() => client.on(type, (payload) => ref.current(payload)), [client, type]);
}

/** What `useCameraFrame` gives: the newest frame as an object URL (for an `<img>`), and about it. */
export interface CameraView {
  /** An object URL of the newest frame, or null before the first; revoked when replaced or on unmount. */
  url: string | null;
  /** The newest frame's header (no bytes). */
  frame: Omit<CameraFrame, 'bytes'> | null;
  /** Frames per second received over the last few seconds. */
  fps: number;
}

/**
 * Watches a camera while the component is mounted (and `cameraId` is not null): the newest frame
 * as an object URL. Each URL is revoked as soon as the next replaces it, so a page showing
 * thousands of frames holds one image per camera, not all of them.
 * @example
 * const { url } = useCameraFrame(cameraId, { maxFps: 5 });
 * return url ? <img src={url} alt="Front door, live" /> : <p>Waiting for the camera…</p>;
 */
export function useCameraFrame(cameraId: number | null, options: WatchOptions = {}): CameraView {
  const client = useOpenEyeClient();
  const [view, setView] = useState<CameraView>({ url: null, frame: null, fps: 0 });
  const maxFps = options.maxFps;
  useEffect(() => {
    if (cameraId === null || typeof URL === 'undefined' || typeof Blob === 'undefined') return;
    let current: string | null = null;
    const arrivals: number[] = [];
    const stop = client.watch(cameraId, maxFps === undefined ? {} : { maxFps }, (frame) => {
      const { bytes, ...header } = frame;
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: frame.contentType }));
      if (current) URL.revokeObjectURL(current);
      current = url;
      const now = Date.now();
      arrivals.push(now);
      while (arrivals.length > 0 && arrivals[0]! < now - 3000) arrivals.shift();
      setView({ url, frame: header, fps: arrivals.length / 3 });
    });
    return () => {
      stop();
      if (current) URL.revokeObjectURL(current);
      current = null;
      setView({ url: null, frame: null, fps: 0 });
    };
  }, [client, cameraId, maxFps]);
  return view;
}
