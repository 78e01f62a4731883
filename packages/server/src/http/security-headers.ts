/**
 * Security headers on every HTTP answer (dashboard, assets, API, errors, docs): a Content-Security-
 * Policy that allows no inline script, no eval and no framing, `nosniff`, a referrer policy, and
 * X-Frame-Options for browsers older than `frame-ancestors`. HSTS only when this server terminates
 * TLS itself (behind a proxy, the proxy sets it).
 */
import type { App } from './context.js';

/**
 * What the dashboard needs and nothing more: its own scripts, styles and fonts; images from itself,
 * `blob:` (camera frames are object URLs) and `data:` (icons in the stylesheets of the docs); the
 * REST API and the WebSocket (`ws:`/`wss:`: 'self' does not match them in every browser); the
 * service worker for Web Push from itself.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The API docs (`/docs`, Swagger UI) add a `<style>` element at run time: inline styles there only.
 * Scripts stay 'self' everywhere.
 */
export const DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
  "style-src 'self'",
  "style-src 'self' 'unsafe-inline'",
);

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

export function installSecurityHeaders(app: App, options: { tls: boolean }): void {
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    ...(options.tls ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
  const docs = { ...headers, 'content-security-policy': DOCS_CONTENT_SECURITY_POLICY };
  // onRequest: set before any handler or error handler runs, so every answer (404, 400 for a body
  // that does not parse, 500) carries them.
  app.addHook('onRequest', (req, reply, done) => {
    reply.headers(req.url === '/docs' || req.url.startsWith('/docs/') ? docs : headers);
    done();
  });
}
