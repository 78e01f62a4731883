/**
 * @module @openeye/client/react
 * React bindings: a provider for the client (the shared `wsService` by default) and hooks
 * for the connection status, the newest statistics and any realtime event.
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
  useSyncExternalStore,
} from 'react';
import type { OpenEyeClient } from './client.js';
import type { ClientEventMap } from './events.js';
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
