/** The OpenAPI document (`/api/openapi.json`) built from the route schemas, and the interactive `/docs`. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { App } from './context.js';

export async function openApi(app: App): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: { title: 'OpenEye Realtime API', version: '1', description: 'REST beside the WebSocket of protocol.md' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (json.$id as string) ?? `def-${i}` },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
