/**
 * Pulling frames from cameras that have a `snapshot_url` or `mjpeg_url`, only while someone
 * watches them, into `MediaService.ingest` like any other frame.
 *
 *   viewers 0 → 1 ──► CameraPull: lease `media-pull:<id>` (one node of a cluster pulls a camera)
 *                     ──► session: MJPEG stream (mjpeg_url) or paced snapshot GETs (snapshot_url)
 *                         at the highest fps a viewer asked for (≤ OPENEYE_MEDIA_MAX_FPS)
 *                     ──► every 3 s: lease renewed, sources re-read (a changed URL restarts the session)
 *                     ──► failure: logged once per kind, retried with backoff (0.5 s doubling to 30 s);
 *                         three in a row: the camera becomes inactive (camera_offline); frames
 *                         again: active (camera_online)
 *   viewers → 0 ──► after 300 ms: the request is aborted, the lease released (stopped within a second)
 *
 * Who watches is asked through `watchedAnywhere` and `wantedFps`: today this node's viewers; the
 * cluster's presence plugs in there (and calls `update` when it changes).
 */
import { DEFAULT_WATCH_FPS } from '@openeye/protocol';
import type { ClusterEngine } from '../cluster/engine.js';
import type { Logger } from '../logger.js';
import type { CameraSources } from '../store/cameras.js';
import {
  fetchSnapshot,
  PullAborted,
  PullError,
  type PullErrorKind,
  type SourceOptions,
  sourceAgents,
  sourceAuth,
  streamMjpeg,
} from './http-source.js';
import type { MediaService } from './service.js';
import { describeSourceUrl } from './source-url.js';

/** A camera whose source failed this many times in a row while watched becomes inactive. */
export const OFFLINE_AFTER_FAILURES = 3;
/** Viewers gone: the pull stops this long after (a dashboard re-rendering its views keeps it). */
const LINGER_MS = 300;
const LEASE_TTL_MS = 10_000;
/** Lease renewal and sources re-read while pulling. */
const HEARTBEAT_MS = 3000;
/** Watched but nothing to pull (no URL, or another node holds the lease): look again after. */
const IDLE_RECHECK_MS = 5000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export interface PullMetrics {
  framePulled(): void;
  pullError(kind: PullErrorKind): void;
  /** A session (a stream open, or snapshots being fetched) began (+1) or ended (-1). */
  sessions(delta: 1 | -1): void;
}

export interface PullDeps {
  media: Pick<MediaService, 'ingest' | 'viewers' | 'wantedFps'>;
  /** The stored sources of a camera, credentials included (store.cameras.sources). */
  sources(cameraId: number): Promise<CameraSources | null>;
  /** Marks a camera online or offline (through the domain: a camera event follows). */
  setActive(cameraId: number, active: boolean): Promise<unknown>;
  engine: Pick<ClusterEngine, 'lease' | 'releaseLease'>;
  log: Logger;
  metrics: PullMetrics;
  maxFps: number;
  maxFrameBytes: number;
  /** Connect and headers budget, and how long a body may stall, ms. */
  timeoutMs: number;
  /** Watched with nothing to pull (no URL, the lease elsewhere): how soon to look again, ms (tests shorten it). */
  recheckMs?: number;
}

type Source = { kind: 'mjpeg' | 'snapshot'; url: string };

function sourceOf(s: CameraSources | null): Source | null {
  if (s?.mjpeg_url) return { kind: 'mjpeg', url: s.mjpeg_url };
  if (s?.snapshot_url) return { kind: 'snapshot', url: s.snapshot_url };
  return null;
}

export class PullManager {
  private readonly pulls = new Map<number, CameraPull>();
  private running = false;

  /**
   * Whether someone watches the camera anywhere. Today: on this node. THE CLUSTER HOOK: replace it
   * with the cluster's presence (and call `update(cameraId)` when that changes) so that the node
   * holding the lease pulls for viewers on every node.
   */
  watchedAnywhere: (cameraId: number) => boolean = (cameraId) => this.deps.media.viewers(cameraId) > 0;
  /** The fps to pull at: the highest any viewer asked for (this node's today; see `watchedAnywhere`). */
  wantedFps: (cameraId: number) => number = (cameraId) => this.deps.media.wantedFps(cameraId);

  constructor(private readonly deps: PullDeps) {}

  start(): void {
    this.running = true;
  }

  /** Stops every pull (requests aborted, leases released). */
  async stop(): Promise<void> {
    this.running = false;
    const pulls = [...this.pulls.values()];
    for (const p of pulls) p.stop();
    await Promise.all(pulls.map((p) => p.done));
  }

  /** Who watches `cameraId` may have changed: starts its pull, keeps it, or lets it stop. */
  update(cameraId: number): void {
    if (!this.running) return;
    const current = this.pulls.get(cameraId);
    if (this.watchedAnywhere(cameraId)) {
      if (current && !current.stopping) {
        current.keep();
        return;
      }
      const pull = new CameraPull(cameraId, this.deps, () => this.fps(cameraId), current?.done);
      this.pulls.set(cameraId, pull);
      void pull.done.then(() => {
        if (this.pulls.get(cameraId) === pull) this.pulls.delete(cameraId);
      });
    } else current?.release();
  }

  /** Cameras this node is pulling (or about to). */
  active(): number[] {
    return [...this.pulls.keys()];
  }

  private fps(cameraId: number): number {
    const wanted = this.wantedFps(cameraId) || DEFAULT_WATCH_FPS;
    return Math.max(0.1, Math.min(wanted, this.deps.maxFps));
  }
}

/** One camera's pull: a loop of sessions with backoff, until nobody watches. */
class CameraPull {
  stopping = false;
  readonly done: Promise<void>;
  private readonly abort = new AbortController();
  private session: AbortController | null = null;
  private linger: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private failures = 0;
  /** Error kinds logged since frames last flowed: each once. */
  private readonly logged = new Set<PullErrorKind>();
  private sources: CameraSources | null = null;
  private leaseName: string;

  constructor(
    private readonly cameraId: number,
    private readonly deps: PullDeps,
    private readonly fps: () => number,
    previous: Promise<void> | undefined,
  ) {
    this.leaseName = `media-pull:${cameraId}`;
    this.done = (previous ?? Promise.resolve()).then(() => this.run()).catch((err) => this.crashed(err));
  }

  /** A viewer is back before the pull stopped. */
  keep(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
  }

  /** Nobody watches: stop soon, unless a viewer comes back. */
  release(): void {
    if (this.stopping || this.linger) return;
    this.linger = setTimeout(() => this.stop(), LINGER_MS);
  }

  stop(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    this.stopping = true;
    this.abort.abort();
    this.session?.abort();
    this.wake?.();
  }

  private async run(): Promise<void> {
    const agents = sourceAgents();
    try {
      while (!this.stopping) {
        this.sources = await this.deps.sources(this.cameraId).catch(() => this.sources);
        const source = sourceOf(this.sources);
        if (!source || !(await this.takeLease())) {
          await this.sleep(this.deps.recheckMs ?? IDLE_RECHECK_MS);
          continue;
        }
        const error = await this.runSession(source, agents);
        if (this.stopping) break;
        if (error) {
          this.failed(error, source);
          await this.sleep(this.backoff());
        }
      }
    } finally {
      agents.http.destroy();
      agents.https.destroy();
      await this.deps.engine.releaseLease(this.leaseName).catch(() => undefined);
    }
  }

  /**
   * One session: until it fails (the error), or is ended on purpose (null: the URL changed, the
   * lease was lost, nobody watches).
   */
  private async runSession(source: Source, agents: SourceOptions['agents']): Promise<PullError | null> {
    const session = new AbortController();
    this.session = session;
    this.deps.metrics.sessions(1);
    const heartbeat = setInterval(() => void this.heartbeat(source, session), HEARTBEAT_MS);
    const options: SourceOptions = {
      timeoutMs: this.deps.timeoutMs,
      maxFrameBytes: this.deps.maxFrameBytes,
      signal: AbortSignal.any([this.abort.signal, session.signal]),
      agents,
      auth: sourceAuth(source.url),
    };
    try {
      if (source.kind === 'mjpeg') {
        const pace = new Pace(() => 1000 / this.fps());
        await streamMjpeg(source.url, options, {
          wanted: () => pace.take(),
          frame: (image) => this.frame(image),
        });
      } else {
        await this.snapshots(source.url, options);
      }
      return null;
    } catch (err) {
      if (err instanceof PullAborted || options.signal.aborted) return null;
      if (err instanceof PullError) return err;
      throw err;
    } finally {
      clearInterval(heartbeat);
      this.session = null;
      this.deps.metrics.sessions(-1);
    }
  }

  /** Snapshot GETs, one after the other, started at most `fps` times a second. */
  private async snapshots(url: string, options: SourceOptions): Promise<void> {
    for (;;) {
      const started = Date.now();
      this.frame(await fetchSnapshot(url, options));
      const wait = started + 1000 / this.fps() - Date.now();
      if (wait > 0) await this.sleep(wait, options.signal);
      if (options.signal.aborted) throw new PullAborted();
    }
  }

  /** A whole image from the source: ingested (its bytes checked there), and the camera is up. */
  private frame(image: Buffer): void {
    const result = this.deps.media.ingest(this.cameraId, image, Date.now());
    if (!result.ok) {
      throw new PullError(result.code === 'payload_too_large' ? 'too_large' : 'not_image', result.message);
    }
    this.deps.metrics.framePulled();
    if (this.failures > 0 || this.logged.size > 0) {
      this.deps.log.info(
        { event: 'media.pull_recovered', camera: this.cameraId, after_failures: this.failures },
        'camera frames flow again',
      );
      this.logged.clear();
    }
    this.failures = 0;
    if (this.sources && !this.sources.active) {
      this.sources.active = true;
      this.setActive(true);
    }
  }

  private failed(error: PullError, source: Source): void {
    this.failures++;
    this.deps.metrics.pullError(error.kind);
    if (!this.logged.has(error.kind)) {
      this.logged.add(error.kind);
      this.deps.log.warn(
        {
          event: 'media.pull_failed',
          camera: this.cameraId,
          source: describeSourceUrl(source.url),
          kind: error.kind,
          failures: this.failures,
        },
        `camera ${this.cameraId}: ${source.kind} pull failed: ${error.message} (logged once until frames flow again)`,
      );
    }
    if (this.failures === OFFLINE_AFTER_FAILURES && this.sources?.active) {
      this.sources.active = false;
      this.setActive(false);
    }
  }

  private setActive(active: boolean): void {
    this.deps.setActive(this.cameraId, active).catch((err) => {
      this.deps.log.debug({ event: 'media.pull_status_failed', camera: this.cameraId, err }, 'camera status not set');
    });
  }

  /** Renews the lease and re-reads the camera; ends the session when either changed. */
  private async heartbeat(source: Source, session: AbortController): Promise<void> {
    const held = await this.takeLease();
    const fresh = await this.deps.sources(this.cameraId).catch(() => this.sources);
    if (session.signal.aborted) return;
    const now = sourceOf(fresh);
    this.sources = fresh;
    if (!held || now?.url !== source.url || now.kind !== source.kind) session.abort();
  }

  private leaseWarned = false;

  private async takeLease(): Promise<boolean> {
    try {
      return await this.deps.engine.lease(this.leaseName, LEASE_TTL_MS);
    } catch (err) {
      if (!this.leaseWarned) {
        this.leaseWarned = true;
        this.deps.log.warn({ event: 'media.pull_lease_failed', camera: this.cameraId, err }, 'pull lease not taken');
      }
      // The cluster cannot say: keep a pull that runs, start none.
      return this.session !== null;
    }
  }

  /** Equal jitter: half the doubling delay fixed, half random. */
  private backoff(): number {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(this.failures - 1, 16));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private sleep(ms: number, signal: AbortSignal = this.abort.signal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  private crashed(err: unknown): void {
    // Never a crash of the server: the pull ends; the next change of viewers starts a new one.
    this.stopping = true;
    this.deps.log.error({ event: 'media.pull_crashed', camera: this.cameraId, err }, 'camera pull stopped');
  }
}

/**
 * Frames no faster than an interval, on a schedule that does not drift: a source sending 25 fps
 * for a 5 fps viewer gives one part in five.
 */
export class Pace {
  private next = 0;
  constructor(private readonly intervalMs: () => number) {}

  take(now = Date.now()): boolean {
    if (now < this.next) return false;
    const interval = this.intervalMs();
    this.next = now - this.next > interval ? now + interval : this.next + interval;
    return true;
  }
}
