/**
 * Camera offline is an alert: a camera that stops reporting (no event, status or frame: its
 * `last_seen_at` stands still) for its grace period (per camera, else the server's default) raises
 * one `camera_offline` alert; when the camera reports again the server resolves it. A camera that
 * comes back within the grace period raised nothing. Cameras never seen and inactive cameras are
 * not watched. One node watches at a time (a lease).
 */
import type { Alert, AlertMessage, Camera } from '@openeye/protocol';
import type { ClusterEngine } from '../cluster/engine.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import { AlertConflict, type AlertService } from './alerts.js';
import type { DomainService } from './service.js';

export const CAMERA_OFFLINE = 'camera_offline';
const LEASE = 'camera-offline';
const TICK_MS = 1000;

export class CameraOfflineMonitor {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly store: Store,
    private readonly domain: DomainService,
    private readonly alerts: AlertService,
    private readonly engine: ClusterEngine,
    private readonly defaultGraceSeconds: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    void this.engine.releaseLease(LEASE).catch(() => undefined);
  }

  async tick(now = Date.now()): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (!(await this.engine.lease(LEASE, TICK_MS * 5))) return;
      const open = new Map<number, Alert>();
      for (const a of await this.store.alerts.unresolvedBySource(CAMERA_OFFLINE)) {
        if (a.camera_id !== null) open.set(a.camera_id, a);
      }
      for (const camera of await this.store.cameras.list()) {
        const alert = open.get(camera.id);
        if (alert) {
          if (camera.last_seen_at !== null && camera.last_seen_at > alert.created_at) await this.back(camera, alert);
        } else if (this.silent(camera, now)) {
          await this.raise(camera);
        }
      }
    } catch (err) {
      this.log.warn({ event: 'camera_offline.failed', err }, 'camera offline check failed');
    } finally {
      this.busy = false;
    }
  }

  private silent(camera: Camera, now: number): boolean {
    if (!camera.active || camera.last_seen_at === null) return false;
    const grace = (camera.offline_grace_seconds ?? this.defaultGraceSeconds) * 1000;
    return now - Date.parse(camera.last_seen_at) > grace;
  }

  private async raise(camera: Camera): Promise<void> {
    const { events } = await this.domain.writeWithEvents(async (tx) => {
      // Checked again inside the write: a node that took the lease over may have raised it.
      const again = (await tx.alerts.unresolvedBySource(CAMERA_OFFLINE)).some((a) => a.camera_id === camera.id);
      return {
        result: null,
        events: again
          ? []
          : [
              {
                kind: 'alert' as const,
                camera_id: camera.id,
                event_type: 'critical',
                data: {
                  message: `Camera ${camera.name} is offline`,
                  camera_id: camera.id,
                  camera_name: camera.name,
                  last_seen_at: camera.last_seen_at,
                },
              },
            ],
        changed: false,
        onStored: async (tx2, stored) => {
          for (const e of stored) await tx2.alerts.setSource(e.id, CAMERA_OFFLINE);
          return null;
        },
      };
    });
    const alert = events[0] as AlertMessage | undefined;
    if (alert) this.log.warn({ event: 'camera.offline', camera: camera.id, alert: alert.id }, 'camera offline');
  }

  private async back(camera: Camera, alert: Alert): Promise<void> {
    try {
      await this.alerts.transition(
        alert.id,
        'resolve',
        { version: alert.version, note: 'Camera is back online' },
        null,
      );
      this.log.info({ event: 'camera.back', camera: camera.id, alert: alert.id }, 'camera back online');
    } catch (err) {
      // Someone acted on it meanwhile: the next tick reads the new version.
      if (!(err instanceof AlertConflict)) throw err;
    }
  }
}
