/**
 * Which cameras a user may see: the one rule every path asks (socket events and their replay,
 * GET /api/events and polling, camera lists and details, producer writes, and later frames,
 * snapshots and alerts). Admins see every camera; another user sees the cameras an admin gave
 * them, or every camera when none were given. An API key narrows its user's cameras further.
 * Events about no camera (an admin broadcast) and the aggregate statistics are everyone's.
 */
import { cameraOf, type EventMessage, type Role } from '@openeye/protocol';

export class CameraAccess {
  static readonly ALL = new CameraAccess(null);

  private constructor(
    /** The cameras visible; null: every camera. */
    readonly cameras: ReadonlySet<number> | null,
  ) {}

  static of(cameraIds: readonly number[] | null): CameraAccess {
    return cameraIds === null ? CameraAccess.ALL : new CameraAccess(new Set(cameraIds));
  }

  /** A user's access: every camera for admins, their list (or every camera) otherwise. */
  static forUser(user: { role: Role; camera_ids: readonly number[] | null }): CameraAccess {
    return user.role === 'admin' ? CameraAccess.ALL : CameraAccess.of(user.camera_ids);
  }

  get limited(): boolean {
    return this.cameras !== null;
  }

  /** Whether something about `cameraId` may be shown (nothing about no camera is hidden). */
  canSee(cameraId: number | null | undefined): boolean {
    return this.cameras === null || cameraId === null || cameraId === undefined || this.cameras.has(cameraId);
  }

  seesEvent(event: EventMessage): boolean {
    return this.canSee(cameraOf(event));
  }

  /** What both allow. */
  and(other: CameraAccess): CameraAccess {
    if (other.cameras === null) return this;
    if (this.cameras === null) return other;
    const mine = this.cameras;
    return new CameraAccess(new Set([...other.cameras].filter((id) => mine.has(id))));
  }

  /** A subscription's camera filter (null: every camera) narrowed to what may be seen. */
  narrow(filter: ReadonlySet<number> | null): Set<number> | null {
    if (this.cameras === null) return filter === null ? null : new Set(filter);
    if (filter === null) return new Set(this.cameras);
    const mine = this.cameras;
    return new Set([...filter].filter((id) => mine.has(id)));
  }
}
