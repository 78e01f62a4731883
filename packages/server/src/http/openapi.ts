/**
 * The OpenAPI document (`/api/openapi.json`) built from the route schemas, and the interactive `/docs`.
 * Operations carry the operationId, summary, tag, security and responses that http/operation.ts
 * gives them; here the named payloads become `$ref`s to `#/components/schemas/<Name>` (the route
 * schemas themselves stay inline: validation and serialization do not change), and each success
 * and rate-limited answer gets its description and `Retry-After` header.
 */
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { App } from './context.js';
import { TAGS } from './operation.js';
import { registerDocumentSchemas, withRefs } from './schemas.js';

/** The version of @openeye/server (package.json is two levels above both src/http and dist/http). */
function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

const RETRY_AFTER = {
  'Retry-After': { type: 'integer', minimum: 1, description: 'Seconds to wait before trying again' },
};

type RouteSchema = Record<string, unknown> & { response?: Record<string, Record<string, unknown>>; hide?: boolean };

/** The route schema as the document shows it: named payloads by reference, described answers. */
function documented(schema: RouteSchema): RouteSchema {
  const out: RouteSchema = { ...schema };
  if (schema.body) out.body = withRefs(schema.body);
  if (schema.response) {
    out.response = Object.fromEntries(
      Object.entries(schema.response).map(([status, answer]) => {
        const { description, ...rest } = withRefs(answer) as Record<string, unknown>;
        const text = typeof description === 'string' ? description : (STATUS_CODES[status] ?? status);
        // The answer's description: beside a $ref, `description` (the reference drops other keys);
        // in an inline schema, the extension (a `description` there would describe the body too).
        const doc: Record<string, unknown> = { ...rest, [rest.$ref ? 'description' : 'x-response-description']: text };
        if (status === '429' || status === '503') doc.headers = RETRY_AFTER;
        return [status, doc];
      }),
    );
  }
  return out;
}

export async function openApi(app: App): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'OpenEye Realtime API',
        version: packageVersion(),
        description:
          'REST beside the WebSocket (`/api/ws/statistics`) of docs/protocol.md. Errors answer `ErrorResponse` with a code of protocol.md section 7.',
      },
      tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (json.$id as string) ?? `def-${i}` },
    transform: ({ schema, url }) =>
      !schema || (schema as RouteSchema).hide ? { schema, url } : { schema: documented(schema as RouteSchema), url },
  });
  await registerDocumentSchemas(app);
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Swagger UI (and its static files through @fastify/static) loads on the first request to /docs:
  // ~2 MB of heap an idle server does not need (docs/benchmarks.md, "Idle memory"). It runs in an
  // instance of its own, built then; its answers go out through this app (hooks, headers).
  let docs: Promise<FastifyInstance> | null = null;
  const serveDocs = async (req: FastifyRequest, reply: FastifyReply) => {
    docs ??= swaggerUiInstance(app).catch((err: unknown) => {
      docs = null;
      throw err;
    });
    const res = await (await docs).inject({
      method: req.method as 'GET' | 'HEAD',
      url: req.url,
      headers: req.headers,
    });
    // Not one of Swagger UI's: this app's own 404 (ErrorResponse), as before.
    if (res.statusCode === 404) return reply.callNotFound();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined && !HOP_HEADERS.has(name)) reply.header(name, value);
    }
    return reply.code(res.statusCode).send(res.rawPayload);
  };
  app.get('/docs', { schema: { hide: true } }, serveDocs);
  app.get('/docs/*', { schema: { hide: true } }, serveDocs);
}

/** Headers of the inner answer that this app's own answer sets for itself. */
const HOP_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);

/** Swagger UI at /docs in a Fastify instance of its own, its document from `app.swagger()`. */
async function swaggerUiInstance(app: App): Promise<FastifyInstance> {
  const { default: swaggerUi } = await import('@fastify/swagger-ui');
  const inner = Fastify();
  // @fastify/swagger-ui depends on a plugin named @fastify/swagger that decorates `swagger`.
  const document = Object.assign(
    async (instance: FastifyInstance) => {
      instance.decorate('swagger', ((options?: { yaml?: boolean }) => app.swagger(options as never)) as never);
    },
    { [Symbol.for('skip-override')]: true, [Symbol.for('plugin-meta')]: { name: '@fastify/swagger' } },
  );
  await inner.register(document);
  await inner.register(swaggerUi, { routePrefix: '/docs' });
  await inner.ready();
  return inner;
}
