/**
 * The dashboard: `packages/web/dist` (or OPENEYE_WEB_ROOT) served at `/`, with the SPA fallback to
 * index.html for the dashboard's routes. A missing file (a name with an extension) stays a 404, and
 * anything unknown under /api answers a JSON 404.
 *
 * Caching: Vite's hashed files (`/assets/name-HASH.ext`) never change under their name: a year and
 * `immutable`; index.html and every other file are revalidated (`no-cache`) against a strong ETag.
 * Compression: the dashboard's build writes `file.br` (brotli 11) and `file.gz` (gzip 9) beside each
 * text file (packages/web/scripts/precompress.mjs); those are sent as they are and never served under
 * their own names. A file without them (another web root) is compressed once per encoding on its
 * first request, at a quality that takes milliseconds (brotli 5, gzip 6: brotli 11 takes a second
 * for the dashboard's script, which the first page load after a start would wait for). Either way
 * the bytes are kept in memory with the file; a request picks by Accept-Encoding (`Vary`), and each
 * representation has its own ETag. The file list is read at start; a file is read on its first
 * request (a rebuilt dashboard needs a restart, as its new asset names do anyway).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { redactUrl } from '../logger.js';
import type { App } from './context.js';

function defaultWebRoot(): string {
  // packages/server/{src,dist}/http/static.* -> packages/web/dist
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');
}

const TYPES: Record<string, { type: string; compress: boolean }> = {
  '.html': { type: 'text/html; charset=utf-8', compress: true },
  '.js': { type: 'text/javascript; charset=utf-8', compress: true },
  '.mjs': { type: 'text/javascript; charset=utf-8', compress: true },
  '.css': { type: 'text/css; charset=utf-8', compress: true },
  '.json': { type: 'application/json; charset=utf-8', compress: true },
  '.webmanifest': { type: 'application/manifest+json; charset=utf-8', compress: true },
  '.svg': { type: 'image/svg+xml', compress: true },
  '.txt': { type: 'text/plain; charset=utf-8', compress: true },
  '.ico': { type: 'image/x-icon', compress: true },
  '.png': { type: 'image/png', compress: false },
  '.jpg': { type: 'image/jpeg', compress: false },
  '.jpeg': { type: 'image/jpeg', compress: false },
  '.webp': { type: 'image/webp', compress: false },
  '.avif': { type: 'image/avif', compress: false },
  '.woff2': { type: 'font/woff2', compress: false },
  '.woff': { type: 'font/woff', compress: false },
};
const OTHER = { type: 'application/octet-stream', compress: false };

/** Vite's content-hashed output: `assets/<name>-<8+ base64url chars>.<ext>`. */
const HASHED = /^\/assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Larger files are streamed from disk as they are (a dashboard has none). */
const MAX_CACHED_BYTES = 8 * 1024 * 1024;
/** Below this, compression saves less than its header costs. */
const MIN_COMPRESS_BYTES = 512;

type Encoding = 'br' | 'gzip' | 'identity';
interface Representation {
  body: Buffer;
  etag: string;
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** One file of the web root: its identity bytes and each encoding, made once, on demand. */
class StaticFile {
  readonly type: string;
  readonly cacheControl: string;
  private readonly compressible: boolean;
  private identity: Promise<Representation | null> | null = null;
  private readonly encoded = new Map<Exclude<Encoding, 'identity'>, Promise<Representation | null>>();

  constructor(
    readonly file: string,
    readonly urlPath: string,
    readonly size: number,
    /** The build's precompressed siblings, by encoding. */
    private readonly prebuilt: ReadonlyMap<'br' | 'gzip', string> = new Map(),
  ) {
    const kind = TYPES[path.extname(file).toLowerCase()] ?? OTHER;
    this.type = kind.type;
    this.compressible = kind.compress && size >= MIN_COMPRESS_BYTES && size <= MAX_CACHED_BYTES;
    this.cacheControl = HASHED.test(urlPath) ? IMMUTABLE : 'no-cache';
  }

  get varies(): boolean {
    return this.compressible;
  }

  /** The bytes in `encoding` (null: stream it from disk, too large to keep). */
  representation(encoding: Encoding): Promise<Representation | null> {
    if (encoding === 'identity' || !this.compressible) {
      this.identity ??= this.load();
      return this.identity;
    }
    let made = this.encoded.get(encoding);
    if (!made) {
      made = this.compress(encoding);
      this.encoded.set(encoding, made);
    }
    return made;
  }

  private async load(): Promise<Representation | null> {
    if (this.size > MAX_CACHED_BYTES) return null;
    const body = await fs.promises.readFile(this.file);
    return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
  }

  private async compress(encoding: 'br' | 'gzip'): Promise<Representation | null> {
    const identity = await this.representation('identity');
    if (!identity) return null;
    const sibling = this.prebuilt.get(encoding);
    const body = sibling
      ? await fs.promises.readFile(sibling)
      : encoding === 'br'
        ? await brotli(identity.body, {
            params: {
              [zlib.constants.BROTLI_PARAM_QUALITY]: 5,
              [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
              [zlib.constants.BROTLI_PARAM_SIZE_HINT]: identity.body.length,
            },
          })
        : await gzip(identity.body, { level: 6 });
    return { body, etag: `${identity.etag.slice(0, -1)}-${encoding}"` };
  }
}

/** The encoding to send: brotli, then gzip, by the client's Accept-Encoding (q=0 refuses). */
export function pickEncoding(header: string | undefined): Encoding {
  if (!header) return 'identity';
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const weight = (name: string) => q.get(name) ?? q.get('*') ?? 0;
  const br = weight('br');
  const gz = weight('gzip');
  if (br > 0 && br >= gz) return 'br';
  if (gz > 0) return 'gzip';
  return 'identity';
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

async function send(file: StaticFile, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const wanted = file.varies ? pickEncoding(req.headers['accept-encoding']) : 'identity';
  let encoding: Encoding = wanted;
  let rep = await file.representation(wanted);
  // Compression that did not pay (already compact): the file as it is.
  if (rep && wanted !== 'identity') {
    const identity = await file.representation('identity');
    if (identity && rep.body.length >= identity.body.length) {
      rep = identity;
      encoding = 'identity';
    }
  }
  reply.header('content-type', file.type).header('cache-control', file.cacheControl);
  if (file.varies) reply.header('vary', 'Accept-Encoding');
  if (!rep) return reply.send(fs.createReadStream(file.file));
  reply.header('etag', rep.etag);
  if (encoding !== 'identity') reply.header('content-encoding', encoding);
  if (matches(req.headers['if-none-match'], rep.etag)) return reply.code(304).send();
  reply.header('content-length', rep.body.length);
  // A HEAD request: Fastify sends the headers of this answer and drops the body.
  return reply.send(rep.body);
}

/** Every regular file under `root`, by URL path. */
function listFiles(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
    const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
    /** `x.br` / `x.gz` beside `x`, written by the build no earlier than `x` itself. */
    const sibling = (name: string, ext: string, mtimeMs: number) => {
      if (!names.has(`${name}${ext}`)) return null;
      const full = path.join(dir, `${name}${ext}`);
      return fs.statSync(full).mtimeMs >= mtimeMs ? full : null;
    };
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const precompressed = /^(.+)\.(br|gz)$/.exec(entry.name);
        if (precompressed && names.has(precompressed[1]!)) continue;
        const urlPath = `/${path.relative(root, full).split(path.sep).join('/')}`;
        const stat = fs.statSync(full);
        const prebuilt = new Map<'br' | 'gzip', string>();
        const br = sibling(entry.name, '.br', stat.mtimeMs);
        const gz = sibling(entry.name, '.gz', stat.mtimeMs);
        if (br) prebuilt.set('br', br);
        if (gz) prebuilt.set('gzip', gz);
        files.set(urlPath, new StaticFile(full, urlPath, stat.size, prebuilt));
      }
    }
  };
  walk(root);
  return files;
}

export async function staticRoutes(app: App, webRoot: string | null): Promise<void> {
  const root = webRoot ?? defaultWebRoot();
  const files = fs.existsSync(path.join(root, 'index.html')) ? listFiles(root) : new Map<string, StaticFile>();
  const index = files.get('/index.html');
  for (const file of files.values()) {
    const urls = file === index ? ['/', file.urlPath] : [file.urlPath];
    for (const url of urls) app.get(url, { schema: { hide: true } }, (req, reply) => send(file, req, reply));
  }
  app.setNotFoundHandler((req, reply) => {
    const pathname = req.url.split('?')[0] ?? '';
    const isRoute = !pathname.slice(pathname.lastIndexOf('/')).includes('.');
    if (index && req.method === 'GET' && isRoute && !pathname.startsWith('/api/') && !pathname.startsWith('/docs')) {
      return send(index, req, reply);
    }
    return reply
      .code(404)
      .send({ error: 'not_found', message: `No route ${req.method} ${redactUrl(req.url).split('?')[0]}` });
  });
}
