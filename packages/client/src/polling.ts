/**
 * @module polling
 * The HTTP fallback while the socket is down: every interval, `GET /api/statistics` becomes a
 * `statistics_update` and `GET /api/events?after=<cursor>` delivers the missed `camera_event`s
 * and `alert`s, with the same ids the socket would have carried. The client deduplicates.
 */
import type { EventType, ServerMessage } from '@openeye/protocol';
import { STORED_EVENT_TYPES } from '@openeye/protocol/constants';
import { ApiError, type OpenEyeApi } from './api.js';

/** The most pages of 1000 events fetched in one tick before waiting for the next. */
const MAX_PAGES_PER_TICK = 10;
const PAGE_SIZE = 1000;

export interface PollerDeps {
  intervalMs: number;
  /** The API of the server to poll (it can change between ticks when the client fails over). */
  api(): OpenEyeApi;
  /** Whether the application is subscribed to this event type. */
  wants(type: EventType): boolean;
  /** The resume cursor: the id of the newest event delivered. */
  cursor(): string | null;
  /** True when the cursor is null because the history was empty: every event in it is new. */
  fromStart(): boolean;
  /** Settles when the starting point asked at connect() (which may set the cursor) is known. */
  startingPoint(): Promise<void>;
  /** Moves the cursor without delivering anything; null: the history is empty. */
  rebase(cursor: string | null): void;
  /** Delivers one message as if the socket had carried it. */
  deliver(message: ServerMessage): void;
  /** The cursor is older than the server's history (HTTP 410); delivery continues from `resumeFrom`. */
  gap(resumeFrom: string | null): void;
  /** A tick completed without error. */
  success(): void;
  /** A request failed (the tick is over; the next one comes after the interval). */
  error(error: ApiError): void;
}

export class Poller {
  readonly #deps: PollerDeps;
  #generation = 0;
  #running = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(deps: PollerDeps) {
    this.#deps = deps;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Polls at once, then every interval, until `stop()`. No-op when already running. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const generation = ++this.#generation;
    void this.#tick(generation);
  }

  /** Stops; the answer of a request still in flight is dropped. */
  stop(): void {
    this.#running = false;
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #tick(generation: number): Promise<void> {
    try {
      await this.#poll(generation);
      if (generation === this.#generation) this.#deps.success();
    } catch (error) {
      if (generation === this.#generation) {
        this.#deps.error(
          error instanceof ApiError ? error : new ApiError(0, 'network_error', 'Polling failed unexpectedly'),
        );
      }
    }
    if (generation === this.#generation) {
      this.#timer = setTimeout(() => void this.#tick(generation), this.#deps.intervalMs);
    }
  }

  async #poll(generation: number): Promise<void> {
    const deps = this.#deps;
    const api = deps.api();
    const live = () => generation === this.#generation;

    if (deps.wants('statistics_update')) {
      const data = await api.statistics();
      if (!live()) return;
      deps.deliver({ type: 'statistics_update', timestamp: new Date().toISOString(), data });
    }

    const types = STORED_EVENT_TYPES.filter((t) => deps.wants(t));
    if (types.length === 0) return;

    if (deps.cursor() === null && !deps.fromStart()) {
      await deps.startingPoint();
      if (!live()) return;
    }

    if (deps.cursor() === null) {
      if (deps.fromStart()) {
        // The history was empty when last seen: everything in it now is new.
        const all = await api.events({ limit: PAGE_SIZE, types });
        if (live()) for (const event of all.events) deps.deliver(event);
        return;
      }
      // No cursor yet (the starting point of connect() failed): start from the newest event.
      const newest = await api.events({ limit: 1 });
      if (live() && deps.cursor() === null) deps.rebase(newest.last_event_id);
      return;
    }

    for (let page = 0; page < MAX_PAGES_PER_TICK; page++) {
      let answer: Awaited<ReturnType<OpenEyeApi['events']>>;
      try {
        answer = await api.events({ after: deps.cursor(), limit: PAGE_SIZE, types });
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 410) throw error;
        const newest = await api.events({ limit: 1 });
        if (live()) deps.gap(newest.last_event_id);
        return;
      }
      if (!live()) return;
      for (const event of answer.events) deps.deliver(event);
      if (!answer.has_more || answer.events.length === 0) return;
    }
  }
}
