/** The REST auth hook: `Authorization: Bearer <JWT>`, then a role check. 401 and 403 as JSON. */
import type { Role } from '@openeye/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import type { Store } from '../store/index.js';
import type { JwtService } from './jwt.js';

export interface AuthUser {
  id: number;
  username: string;
  role: Role;
  tokenExpiresAt: number;
  /** The user's current token version (tokens signed for this user carry it). */
  token_version: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser | null;
  }
}

export type Guard = (...roles: Role[]) => (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

export function createGuard(jwt: JwtService, store: Store): Guard {
  return (...roles) =>
    async (req) => {
      const header = req.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : null;
      if (!token) throw new DomainError('unauthorized', 'Missing bearer token');
      const result = jwt.verify(token);
      if (!result.ok) {
        throw new DomainError('unauthorized', result.reason === 'expired' ? 'Token expired' : 'Invalid token');
      }
      const user = await store.users.byId(result.userId);
      // Unknown, disabled, or the token predates a password change.
      if (!user || user.disabled || user.token_version !== result.claims.tv) {
        throw new DomainError('unauthorized', 'Invalid token');
      }
      if (roles.length > 0 && !roles.includes(user.role)) {
        throw new DomainError('forbidden', `This needs the role ${roles.join(' or ')}`);
      }
      req.user = {
        id: user.id,
        username: user.username,
        role: user.role,
        tokenExpiresAt: result.claims.exp,
        token_version: user.token_version,
      };
    };
}
