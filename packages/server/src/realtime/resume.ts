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
import type { Maybe } from '../maybe.js';
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
  /** The newest statistics, framed (cached: then at hand, not a promise). */
  statisticsFrame(): Maybe<Buffer>;
  /** The id of the newest event handed to the hub (the sequencer's cursor). */
  deliveredPosition(): number;
  heartbeatIntervalMs: number;
  /** Handles client messages that were held until now. */
  handleHeld(conn: Connection, messages: HeldMessage[]): void;
}

export class Resume {
  constructor(private readonly deps: ResumeDeps) {}

  /**
   * Welcome, snapshot, replay from `lastEventIdParam` (null: none asked), then live. Without a
   * resume cursor and with the statistics at hand, all of it happens now (no promise).
   */
  run(conn: Connection, lastEventIdParam: string | null): Maybe<void> {
    if (lastEventIdParam !== null) return this.resume(conn, lastEventIdParam);
    let snapshot: Maybe<Buffer>;
    try {
      // Without a resume cursor, no query: the newest event this node has delivered is the boundary.
      this.welcome(conn, this.deps.deliveredPosition() || null, null, false);
      snapshot = this.deps.statisticsFrame();
    } catch (err) {
      this.goLive(conn);
      throw err;
    }
    if (!(snapshot instanceof Promise)) return this.snapshotThenLive(conn, snapshot);
    return snapshot.then(
      (frame) => this.snapshotThenLive(conn, frame),
      (err) => {
        this.goLive(conn);
        throw err;
      },
    );
  }

  private snapshotThenLive(conn: Connection, frame: Buffer): void {
    try {
      this.snapshot(conn, frame);
    } finally {
      this.goLive(conn);
    }
  }

  /** With a resume cursor: the welcome says whether it is honoured, then the replay up to the newest. */
  private async resume(conn: Connection, lastEventIdParam: string): Promise<void> {
    try {
      const { store } = this.deps;
      const [newest, floor] = await Promise.all([store.events.newestId(), store.events.historyFloor()]);
      const after = parseEventId(lastEventIdParam);
      // Untrusted input: a malformed id, one from the future or one older than the history fails closed.
      const from = after !== null && after >= floor && after <= (newest ?? 0) ? after : null;
      this.welcome(conn, newest, from, true);
      this.snapshot(conn, await this.deps.statisticsFrame());
      if (from !== null) await this.replay(conn, from, newest ?? 0);
    } finally {
      this.goLive(conn);
    }
  }

  /** The welcome; the cursor starts at `from` (a resume honoured) or at the newest event. */
  private welcome(conn: Connection, newest: number | null, from: number | null, asked: boolean): void {
    conn.cursor.startAt(from ?? newest ?? 0);
    const welcome = welcomeMessage({
      connection_id: conn.id,
      user: { id: conn.userId, username: conn.username },
      subscriptions: conn.subscriptionState(),
      heartbeat_interval_ms: this.deps.heartbeatIntervalMs,
      token_expires_at: new Date(conn.tokenExpiresAt * 1000).toISOString(),
      resumed: asked ? from !== null : null,
      last_event_id: newest === null ? null : String(newest),
    });
    this.deps.send(conn, textFrame(JSON.stringify(welcome)));
  }

  /** The statistics snapshot; then the subscriptions sent before the welcome apply (to the replay too). */
  private snapshot(conn: Connection, frame: Buffer): void {
    this.deps.send(conn, frame);
    this.deps.handleHeld(conn, conn.cursor.takeHeld());
  }

  /** History pages after `from` up to `until` (the newest id seen at welcome). */
  private async replay(conn: Connection, from: number, until: number): Promise<void> {
    let cursor = from;
    while (cursor < until && !conn.closing) {
      const page = await this.deps.store.events.after(cursor, REPLAY_PAGE);
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
