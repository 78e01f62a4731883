/** API keys for producers (admin only): create (the key is shown once), list, revoke. */
import { ApiKey, CreateApiKeyRequest, CreatedApiKey, IdParams } from '@openeye/protocol';
import { Type } from '@sinclair/typebox';
import { type App, errors, type RouteContext } from './context.js';

export function keyRoutes(app: App, ctx: RouteContext): void {
  const { keys, guard } = ctx;
  const admin = guard('admin');
  const security = [{ bearer: [] }];

  app.get(
    '/api/keys',
    {
      preHandler: admin,
      schema: {
        tags: ['keys'],
        summary: 'Every API key (without its secret)',
        security,
        response: { 200: Type.Array(ApiKey), ...errors },
      },
    },
    () => keys.list(),
  );

  app.post(
    '/api/keys',
    {
      preHandler: admin,
      schema: {
        tags: ['keys'],
        summary: 'Create an API key for a producer or admin account; the key is in this answer only',
        security,
        body: CreateApiKeyRequest,
        response: { 201: CreatedApiKey, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await keys.create(req.body)),
  );

  app.delete(
    '/api/keys/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['keys'],
        summary: 'Revoke an API key: refused from the next request on',
        security,
        params: IdParams,
        response: { 200: ApiKey, ...errors },
      },
    },
    (req) => keys.revoke(req.params.id),
  );
}
