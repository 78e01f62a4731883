/**
 * Resume (protocol.md section 5): the one owner of where a connection is in the event stream.
 *
 *   welcome ──► statistics snapshot ──► early client messages ──► replay (history pages up to the
 *   newest id seen at welcome) ──► seam: live events that arrived meanwhile, without overlap ──► live
 *
 * Events are stored before they are published, so every event is either in the replay query or
 * held at the seam (or both, and then sent once: the cursor remembers the highest id sent).
 */
import { type EventMessage, passes, welcomeMessage } from '@openeye/protocol';
import { parseEventId, type Store } from '../store/index.js';
import type { Connection } from './connection.js';
import { textFrame } from './frame.js';

const REPLAY_PAGE = 1000;
/** Client messages held while the connection is not live yet (within the message rate anyway). */
const MAX_HELD_MESSAGES = 64;

export type HeldMessage = [data: Buffer, isBinary: boolean];

/** Per connection: the highest event id sent, and what waits while the replay runs. */
export class ResumeCursor {
  private last = 0;
  /** Live events that arrived during the welcome and replay; null once live. */
  private pending: EventMessage[] | null = [];
  private held: HeldMessage[] = [];

  get isLive(): boolean {
    return this.pending === null;
  }

  /** Fan-out asks: send this live event now? (Held during the replay; never sent twice.) */
  admit(event: EventMessage, id: number): boolean {
    if (this.pending !== null) {
      this.pending.push(event);
      return false;
    }
    if (id <= this.last) return false;
    this.last = id;
    return true;
  }

  /** A client message before the connection is live waits for it; false once live. */
  hold(message: HeldMessage): boolean {
    if (this.pending === null) return false;
    if (this.held.length < MAX_HELD_MESSAGES) this.held.push(message);
    return true;
  }

  /** Takes the held client messages. */
  takeHeld(): HeldMessage[] {
    const held = this.held;
    this.held = [];
    return held;
  }

  /** A stored event in order: true when it is newer than anything sent (and now counts as sent). */
  advance(id: number): boolean {
    if (id <= this.last) return false;
    this.last = id;
    return true;
  }

  startAt(id: number): void {
    this.last = id;
  }

  /** Ends the seam: returns the live events held meanwhile; from now on events go straight out. */
  goLive(): EventMessage[] {
    const pending = this.pending ?? [];
    this.pending = null;
    return pending;
  }
}

export interface ResumeDeps {
  store: Store;
  /** Queues a frame for the connection. */
  send(conn: Connection, frame: Buffer): void;
  /** The newest statistics, framed (cached). */
  statisticsFrame(): Promise<Buffer>;
  /** The id of the newest event handed to the hub (the sequencer's cursor). */
  deliveredPosition(): number;
  heartbeatIntervalMs: number;
  /** Handles client messages that were held until now. */
  handleHeld(conn: Connection, messages: HeldMessage[]): void;
}

export class Resume {
  constructor(private readonly deps: ResumeDeps) {}

  /** Welcome, snapshot, replay from `lastEventIdParam` (null: none asked), then live. */
  async run(conn: Connection, lastEventIdParam: string | null): Promise<void> {
    try {
      await this.welcome(conn, lastEventIdParam);
    } finally {
      this.goLive(conn);
    }
  }

  private async welcome(conn: Connection, lastEventIdParam: string | null): Promise<void> {
    const { store, send } = this.deps;
    // Without a resume cursor, no query: the newest event this node has delivered is the boundary.
    const [newest, floor] =
      lastEventIdParam === null
        ? [this.deps.deliveredPosition() || null, 0]
        : await Promise.all([store.events.newestId(), store.events.historyFloor()]);
    let from: number | null = null;
    if (lastEventIdParam !== null) {
      const after = parseEventId(lastEventIdParam);
      // Untrusted input: a malformed id, one from the future or one older than the history fails closed.
      if (after !== null && after >= floor && after <= (newest ?? 0)) from = after;
    }
    conn.cursor.startAt(from ?? newest ?? 0);
    const welcome = welcomeMessage({
      connection_id: conn.id,
      user: { id: conn.userId, username: conn.username },
      subscriptions: conn.subscriptionState(),
      heartbeat_interval_ms: this.deps.heartbeatIntervalMs,
      token_expires_at: new Date(conn.tokenExpiresAt * 1000).toISOString(),
      resumed: lastEventIdParam === null ? null : from !== null,
      last_event_id: newest === null ? null : String(newest),
    });
    send(conn, textFrame(JSON.stringify(welcome)));
    send(conn, await this.deps.statisticsFrame());
    // Subscriptions sent before the welcome apply to the replay.
    this.deps.handleHeld(conn, conn.cursor.takeHeld());
    if (from === null) return;
    let cursor = from;
    const until = newest ?? 0;
    while (cursor < until && !conn.closing) {
      const page = await store.events.after(cursor, REPLAY_PAGE);
      if (page.length === 0) break;
      for (const event of page) {
        const id = Number(event.id);
        if (id > until) break;
        cursor = id;
        this.sendStored(conn, event);
      }
      if (page.length < REPLAY_PAGE) break;
    }
  }

  private sendStored(conn: Connection, event: EventMessage): void {
    if (conn.cursor.advance(Number(event.id)) && passes(event, conn)) {
      this.deps.send(conn, textFrame(JSON.stringify(event)));
    }
  }

  /** The seam: live events that arrived during the replay go out in order, then traffic flows. */
  private goLive(conn: Connection): void {
    for (const event of conn.cursor.goLive()) this.sendStored(conn, event);
    this.deps.handleHeld(conn, conn.cursor.takeHeld());
  }
}
