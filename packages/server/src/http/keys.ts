/** API keys (admin only): create (the key is shown once), list, revoke (its sockets close too). */
import { ApiKey, CreateApiKeyRequest, CreatedApiKey, IdParams } from '@openeye/protocol';
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from './context.js';
import { operations } from './operation.js';

export function keyRoutes(app: App, ctx: RouteContext): void {
  const { keys } = ctx;
  const operation = operations(ctx.guard);
  const admin = ['admin'] as const;

  app.get(
    '/api/keys',
    operation({
      operationId: 'listApiKeys',
      summary: 'Every API key (without its secret)',
      tag: 'keys',
      auth: admin,
      response: { 200: Type.Array(ApiKey) },
    }),
    () => keys.list(),
  );

  app.post(
    '/api/keys',
    operation({
      operationId: 'createApiKey',
      summary:
        "Create an API key for an account (a viewer's key is read-only: a kiosk screen); the key is in this answer only",
      tag: 'keys',
      auth: admin,
      body: CreateApiKeyRequest,
      response: { 201: CreatedApiKey },
      errors: ['not_found'],
    }),
    async (req, reply) => reply.code(201).send(await keys.create(req.body)),
  );

  app.delete(
    '/api/keys/:id',
    operation({
      operationId: 'revokeApiKey',
      summary: 'Revoke an API key: refused from the next request on, its open sockets closed',
      tag: 'keys',
      auth: admin,
      params: IdParams,
      response: { 200: ApiKey },
      errors: ['not_found'],
    }),
    (req) => keys.revoke(req.params.id),
  );
}
