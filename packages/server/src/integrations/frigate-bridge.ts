/**
 * The Frigate bridge: each message of Frigate's broker mapped (frigate.ts) and written through the
 * domain, the same calls as the REST producer routes, each write with its receipt so a redelivered
 * message stores nothing twice. Runs on the node holding the integrations lease (index.ts).
 */
import { DomainError } from '../domain/errors.js';
import type { DomainService } from '../domain/service.js';
import { fetchSnapshot, type SourceOptions, sourceAgents, sourceAuth } from '../media/http-source.js';
import type { Store } from '../store/index.js';
import type { AlertLifecycleHook } from './alert-lifecycle.js';
import { FRIGATE, type FrigateAction, mapFrigateMessage } from './frigate.js';
import type { IncomingMessage } from './mqtt-connection.js';
import type { IngestReporter } from './reporter.js';
import { CameraNames, PeopleNames } from './resolve.js';
import { writeWithRetry } from './retry.js';

export interface FrigateBridgeOptions {
  prefix: string;
  frigateUrl: string | null;
  createPeople: boolean;
  /** The largest snapshot taken from Frigate (the server's frame limit); a bigger one stays a link. */
  maxImageBytes: number;
  /** Connect-and-answer budget of a snapshot request; the whole image gets three times this. */
  snapshotTimeoutMs?: number;
}

export class FrigateBridge {
  private readonly cameras: CameraNames;
  private readonly people: PeopleNames;
  private agents: SourceOptions['agents'] | null = null;

  constructor(
    private readonly o: FrigateBridgeOptions,
    private readonly domain: DomainService,
    private readonly store: Store,
    private readonly reporter: IngestReporter,
    private readonly lifecycle: AlertLifecycleHook,
  ) {
    this.cameras = new CameraNames(domain, FRIGATE);
    this.people = new PeopleNames(domain);
  }

  async handle(msg: IncomingMessage): Promise<void> {
    const r = this.reporter;
    r.received('frigate');
    // Frigate never retains these; a retained one would come back on every subscription.
    if (msg.retain) return r.rejected('frigate', 'retained', 'retained message on an input topic', msg.topic);
    const result = mapFrigateMessage(this.o.prefix, msg.topic, msg.payload, { frigateUrl: this.o.frigateUrl });
    if (!result.ok) return r.rejected('frigate', result.reason, result.detail, msg.topic);
    if (result.skipped) return r.skipped('frigate', result.skipped);
    let alertCreated = false;
    for (const action of result.actions) {
      if (action.kind === 'alert_update' && alertCreated) continue;
      const outcome = await writeWithRetry(() => this.apply(action));
      if (outcome.ok) {
        if (outcome.value === 'stored') r.mapped('frigate', action.kind);
        else r.skipped('frigate', outcome.value);
        if (action.kind === 'alert' && outcome.value === 'stored') alertCreated = true;
      } else if (outcome.error instanceof DomainError && outcome.error.code === 'duplicate') {
        r.skipped('frigate', 'duplicate');
      } else if (outcome.error instanceof DomainError) {
        r.rejected(
          'frigate',
          outcome.error.status === 404 ? 'not_found' : 'invalid_payload',
          outcome.error.message,
          msg.topic,
        );
      } else {
        r.rejected('frigate', 'error', (outcome.error as Error).message ?? String(outcome.error), msg.topic);
      }
    }
  }

  /** One action; 'stored', or why nothing was stored. Throws DomainErrors (duplicate, not found). */
  private async apply(a: FrigateAction): Promise<string> {
    if ('once' in a && (await this.store.receipts.find(a.once)) !== null) return 'duplicate';
    switch (a.kind) {
      case 'camera_event': {
        const cameraId = await this.cameraId(a.camera);
        // Frigate's snapshot of an object is final when the object ends: that event carries it.
        const image = a.once.kind === 'ended' ? await this.snapshot(a.data.snapshot_url) : undefined;
        await this.forgetIfGone(a.camera, () =>
          this.domain.postCameraEvent(cameraId, a.eventType, a.data, { once: a.once, ...(image ? { image } : {}) }),
        );
        return 'stored';
      }
      case 'recognition': {
        const cameraId = await this.cameraId(a.camera);
        let personId: number | null = null;
        if (a.name !== null) {
          const person = await this.people.resolve(a.name, this.o.createPeople);
          if (!person) return 'unknown_person';
          if (person.created) this.reporter.mapped('frigate', 'person');
          personId = person.id;
        }
        try {
          await this.domain.createRecognition(
            {
              camera_id: cameraId,
              person_id: personId,
              ...(a.confidence === null ? {} : { confidence: a.confidence }),
              occurred_at: a.occurredAt,
            },
            { once: a.once },
          );
        } catch (err) {
          // The person (or camera) was deleted since we cached it: look it up again next time.
          if (err instanceof DomainError && err.status === 404) {
            if (a.name !== null) this.people.forget(a.name);
            this.cameras.update(a.camera, null);
          }
          throw err;
        }
        return 'stored';
      }
      case 'alert': {
        const cameraId = await this.cameraId(a.camera);
        await this.forgetIfGone(a.camera, () =>
          this.domain.createAlert(
            { alert_type: 'warning', message: a.message, camera_id: cameraId, data: a.data },
            { once: a.once },
          ),
        );
        return 'stored';
      }
      case 'alert_update': {
        const ref = await this.store.receipts.find({ source: FRIGATE, item: a.reviewId, kind: 'alert' });
        if (!ref) return 'no_alert';
        await this.lifecycle.frigateReviewChanged({ alertEventId: ref, status: a.status, data: a.data });
        return 'review_update';
      }
      case 'camera_status': {
        const { camera } = await this.cameras.resolve(a.camera);
        if (camera.active === a.online) return 'unchanged';
        const after = await this.domain.updateCamera(camera.id, { active: a.online });
        this.cameras.update(a.camera, after);
        return 'stored';
      }
    }
  }

  /**
   * Frigate's snapshot at `url` (a link mapped from OPENEYE_FRIGATE_URL), bounded in time and size;
   * undefined when there is none or Frigate cannot give it: the event is stored with its link then,
   * and the miss counted (`snapshot_unavailable`).
   */
  private async snapshot(url: unknown): Promise<Buffer | undefined> {
    if (typeof url !== 'string' || !this.o.frigateUrl) return undefined;
    this.agents ??= sourceAgents();
    try {
      return await fetchSnapshot(url, {
        timeoutMs: this.o.snapshotTimeoutMs ?? 5000,
        maxFrameBytes: this.o.maxImageBytes,
        signal: AbortSignal.timeout(4 * (this.o.snapshotTimeoutMs ?? 5000)),
        agents: this.agents,
        auth: sourceAuth(this.o.frigateUrl),
      });
    } catch {
      // Whatever went wrong (PullError kinds, a timeout), the event is worth more than its picture.
      this.reporter.skipped('frigate', 'snapshot_unavailable');
      return undefined;
    }
  }

  /** Closes the kept-alive connection to Frigate's API. */
  close(): void {
    this.agents?.http.destroy();
    this.agents?.https.destroy();
    this.agents = null;
  }

  private async cameraId(name: string): Promise<number> {
    const { camera, created } = await this.cameras.resolve(name);
    if (created) this.reporter.mapped('frigate', 'camera');
    return camera.id;
  }

  /** Runs `write`; when the cached camera was deleted meanwhile (404), forgets it (the retry looks it up). */
  private async forgetIfGone<T>(camera: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (!(err instanceof DomainError) || err.status !== 404) throw err;
      this.cameras.update(camera, null);
      throw err;
    }
  }
}
