/**
 * @module state-machine
 * The connection status as one explicit transition table. Every status change of the client
 * goes through `transition`; a pair not in the table is a bug and throws.
 *
 * ```
 *              connect                  welcome
 * disconnected ───────► connecting ──────────────────────► connected
 *      ▲  ▲                 │ lost                          │   ▲
 *      │  │                 ▼            welcome            │   │
 *      │  │            reconnecting ◄───────────── lost ────┘   │
 *      │  │                 │ fallback (N failures,             │
 *      │  │                 ▼   or 1008 Rate limit exceeded)    │
 *      │  │              polling ───────── welcome ─────────────┘
 *      │  └── disconnect ── (every status)
 *      └─ connect ── error ◄── fail (auth rejected twice, attempts exhausted)
 * ```
 */

/** Where the client stands. `polling`: the socket is down and HTTP polling delivers the data meanwhile. */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'polling' | 'disconnected' | 'error';

/** What can happen to the connection. */
export type ConnectionEvent =
  /** `connect()` was called. */
  | 'connect'
  /** The server's welcome (`connection_status`) arrived. */
  | 'welcome'
  /** The socket failed or closed; a retry is scheduled. */
  | 'lost'
  /** Too many failures in a row, or the server refused for the connection limit: poll HTTP meanwhile. */
  | 'fallback'
  /** Terminal failure: credentials refused twice, or the attempt limit reached. */
  | 'fail'
  /** `disconnect()` was called. */
  | 'disconnect';

type Table = { readonly [S in ConnectionStatus]: Partial<Readonly<Record<ConnectionEvent, ConnectionStatus>>> };

/** The legal transitions. A missing entry means the event is illegal in that status. */
export const TRANSITIONS: Table = {
  disconnected: { connect: 'connecting', disconnect: 'disconnected' },
  connecting: {
    welcome: 'connected',
    lost: 'reconnecting',
    fallback: 'polling',
    fail: 'error',
    disconnect: 'disconnected',
  },
  connected: {
    lost: 'reconnecting',
    fallback: 'polling',
    fail: 'error',
    disconnect: 'disconnected',
  },
  reconnecting: {
    welcome: 'connected',
    lost: 'reconnecting',
    fallback: 'polling',
    fail: 'error',
    disconnect: 'disconnected',
  },
  polling: {
    welcome: 'connected',
    lost: 'polling',
    fallback: 'polling',
    fail: 'error',
    disconnect: 'disconnected',
  },
  error: { connect: 'connecting', disconnect: 'disconnected' },
};

/** Thrown when an event is not allowed in the current status (a bug in the client). */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  readonly code = 'OE_CLIENT_ILLEGAL_TRANSITION';
  constructor(
    readonly from: ConnectionStatus,
    readonly event: ConnectionEvent,
  ) {
    super(`Event "${event}" is not allowed in status "${from}"`);
  }
}

/** The status after `event` in status `from`; throws `IllegalTransitionError` for a pair not in the table. */
export function transition(from: ConnectionStatus, event: ConnectionEvent): ConnectionStatus {
  const to = TRANSITIONS[from][event];
  if (to === undefined) throw new IllegalTransitionError(from, event);
  return to;
}

/** Whether `event` is allowed in status `from`. */
export function canTransition(from: ConnectionStatus, event: ConnectionEvent): boolean {
  return TRANSITIONS[from][event] !== undefined;
}
