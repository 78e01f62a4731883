/**
 * @module subscription-set
 * What the application subscribed to (event types and camera filter), kept across reconnects:
 * the messages that bring a new connection's subscriptions in line, and the local filter that
 * applies them to what arrives before the server has them (the welcome's replay, polling).
 */
import type { EventType, ServerMessage, StoredEventType, Subscriptions } from '@openeye/protocol';
import { DEFAULT_SUBSCRIPTIONS, STORED_EVENT_TYPES } from '@openeye/protocol/constants';
import { isStoredEventType, passes } from '@openeye/protocol/events';

type Subscribe = { type: 'subscribe'; event_types: EventType[]; camera_ids?: number[] | null };
type Unsubscribe = { type: 'unsubscribe'; event_types: EventType[] };

export class SubscriptionSet {
  readonly #types: Set<EventType>;
  #cameraIds: number[] | null;
  #cameraSet: Set<number> | null;

  constructor(types: readonly EventType[], cameraIds: readonly number[] | null) {
    this.#types = new Set(types);
    this.#cameraIds = cameraIds === null ? null : [...cameraIds];
    this.#cameraSet = cameraIds === null ? null : new Set(cameraIds);
  }

  has(type: EventType): boolean {
    return this.#types.has(type);
  }

  /** The subscribed event types that have ids (stored, replayed, polled). */
  eventKinds(): StoredEventType[] {
    return STORED_EVENT_TYPES.filter((type) => this.#types.has(type));
  }

  /** Subscribed event types a new connection does not have by default (asked for in the socket URL). */
  beyondDefaults(): EventType[] {
    return [...this.#types].filter((type) => !DEFAULT_SUBSCRIPTIONS.includes(type));
  }

  /** The camera filter, as `passes()` reads it. */
  get cameraIds(): ReadonlySet<number> | null {
    return this.#cameraSet;
  }

  /** Adds types (and sets the camera filter when `cameraIds` is given); returns the message to send. */
  add(types: readonly EventType[], cameraIds?: readonly number[] | null): Subscribe {
    for (const type of types) this.#types.add(type);
    const message: Subscribe = { type: 'subscribe', event_types: [...types] };
    if (cameraIds !== undefined) {
      this.#cameraIds = cameraIds === null ? null : [...cameraIds];
      this.#cameraSet = this.#cameraIds === null ? null : new Set(this.#cameraIds);
      message.camera_ids = this.#cameraIds;
    }
    return message;
  }

  /** Removes types; returns the message to send. */
  remove(types: readonly EventType[]): Unsubscribe {
    for (const type of types) this.#types.delete(type);
    return { type: 'unsubscribe', event_types: [...types] };
  }

  /** Whether a message passes the subscriptions, by the server's rule (`passes` of the protocol). */
  wants(message: ServerMessage): boolean {
    if (isStoredEventType(message.type)) return passes(message as Parameters<typeof passes>[0], this);
    if (message.type === 'statistics_update' || message.type === 'presence_update')
      return this.#types.has(message.type);
    return true;
  }

  /** The messages that turn a new connection's subscriptions (from its welcome) into ours. */
  reconcile(server: Subscriptions): (Subscribe | Unsubscribe)[] {
    const wanted = [...this.#types];
    const missing = wanted.filter((type) => !server.event_types.includes(type));
    const extra = server.event_types.filter((type) => !this.#types.has(type));
    const camerasDiffer = !sameIds(server.camera_ids, this.#cameraIds);
    const messages: (Subscribe | Unsubscribe)[] = [];
    if (missing.length > 0 || (camerasDiffer && wanted.length > 0)) {
      messages.push(
        camerasDiffer
          ? { type: 'subscribe', event_types: wanted, camera_ids: this.#cameraIds }
          : { type: 'subscribe', event_types: missing },
      );
    }
    if (extra.length > 0) messages.push({ type: 'unsubscribe', event_types: extra });
    return messages;
  }
}

function sameIds(a: readonly number[] | null, b: readonly number[] | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}
