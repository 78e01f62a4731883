/** The REST auth hook: `Authorization: Bearer <JWT>`, then a role check. 401 and 403 as JSON. */
import type { Role } from '@openeye/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import type { Store } from '../store/index.js';
import { CameraAccess } from './access.js';
import { type ApiKeyVerifier, isApiKey, keyRole } from './api-keys.js';
import type { JwtService } from './jwt.js';

export interface AuthUser {
  id: number;
  username: string;
  role: Role;
  tokenExpiresAt: number;
  /** The user's current token version (tokens signed for this user carry it). */
  token_version: number;
  /** The cameras this request may see or touch. */
  access: CameraAccess;
  /** The API key the request came with; null for a person's token. */
  keyId: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser | null;
  }
}

export type Guard = (...roles: Role[]) => (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

export function createGuard(jwt: JwtService, store: Store, keys: ApiKeyVerifier): Guard {
  return (...roles) =>
    async (req) => {
      const header = req.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : null;
      if (!token) throw new DomainError('unauthorized', 'Missing bearer token');
      const principal = isApiKey(token) ? await byKey(token, keys, store) : await byToken(token, jwt, store);
      if (roles.length > 0 && !roles.includes(principal.role)) {
        throw new DomainError('forbidden', `This needs the role ${roles.join(' or ')}`);
      }
      req.user = principal;
    };
}

async function byToken(token: string, jwt: JwtService, store: Store): Promise<AuthUser> {
  const result = jwt.verify(token);
  if (!result.ok) {
    throw new DomainError('unauthorized', result.reason === 'expired' ? 'Token expired' : 'Invalid token');
  }
  const user = await store.users.byId(result.userId);
  // Unknown, disabled, or the token predates a password change.
  if (!user || user.disabled || user.token_version !== result.claims.tv) {
    throw new DomainError('unauthorized', 'Invalid token');
  }
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    tokenExpiresAt: result.claims.exp,
    token_version: user.token_version,
    access: CameraAccess.forUser(user),
    keyId: null,
  };
}

/**
 * An API key acts for its user within the user's cameras and the key's own: as a producer (a
 * producer's or admin's key), or as a viewer (a viewer's key: a kiosk screen, read-only).
 */
async function byKey(token: string, keys: ApiKeyVerifier, store: Store): Promise<AuthUser> {
  const key = await keys.verify(token);
  const user = key ? await store.users.byId(key.user_id) : null;
  if (!key || !user || user.disabled) {
    throw new DomainError('unauthorized', 'Invalid API key');
  }
  return {
    id: user.id,
    username: user.username,
    role: keyRole(user.role),
    tokenExpiresAt: Number.POSITIVE_INFINITY,
    token_version: user.token_version,
    access: CameraAccess.forUser(user).and(CameraAccess.of(key.camera_ids)),
    keyId: key.id,
  };
}

/** A hook for routes a person must call themselves: an API key gets 403 (after the guard). */
export async function refuseApiKeys(req: FastifyRequest): Promise<void> {
  if (req.user?.keyId != null) throw new DomainError('forbidden', 'An API key cannot do this; sign in as a person');
}
