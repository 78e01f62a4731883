/**
 * The dashboard's files as a real server serves them (issue 16, HTTP and operations): hashed
 * assets cached for a year and `immutable`, index.html and unhashed files revalidated (`no-cache`),
 * brotli or gzip by Accept-Encoding (with `Vary` and the right `Content-Encoding`, a body that
 * decompresses to the very file), identity otherwise, and ETag / 304 for every representation.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing.js';
import { fakeWebRoot } from './web-build.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';

let webRoot: string;
let t: TestServer;
let js: string;
let css: string;

/** What the dashboard's build writes beside a file (packages/web/scripts/precompress.mjs). */
let prebuilt: { route: string; br: Buffer; gz: Buffer };

beforeAll(async () => {
  webRoot = fakeWebRoot();
  // A precompressed pair for the service worker, made at another quality than the server's own, so
  // the test can tell which bytes were sent.
  const sw = fs.readFileSync(path.join(webRoot, 'sw.js'));
  prebuilt = {
    route: '/sw.js',
    br: brotliCompressSync(sw, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } }),
    gz: gzipSync(sw, { level: 1 }),
  };
  fs.writeFileSync(path.join(webRoot, 'sw.js.br'), prebuilt.br);
  fs.writeFileSync(path.join(webRoot, 'sw.js.gz'), prebuilt.gz);
  t = await startTestServer({ env: { OPENEYE_WEB_ROOT: webRoot } });
  const assets = fs.readdirSync(path.join(webRoot, 'assets'));
  js = `/assets/${assets.find((f) => f.endsWith('.js'))}`;
  css = `/assets/${assets.find((f) => f.endsWith('.css'))}`;
});
afterAll(async () => {
  await t?.close();
});

const file = (route: string) => fs.readFileSync(path.join(webRoot, route === '/' ? 'index.html' : route.slice(1)));
/** node:http, not fetch: fetch asks for compression by itself and decompresses what it gets. */
const get = (route: string, headers: Record<string, string> = {}, method = 'GET') =>
  new Promise<{ res: { status: number; headers: Headers }; body: Buffer }>((resolve, reject) => {
    const req = http.request(`${t.url}${route}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const h = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) h.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        resolve({ res: { status: res.statusCode ?? 0, headers: h }, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end();
  });

describe('static assets', () => {
  it('caches hashed assets for a year (immutable), revalidates index.html, SPA routes and unhashed files', async () => {
    for (const route of [js, css]) {
      const { res } = await get(route);
      expect(res.status, route).toBe(200);
      expect(res.headers.get('cache-control'), route).toBe(IMMUTABLE);
    }
    for (const route of ['/', '/alerts', '/favicon.svg', '/sw.js']) {
      const { res } = await get(route);
      expect(res.status, route).toBe(200);
      expect(res.headers.get('cache-control'), route).toBe('no-cache');
    }
    expect((await get(js)).res.headers.get('content-type')).toMatch(/^text\/javascript|^application\/javascript/);
    expect((await get(css)).res.headers.get('content-type')).toMatch(/^text\/css/);
    expect((await get('/')).res.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('serves brotli to a client that accepts it: a body that decompresses to the file', async () => {
    for (const route of [js, css, '/']) {
      const { res, body } = await get(route, { 'accept-encoding': 'gzip, deflate, br' });
      expect(res.headers.get('content-encoding'), route).toBe('br');
      expect(res.headers.get('vary')?.toLowerCase(), route).toContain('accept-encoding');
      expect(Number(res.headers.get('content-length')), route).toBe(body.length);
      expect(body.length, route).toBeLessThan(file(route).length);
      expect(brotliDecompressSync(body).equals(file(route)), route).toBe(true);
    }
    // The same bytes the second time (compressed once, kept).
    const again = await get(js, { 'accept-encoding': 'br' });
    const first = await get(js, { 'accept-encoding': 'br' });
    expect(again.body.equals(first.body)).toBe(true);
  });

  it('serves gzip when brotli is not accepted (or refused with q=0)', async () => {
    for (const accept of ['gzip', 'gzip, deflate', 'br;q=0, gzip;q=0.8']) {
      const { res, body } = await get(js, { 'accept-encoding': accept });
      expect(res.headers.get('content-encoding'), accept).toBe('gzip');
      expect(res.headers.get('vary')?.toLowerCase(), accept).toContain('accept-encoding');
      expect(gunzipSync(body).equals(file(js)), accept).toBe(true);
    }
  });

  it('serves the file as is without Accept-Encoding, or with identity only', async () => {
    for (const accept of [undefined, 'identity', 'gzip;q=0, br;q=0']) {
      const { res, body } = await get(js, accept === undefined ? {} : { 'accept-encoding': accept });
      expect(res.headers.get('content-encoding'), accept).toBeNull();
      expect(res.headers.get('vary')?.toLowerCase(), accept).toContain('accept-encoding');
      expect(body.equals(file(js)), accept).toBe(true);
    }
  });

  it('answers 304 to If-None-Match with the ETag of the same representation, a body otherwise', async () => {
    for (const accept of ['br', 'gzip', 'identity']) {
      const { res } = await get(js, { 'accept-encoding': accept });
      const etag = res.headers.get('etag');
      expect(etag, accept).toMatch(/^"[^"]+"$/);
      const cached = await get(js, { 'accept-encoding': accept, 'if-none-match': etag! });
      expect(cached.res.status, accept).toBe(304);
      expect(cached.body.length, accept).toBe(0);
      expect(cached.res.headers.get('cache-control'), accept).toBe(IMMUTABLE);
    }
    const tags = await Promise.all(
      ['br', 'gzip', 'identity'].map(async (a) => (await get(js, { 'accept-encoding': a })).res.headers.get('etag')),
    );
    expect(new Set(tags).size).toBe(3);
    const stale = await get(js, { 'accept-encoding': 'br', 'if-none-match': '"not-this-one"' });
    expect(stale.res.status).toBe(200);
    const index = await get('/', { 'accept-encoding': 'gzip' });
    const revalidated = await get('/', { 'accept-encoding': 'gzip', 'if-none-match': index.res.headers.get('etag')! });
    expect(revalidated.res.status).toBe(304);
  });

  it('sends the files the build precompressed as they are, and never serves them under their own name', async () => {
    const br = await get(prebuilt.route, { 'accept-encoding': 'br' });
    expect(br.res.headers.get('content-encoding')).toBe('br');
    expect(br.body.equals(prebuilt.br)).toBe(true);
    const gz = await get(prebuilt.route, { 'accept-encoding': 'gzip' });
    expect(gz.res.headers.get('content-encoding')).toBe('gzip');
    expect(gz.body.equals(prebuilt.gz)).toBe(true);
    expect(gunzipSync(gz.body).equals(file(prebuilt.route))).toBe(true);
    for (const route of ['/sw.js.br', '/sw.js.gz']) expect((await get(route)).res.status, route).toBe(404);
  });

  it('answers HEAD with the headers and no body; a missing asset stays a 404', async () => {
    const { res, body } = await get(js, { 'accept-encoding': 'br' }, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(body.length).toBe(0);
    const missing = await get('/assets/index-NOTTHERE.js');
    expect(missing.res.status).toBe(404);
  });
});
