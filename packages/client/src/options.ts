/**
 * @module options
 * `ClientOptions`, their defaults, and the checks made when a client is built.
 */
import type { EventType } from '@openeye/protocol';
import { DEFAULT_SUBSCRIPTIONS } from '@openeye/protocol/constants';
import type { TokenProvider } from './api.js';
import type { WebSocketConstructor } from './transport.js';

export interface BackoffOptions {
  /** Delay scale of the first retry, in ms. Default 1000. */
  baseMs?: number;
  /** Upper bound of any delay, in ms. Default 30000. */
  capMs?: number;
  /** Consecutive attempts without a welcome before giving up (status `error`). Default `Infinity`: never. */
  maxAttempts?: number;
}

export interface ClientOptions {
  /**
   * http(s) origin(s) of the server, optionally with a path prefix. Several: the client fails
   * over to the next one whenever an attempt fails or the connection drops.
   * Default: `window.location.origin`.
   */
  baseUrl?: string | string[];
  /**
   * Returns the current JWT (sync or async). Asked before every connect attempt, after the server
   * refused a token (once), before polling requests, and `refreshBeforeExpiryMs` before the
   * token expires (the fresh one is sent as an `auth` message, without reconnecting).
   * Throwing counts as a transient failure (retried with backoff); returning nothing after the
   * server refused the token ends in status `error` and an `auth_error` event.
   */
  getToken?: TokenProvider;
  /** WebSocket implementation, e.g. `ws` in Node 20. Default: `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** fetch implementation for polling. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Reconnect backoff (full jitter). */
  backoff?: BackoffOptions;
  /** Consecutive failed socket attempts (never welcomed) before polling starts. Default 3. */
  pollingAfterFailures?: number;
  /** Polling period while the socket is down, in ms. Default 5000. */
  pollIntervalMs?: number;
  /** Send a fresh token this long before `token_expires_at`, in ms. Default 60000 (half the lifetime when shorter). */
  refreshBeforeExpiryMs?: number;
  /** Give up on an attempt that has no welcome after this long, in ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Least delay before the next attempt after `1008 Rate limit exceeded`, in ms (jittered up to twice). Default 30000. */
  rateLimitBackoffMs?: number;
  /** Event types to subscribe to, re-sent after every (re)connect. Default: `statistics_update`, `camera_event`, `alert`. */
  eventTypes?: EventType[];
  /** Camera filter for `camera_event` and camera-scoped alerts; null: all cameras (default). */
  cameraIds?: number[] | null;
  /** Resume cursor to start from: events up to this id are treated as already delivered. */
  lastEventId?: string | null;
  /**
   * Put the token in the socket URL (`?token=`), as the seed guide does, instead of sending it as
   * the first message (`?auth=message`, protocol version 2), which keeps it out of URLs and proxy
   * logs. Default false; true only for a server that speaks version 1 of the protocol.
   */
  tokenInUrl?: boolean;
  /**
   * One connection per browser, shared by the tabs of this origin (Web Locks + BroadcastChannel):
   * one tab leads and holds the socket, the others get its messages; when it closes another takes
   * over within a second or two and resumes from the last event id. A string names the group (tabs
   * sharing a connection must use the same server, token user and subscriptions). Where the browser
   * cannot (no `navigator.locks`), each tab connects on its own. Default false.
   */
  shareConnection?: boolean | string;
}

export interface Settings {
  baseMs: number;
  capMs: number;
  maxAttempts: number;
  pollingAfterFailures: number;
  pollIntervalMs: number;
  refreshBeforeExpiryMs: number;
  connectTimeoutMs: number;
  rateLimitBackoffMs: number;
  eventTypes: EventType[];
  cameraIds: number[] | null;
  tokenInUrl: boolean;
}

/** Defaults spread under the given options; throws a `TypeError` naming the first invalid option. */
export function resolveSettings(options: ClientOptions): Settings {
  const settings: Settings = {
    baseMs: options.backoff?.baseMs ?? 1000,
    capMs: options.backoff?.capMs ?? 30_000,
    maxAttempts: options.backoff?.maxAttempts ?? Number.POSITIVE_INFINITY,
    pollingAfterFailures: options.pollingAfterFailures ?? 3,
    pollIntervalMs: options.pollIntervalMs ?? 5000,
    refreshBeforeExpiryMs: options.refreshBeforeExpiryMs ?? 60_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    rateLimitBackoffMs: options.rateLimitBackoffMs ?? 30_000,
    eventTypes: [...(options.eventTypes ?? DEFAULT_SUBSCRIPTIONS)],
    cameraIds: options.cameraIds ?? null,
    tokenInUrl: options.tokenInUrl ?? false,
  };
  const checks: [keyof Settings, string, boolean][] = [
    ['baseMs', 'backoff.baseMs', settings.baseMs >= 0],
    ['capMs', 'backoff.capMs', settings.capMs >= 0],
    ['maxAttempts', 'backoff.maxAttempts', settings.maxAttempts >= 1],
    ['pollingAfterFailures', 'pollingAfterFailures', settings.pollingAfterFailures >= 1],
    ['pollIntervalMs', 'pollIntervalMs', settings.pollIntervalMs > 0],
    ['refreshBeforeExpiryMs', 'refreshBeforeExpiryMs', settings.refreshBeforeExpiryMs >= 0],
    ['connectTimeoutMs', 'connectTimeoutMs', settings.connectTimeoutMs > 0],
    ['rateLimitBackoffMs', 'rateLimitBackoffMs', settings.rateLimitBackoffMs >= 0],
  ];
  for (const [key, name, ok] of checks) {
    const value = settings[key];
    if (typeof value !== 'number' || Number.isNaN(value) || !ok) {
      throw new TypeError(`Invalid option ${name}: ${String(value)}`);
    }
  }
  return settings;
}

/** The base URLs to use, in order: the option, else the page's origin; empty outside a browser. */
export function resolveBaseUrls(baseUrl: ClientOptions['baseUrl'], fallback: string): string[] {
  const list = baseUrl === undefined ? [fallback] : Array.isArray(baseUrl) ? baseUrl : [baseUrl];
  return list.filter((url) => url !== '');
}
