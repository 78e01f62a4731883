/**
 * @module cross-tab
 * One connection per browser, shared by its tabs (option `shareConnection`). Tabs of one origin
 * elect a leader with a Web Lock: the tab holding the lock `openeye-leader:<name>` owns the one
 * WebSocket and relays every server message and its status to the other tabs over a
 * BroadcastChannel; the others wait in the lock's queue. When the leader's tab closes (or
 * navigates, or crashes) the browser grants the lock to the next tab at once; it connects and
 * resumes from the last event id it had relayed, so no tab loses or repeats an event (each tab
 * drops ids it has seen). A leader that is alive but frozen keeps its lock: a visible follower that
 * hears no heartbeat for `staleMs` takes the lock over (`steal`); the old leader, when it wakes,
 * sees its lock request fail and becomes a follower. Messages carry the leader's id and the
 * followers listen to the newest leader only.
 *
 * Without `navigator.locks` or `BroadcastChannel` (an insecure context, an old browser, Node) the
 * client connects on its own, as without the option.
 */
import type { ServerMessage } from '@openeye/protocol';
import type { ConnectionStatus } from './state-machine.js';

/** What travels on the channel. */
export type TabMessage =
  | { kind: 'leader'; leader: string }
  | { kind: 'hb'; leader: string; status: ConnectionStatus }
  | { kind: 'msg'; leader: string; message: ServerMessage }
  /** A camera frame (binary message) the leader received. */
  | { kind: 'frame'; leader: string; data: Uint8Array }
  | { kind: 'status'; leader: string; status: ConnectionStatus; reason?: string }
  /** A follower asks the leader to send a client message (subscribe, unsubscribe) on the socket. */
  | { kind: 'send'; message: object }
  /** A new follower asks who leads. */
  | { kind: 'who' };

export interface TabHooks {
  /** This tab now holds the connection. */
  lead(): void;
  /** This tab no longer does (its lock was taken over); it must drop its socket. */
  resign(): void;
  /** A relayed message from the leader. */
  message(message: ServerMessage): void;
  /** A relayed camera frame from the leader. */
  frame(data: Uint8Array): void;
  /** The leader's connection status. */
  status(status: ConnectionStatus, reason?: string): void;
  /** A follower's client message for the socket (leader only). */
  send(message: object): void;
  /** The current status (what heartbeats carry). */
  currentStatus(): ConnectionStatus;
}

interface LockManagerLike {
  request(
    name: string,
    options: { mode?: 'exclusive'; signal?: AbortSignal; steal?: boolean },
    callback: (lock: unknown) => Promise<void>,
  ): Promise<void>;
}

const HEARTBEAT_MS = 1000;

/** Whether this environment can share a connection between tabs. */
export function canShareAcrossTabs(): boolean {
  const g = globalThis as { navigator?: { locks?: unknown }; BroadcastChannel?: unknown };
  return (
    typeof g.BroadcastChannel === 'function' && typeof g.navigator?.locks === 'object' && g.navigator.locks !== null
  );
}

export class TabCoordinator {
  readonly #name: string;
  readonly #hooks: TabHooks;
  readonly #staleMs: number;
  readonly #id = Math.random().toString(36).slice(2) + Date.now().toString(36);
  #channel: BroadcastChannel | null = null;
  #abort: AbortController | null = null;
  #release: (() => void) | null = null;
  #leading = false;
  /** The newest lock request, and the one this tab leads by. */
  #ticket: object | null = null;
  #leadingTicket: object | null = null;
  #leader: string | null = null;
  #lastBeat = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #active = false;

  constructor(name: string, hooks: TabHooks, staleMs = 5000) {
    this.#name = name;
    this.#hooks = hooks;
    this.#staleMs = staleMs;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** Joins the election; the hooks tell what this tab becomes. */
  join(): void {
    if (this.#active) return;
    this.#active = true;
    this.#channel = new BroadcastChannel(`openeye:${this.#name}`);
    this.#channel.onmessage = (event: MessageEvent<TabMessage>) => this.#onMessage(event.data);
    this.#lastBeat = Date.now();
    this.#request(false);
    this.#post({ kind: 'who' });
    this.#timer = setInterval(() => this.#tick(), HEARTBEAT_MS);
  }

  /** Leaves: gives the lock up (the next tab leads) and stops listening. */
  leave(): void {
    if (!this.#active) return;
    this.#active = false;
    clearInterval(this.#timer);
    this.#abort?.abort();
    this.#abort = null;
    this.#release?.();
    this.#release = null;
    this.#leading = false;
    this.#leadingTicket = null;
    this.#channel?.close();
    this.#channel = null;
  }

  /** Leader: relays a server message to the other tabs. */
  relay(message: ServerMessage): void {
    if (this.#leading) this.#post({ kind: 'msg', leader: this.#id, message });
  }

  /** Leader: relays a camera frame (the other tabs' watches go through this tab's socket). */
  relayFrame(data: Uint8Array): void {
    if (this.#leading) this.#post({ kind: 'frame', leader: this.#id, data });
  }

  /** Leader: relays its status. */
  relayStatus(status: ConnectionStatus, reason?: string): void {
    if (this.#leading) this.#post({ kind: 'status', leader: this.#id, status, ...(reason ? { reason } : {}) });
  }

  /** Follower: asks the leader to send a client message. */
  forward(message: object): void {
    this.#post({ kind: 'send', message });
  }

  #locks(): LockManagerLike {
    return (globalThis as unknown as { navigator: { locks: LockManagerLike } }).navigator.locks;
  }

  /** Asks for the lock (queued, or `steal`ing it). Only the newest request re-queues when it fails. */
  #request(steal: boolean): void {
    const ticket = {};
    this.#ticket = ticket;
    const abort = steal ? null : new AbortController();
    this.#abort = abort;
    const options = steal ? { steal: true } : { signal: abort!.signal };
    this.#locks()
      .request(`openeye-leader:${this.#name}`, options, () => {
        if (!this.#active) return Promise.resolve();
        // Held until this promise settles: for as long as this tab leads.
        return new Promise<void>((resolve) => {
          this.#release = resolve;
          this.#leading = true;
          this.#leadingTicket = ticket;
          this.#leader = this.#id;
          this.#post({ kind: 'leader', leader: this.#id });
          this.#hooks.lead();
        });
      })
      .catch(() => {
        // Aborted (we left, or we are stealing instead), or our lock was stolen from us.
        if (this.#leadingTicket === ticket) {
          this.#leading = false;
          this.#leadingTicket = null;
          this.#release = null;
          if (this.#active) this.#hooks.resign();
        }
        if (this.#active && this.#ticket === ticket) this.#request(false);
      });
  }

  #tick(): void {
    if (this.#leading) {
      this.#post({ kind: 'hb', leader: this.#id, status: this.#hooks.currentStatus() });
      return;
    }
    // A leader that stopped beating (frozen) keeps its lock: a visible tab takes it over. Hidden
    // tabs' timers are throttled, so only a visible one judges.
    const visible = (globalThis as { document?: { visibilityState?: string } }).document?.visibilityState !== 'hidden';
    if (visible && this.#leader !== null && Date.now() - this.#lastBeat > this.#staleMs) {
      this.#leader = null;
      this.#abort?.abort();
      this.#request(true);
    }
  }

  #onMessage(m: TabMessage): void {
    switch (m.kind) {
      case 'who':
        if (this.#leading) {
          this.#post({ kind: 'leader', leader: this.#id });
          this.#post({ kind: 'hb', leader: this.#id, status: this.#hooks.currentStatus() });
        }
        return;
      case 'send':
        if (this.#leading) this.#hooks.send(m.message);
        return;
      case 'leader':
        this.#leader = m.leader;
        this.#lastBeat = Date.now();
        return;
      default:
        // Only the newest leader is listened to (an old one may run on briefly after a takeover).
        if (this.#leading) return;
        if (this.#leader === null) this.#leader = m.leader;
        if (m.leader !== this.#leader) return;
        this.#lastBeat = Date.now();
        if (m.kind === 'msg') this.#hooks.message(m.message);
        else if (m.kind === 'frame') this.#hooks.frame(m.data);
        else this.#hooks.status(m.status, m.kind === 'status' ? m.reason : undefined);
    }
  }

  #post(message: TabMessage): void {
    try {
      this.#channel?.postMessage(message);
    } catch {
      // Closed channel: nothing to tell.
    }
  }
}
