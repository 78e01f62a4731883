/** Login, token refresh, the current user, and admin-only user management. */
import { CreateUserRequest, IdParams, LoginRequest, TokenResponse, UpdateUserRequest, User } from '@openeye/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { hashPassword, needsRehash, verifyPassword } from '../auth/passwords.js';
import { DomainError } from '../domain/errors.js';
import { publicUser } from '../store/index.js';
import type { App, RouteContext } from './context.js';
import { MEDIA_COOKIE } from './media.js';
import { operations } from './operation.js';

export function authRoutes(app: App, ctx: RouteContext): void {
  const { store, jwt, users, loginThrottle, loginWork } = ctx;
  const operation = operations(ctx.guard);
  const secure = ctx.config.tlsCert ? '; Secure' : '';
  /**
   * A token, also set as the media cookie: an HttpOnly cookie sent only to /api/media, so a browser
   * can show event snapshots (`<img src=…>`) without a token in any URL (protocol.md section 7).
   */
  const issue = (
    u: { id: number; username: string; role: User['role']; token_version: number },
    reply: FastifyReply,
  ) => {
    const token = jwt.sign(u);
    reply.header(
      'set-cookie',
      `${MEDIA_COOKIE}=${token}; Path=/api/media; HttpOnly; SameSite=Strict; Max-Age=${jwt.defaultLifetimeSeconds}${secure}`,
    );
    return { access_token: token, token_type: 'bearer' as const, expires_in: jwt.defaultLifetimeSeconds };
  };

  app.post(
    '/api/auth/login',
    operation({
      operationId: 'login',
      summary: 'Exchange a username and password for a JWT (JSON or form body)',
      tag: 'auth',
      auth: 'public',
      body: LoginRequest,
      consumes: ['application/json', 'application/x-www-form-urlencoded'],
      response: { 200: TokenResponse },
      // Refused (401); throttled after repeated failures (429); too many at once (503).
      errors: ['invalid_credentials', 'rate_limited'],
    }),
    async (req, reply) => {
      const { username, password } = req.body;
      const verdict = await loginThrottle.check(username, req.ip);
      if (!verdict.ok) {
        reply.header('retry-after', String(verdict.retryAfterSeconds));
        throw new DomainError('rate_limited', `Too many failed logins; try again in ${verdict.retryAfterSeconds} s`);
      }
      const user = await store.users.byUsername(username);
      // scrypt for unauthenticated requests runs a few at a time; a flood is told to come back.
      const ok = await loginWork.run(() => verifyPassword(password, user?.password_hash ?? null));
      if (ok === null) {
        reply.header('retry-after', '1');
        throw new DomainError('unavailable', 'Too many logins at once; try again in a moment');
      }
      if (!user || !ok || user.disabled) {
        req.log.info({ event: 'auth.login_failed', remote: req.ip }, 'login failed');
        const reached = await loginThrottle.failed(username, req.ip);
        if (reached) {
          req.log.warn(
            { event: 'auth.throttled', by: reached, username, remote: req.ip },
            `failed logins reached the ${reached} limit; further attempts are refused for a while`,
          );
        }
        throw new DomainError('invalid_credentials', 'Wrong username or password');
      }
      await loginThrottle.succeeded(username);
      // A hash made with older parameters is replaced now that the password is known.
      if (needsRehash(user.password_hash)) await store.users.rehash(user.id, await hashPassword(password));
      return issue(user, reply);
    },
  );

  app.post(
    '/api/auth/refresh',
    operation({
      operationId: 'refreshToken',
      summary: 'A fresh token for a valid one (not for an API key)',
      tag: 'auth',
      auth: 'user',
      // A key is not a session: exchanged for a JWT it would shed its cameras and its role cap.
      apiKeys: false,
      response: { 200: TokenResponse },
    }),
    async (req, reply) => issue(req.user!, reply),
  );

  app.get(
    '/api/users/me',
    operation({
      operationId: 'getCurrentUser',
      summary: 'The signed-in user',
      tag: 'users',
      auth: 'user',
      response: { 200: User },
    }),
    async (req) => publicUser((await store.users.byId(req.user!.id))!),
  );

  const admin = ['admin'] as const;

  app.get(
    '/api/users',
    operation({
      operationId: 'listUsers',
      summary: 'Every account',
      tag: 'users',
      auth: admin,
      response: { 200: Type.Array(User) },
    }),
    () => users.list(),
  );

  app.post(
    '/api/users',
    operation({
      operationId: 'createUser',
      summary: 'Create an account',
      tag: 'users',
      auth: admin,
      body: CreateUserRequest,
      response: { 201: User },
      errors: ['conflict'],
    }),
    async (req, reply) => reply.code(201).send(await users.create(req.body)),
  );

  app.get(
    '/api/users/:id',
    operation({
      operationId: 'getUser',
      summary: 'One account',
      tag: 'users',
      auth: admin,
      params: IdParams,
      response: { 200: User },
      errors: ['not_found'],
    }),
    (req) => users.get(req.params.id),
  );

  app.patch(
    '/api/users/:id',
    operation({
      operationId: 'updateUser',
      summary: 'Change a password, a role, or disable an account; ends the user’s sessions',
      tag: 'users',
      auth: admin,
      params: IdParams,
      body: UpdateUserRequest,
      response: { 200: User },
      errors: ['not_found'],
    }),
    (req) => users.update(req.params.id, req.body),
  );

  app.delete(
    '/api/users/:id',
    operation({
      operationId: 'deleteUser',
      summary: 'Delete an account (not your own); ends its sessions',
      tag: 'users',
      auth: admin,
      params: IdParams,
      response: { 204: Type.Null() },
      errors: ['not_found', 'conflict'],
    }),
    async (req, reply) => {
      await users.delete(req.params.id, req.user!.id);
      return reply.code(204).send(null);
    },
  );
}
