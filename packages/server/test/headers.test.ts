/**
 * Security headers (issue 16, HTTP and operations) on every kind of answer of a real server: the
 * dashboard, its hashed assets, the API (success, 401, 404), the docs. The dashboard in Chromium
 * under that policy: packages/web/test/csp.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing.js';
import { fakeWebRoot } from './web-build.js';

let webRoot: string;
let t: TestServer;
let asset: string;

beforeAll(async () => {
  webRoot = fakeWebRoot();
  t = await startTestServer({ env: { OPENEYE_WEB_ROOT: webRoot } });
  const js = fs.readdirSync(path.join(webRoot, 'assets')).find((f) => f.endsWith('.js'));
  asset = `/assets/${js}`;
});
afterAll(async () => {
  await t?.close();
});

/** The policy's directives by name. */
function directives(csp: string | null): Record<string, string[]> {
  expect(csp).toBeTruthy();
  return Object.fromEntries(
    csp!
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

/** Checks the headers and reads the body (an unread body would hold the connection at close). */
async function expectSecurityHeaders(res: Response, where: string, docs = false): Promise<void> {
  await res.arrayBuffer();
  const csp = directives(res.headers.get('content-security-policy'));
  // Swagger UI adds a <style> element: inline styles on /docs only, never inline scripts.
  if (docs)
    expect(csp['style-src']?.splice(csp['style-src'].indexOf("'unsafe-inline'"), 1), where).toEqual([
      "'unsafe-inline'",
    ]);
  else expect(csp['style-src'], where).toEqual(["'self'"]);
  expect(csp['default-src'], where).toEqual(["'self'"]);
  expect(csp['script-src'], where).toEqual(["'self'"]);
  expect(csp['frame-ancestors'], where).toEqual(["'none'"]);
  expect(csp['object-src'], where).toEqual(["'none'"]);
  expect(csp['img-src'], where).toEqual(expect.arrayContaining(["'self'", 'blob:']));
  expect(csp['connect-src'], where).toEqual(expect.arrayContaining(["'self'", 'ws:', 'wss:']));
  for (const values of Object.values(csp)) {
    expect(values, where).not.toContain("'unsafe-inline'");
    expect(values, where).not.toContain("'unsafe-eval'");
  }
  expect(res.headers.get('x-content-type-options'), where).toBe('nosniff');
  expect(res.headers.get('x-frame-options'), where).toBe('DENY');
  expect(['no-referrer', 'strict-origin-when-cross-origin'], where).toContain(res.headers.get('referrer-policy'));
}

describe('security headers', () => {
  it('are on the dashboard, its SPA routes, an asset, the favicon', async () => {
    for (const route of ['/', '/alerts', asset, '/favicon.svg']) {
      const res = await fetch(t.url + route);
      expect(res.status, route).toBe(200);
      await expectSecurityHeaders(res, route);
    }
  });

  it('are on API answers: success, 401, 404, 400, and on the metrics and health routes', async () => {
    const ok = await fetch(`${t.url}/api/statistics`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(ok.status).toBe(200);
    await expectSecurityHeaders(ok, 'GET /api/statistics');
    const unauthorized = await fetch(`${t.url}/api/statistics`);
    expect(unauthorized.status).toBe(401);
    await expectSecurityHeaders(unauthorized, 'GET /api/statistics 401');
    const missing = await fetch(`${t.url}/api/nothing-here`);
    expect(missing.status).toBe(404);
    await expectSecurityHeaders(missing, 'GET /api/nothing-here');
    const bad = await fetch(`${t.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":',
    });
    expect(bad.status).toBe(400);
    await expectSecurityHeaders(bad, 'POST /api/auth/login 400');
    for (const route of ['/healthz', '/readyz', '/api/openapi.json']) {
      const res = await fetch(t.url + route);
      expect(res.status, route).toBe(200);
      await expectSecurityHeaders(res, route);
    }
    for (const route of ['/docs', '/docs/static/swagger-ui-bundle.js']) {
      const res = await fetch(t.url + route);
      expect(res.status, route).toBe(200);
      await expectSecurityHeaders(res, route, true);
    }
  });
});
