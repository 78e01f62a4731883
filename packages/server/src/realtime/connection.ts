/** One open, authenticated WebSocket and what the hub keeps for it. Nothing here grows without bound. */
import type { EventType, Role, SubscriptionFilter, Subscriptions } from '@openeye/protocol';
import type { WebSocket } from 'ws';
import { CameraAccess } from '../auth/access.js';
import type { ViewerState } from '../media/viewers.js';
import { TokenBucket } from './rate-limit.js';
import { ResumeCursor } from './resume.js';

export class Connection implements SubscriptionFilter {
  readonly subscriptions = new Set<EventType>();
  /** The camera filter the client asked for (null: every camera). */
  requestedCameras: Set<number> | null = null;
  /** The cameras this user may see. */
  access: CameraAccess = CameraAccess.ALL;
  /** The filter in force: what was asked, narrowed to what may be seen (`passes` reads this). */
  cameraIds: Set<number> | null = null;
  /** Answered the last heartbeat ping (or sent anything since). */
  alive = true;
  /** Where this connection is in the event stream: owned by resume.ts. */
  readonly cursor = new ResumeCursor();
  /** Messages received over the rate, since it was last respected. */
  overflow = 0;
  violationsLogged = 0;
  closing = false;
  /** The user's token version at connect; an `auth` token must carry it (a password change closes us). */
  tokenVersion = 0;
  /** The API key this connection came with, and its cameras (null: the user's); null for a JWT. */
  key: { id: number; cameraIds: number[] | null } | null = null;
  readonly bucket: TokenBucket;
  readonly openedAt = Date.now();
  sent = 0;
  /** Frames waiting for the end of this event-loop turn: owned by outbox.ts. */
  outbox: Buffer | Buffer[] | null = null;
  /** It negotiated permessage-deflate: its JSON frames go compressed (outbox.ts). */
  deflate = false;
  /** Bytes of camera frames written but not yet handed to the kernel (outbox.ts). */
  mediaInFlight = 0;
  /** What this connection watches, and its frame flow (media/viewers.ts); null until its first watch. */
  media: ViewerState | null = null;
  /** Cameras this (producer) connection sends frames of (media/service.ts). */
  publishing: Set<number> | null = null;

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

  has(type: EventType): boolean {
    return this.subscriptions.has(type);
  }

  /** Recomputes the filter in force after the request or the access changed. */
  applyAccess(): void {
    this.cameraIds = this.access.narrow(this.requestedCameras);
  }

  /** Whether this connection counts as watching cameras (presence): a filter asked for on camera events. */
  get watchesCameras(): boolean {
    return this.requestedCameras !== null && this.requestedCameras.size > 0 && this.subscriptions.has('camera_event');
  }

  subscriptionState(): Subscriptions {
    return {
      event_types: [...this.subscriptions],
      camera_ids: this.requestedCameras === null ? null : [...this.requestedCameras],
    };
  }
}
