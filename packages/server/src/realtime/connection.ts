/** One open, authenticated WebSocket and what the hub keeps for it. Nothing here grows without bound. */
import type { EventMessage, EventType, Role } from '@openeye/protocol';
import type { WebSocket } from 'ws';
import { TokenBucket } from './rate-limit.js';

export class Connection {
  readonly subscriptions = new Set<EventType>();
  cameraIds: Set<number> | null = null;
  /** Answered the last heartbeat ping (or sent anything since). */
  alive = true;
  /** Highest event id delivered, so that replay and live traffic never overlap. */
  lastEventId = 0;
  /** While the resume replay runs, live events wait here instead of being sent. */
  pending: EventMessage[] | null = [];
  /** Messages received over the rate, since it was last respected. */
  overflow = 0;
  violationsLogged = 0;
  closing = false;
  /** The user's token version at connect; an `auth` token must carry it (a password change closes us). */
  tokenVersion = 0;
  readonly bucket: TokenBucket;
  readonly openedAt = Date.now();
  sent = 0;
  /** Frames waiting for the end of this event-loop turn, written together (one buffer or several). */
  outbox: Buffer | Buffer[] | null = null;
  /** Client messages that arrived before the welcome/replay phase ended. */
  queued: [Buffer, boolean][] | undefined;

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly userId: number,
    readonly username: string,
    readonly role: Role,
    /** Token expiry, seconds since the epoch. */
    public tokenExpiresAt: number,
    readonly remote: string,
    rate: number,
    burst: number,
  ) {
    this.bucket = new TokenBucket(rate, burst, this.openedAt);
  }

  subscriptionState(): { event_types: EventType[]; camera_ids: number[] | null } {
    return {
      event_types: [...this.subscriptions],
      camera_ids: this.cameraIds === null ? null : [...this.cameraIds],
    };
  }
}
