/**
 * Who a WebSocket connection is: its token (a JWT, or an API key for producers) checked against
 * the user it names. The same rules as the REST guard: unknown or disabled users, and JWTs older
 * than the user's last password change, are refused; an API key acts as a producer (a viewer's
 * key: as a viewer) within its user's cameras and its own.
 */
import type { Role } from '@openeye/protocol';
import { andThen, type Maybe } from '../maybe.js';
import type { UserRecord } from '../store/index.js';
import { CameraAccess } from './access.js';
import { type ApiKeyVerifier, isApiKey, keyRole } from './api-keys.js';
import type { JwtService } from './jwt.js';

/** An API key does not expire: its connections' `token_expires_at` is the last second of 9999. */
const NEVER = 253_402_300_799;

export interface SocketPrincipal {
  user: { id: number; username: string; role: Role; token_version: number };
  /** When the credential expires, seconds since the epoch (API keys: never). */
  expiresAt: number;
  access: CameraAccess;
  /** The API key the connection came with (its sockets close when it is revoked); null for a JWT. */
  key: { id: number; cameraIds: number[] | null } | null;
}

export type SocketAuthResult =
  | { ok: true; principal: SocketPrincipal }
  | { ok: false; reason: 'invalid' | 'expired' | 'timeout' };

export class SocketAuthenticator {
  constructor(
    private readonly jwt: JwtService,
    private readonly keys: ApiKeyVerifier,
    /**
     * The user row (the endpoint caches it briefly: then at hand, not a promise); 'timeout' when the
     * store did not answer in time.
     */
    private readonly loadUser: (id: number) => Maybe<UserRecord | null | 'timeout'>,
  ) {}

  /** Synchronous for a JWT whose user is at hand (the common case); a promise otherwise. */
  verify(token: string): Maybe<SocketAuthResult> {
    if (isApiKey(token)) return this.verifyKey(token);
    const verified = this.jwt.verify(token);
    if (!verified.ok) return { ok: false, reason: verified.reason };
    const { claims } = verified;
    return andThen(this.loadUser(verified.userId), (user): SocketAuthResult => {
      if (user === 'timeout') return { ok: false, reason: 'timeout' };
      if (!user || user.disabled || user.token_version !== claims.tv) return { ok: false, reason: 'invalid' };
      return { ok: true, principal: { user, expiresAt: claims.exp, access: CameraAccess.forUser(user), key: null } };
    });
  }

  private async verifyKey(token: string): Promise<SocketAuthResult> {
    const key = await this.keys.verify(token);
    if (!key) return { ok: false, reason: 'invalid' };
    const user = await this.loadUser(key.user_id);
    if (user === 'timeout') return { ok: false, reason: 'timeout' };
    if (!user || user.disabled) return { ok: false, reason: 'invalid' };
    return {
      ok: true,
      principal: {
        user: { ...user, role: keyRole(user.role) },
        expiresAt: NEVER,
        access: CameraAccess.forUser(user).and(CameraAccess.of(key.camera_ids)),
        key: { id: key.id, cameraIds: key.camera_ids },
      },
    };
  }
}
