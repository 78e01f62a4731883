/**
 * The dashboard: `packages/web/dist` (or OPENEYE_WEB_ROOT) served at `/`, with the SPA fallback to
 * index.html for the dashboard's routes. A missing file (a name with an extension) stays a 404, and
 * anything unknown under /api answers a JSON 404.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { redactUrl } from '../logger.js';
import type { App } from './context.js';

function defaultWebRoot(): string {
  // packages/server/{src,dist}/http/static.* -> packages/web/dist
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');
}

export async function staticRoutes(app: App, webRoot: string | null): Promise<void> {
  const root = webRoot ?? defaultWebRoot();
  const hasWeb = fs.existsSync(path.join(root, 'index.html'));
  if (hasWeb) await app.register(fastifyStatic, { root, wildcard: false });
  app.setNotFoundHandler((req, reply) => {
    const pathname = req.url.split('?')[0] ?? '';
    const isRoute = !pathname.slice(pathname.lastIndexOf('/')).includes('.');
    if (hasWeb && req.method === 'GET' && isRoute && !pathname.startsWith('/api/') && !pathname.startsWith('/docs')) {
      return reply.sendFile('index.html');
    }
    return reply
      .code(404)
      .send({ error: 'not_found', message: `No route ${req.method} ${redactUrl(req.url).split('?')[0]}` });
  });
}
