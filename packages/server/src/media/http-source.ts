/**
 * Fetching frames from a camera's URL (media/pull.ts decides when): one snapshot (a GET answering an
 * image), or an MJPEG stream (one GET whose body is `multipart/x-mixed-replace`, media/mjpeg.ts).
 *
 * node:http, not fetch: every budget is ours (connect and headers, a body that stalls, a whole
 * snapshot, a stream that sends bytes but no part), memory is bounded by the frame limit (a body is
 * refused from its Content-Length, or as soon as it passes the limit), and redirects are never
 * followed (a 3xx is an error telling where it points: set the URL to that). Credentials of the URL
 * go as HTTP Basic or Digest, as the camera asks (media/source-auth.ts), never into a log or an error
 * message: messages name the URL by `describeSourceUrl` (no user, password or query).
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { boundaryOf, MjpegError, MjpegParser } from './mjpeg.js';
import { SourceAuth } from './source-auth.js';
import { describeSourceUrl, splitCredentials } from './source-url.js';

/** Why pulling failed, as logs and the `openeye_media_pull_errors_total{kind}` metric name it. */
export const PULL_ERROR_KINDS = [
  'timeout',
  'stalled',
  'network',
  'redirect',
  'unauthorized',
  'http_status',
  'too_large',
  'not_image',
  'bad_stream',
  'closed',
] as const;
export type PullErrorKind = (typeof PULL_ERROR_KINDS)[number];

export class PullError extends Error {
  override name = 'PullError';
  constructor(
    readonly kind: PullErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** Aborted on purpose (nobody watches any more, the URL changed): not a failure. */
export class PullAborted extends Error {
  override name = 'PullAborted';
}

export interface SourceOptions {
  /** Connect and answer headers within this; a body may be silent this long. */
  timeoutMs: number;
  maxFrameBytes: number;
  signal: AbortSignal;
  /** Keep-alive agents of this camera's pull (one socket). */
  agents: { http: http.Agent; https: https.Agent };
  /** The URL's credentials (`sourceAuth`), for Basic or Digest as the camera asks. */
  auth: SourceAuth;
}

export function sourceAgents(): SourceOptions['agents'] {
  return {
    http: new http.Agent({ keepAlive: true, maxSockets: 1 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 1 }),
  };
}

const NETWORK_CODES = /^(E[A-Z_]+|ERR_TLS_[A-Z_]+|[A-Z_]*CERT[A-Z_]*|DEPTH_ZERO_SELF_SIGNED_CERT)$/;

/** The credentials of a source URL, and what its camera asked for (kept across requests). */
export function sourceAuth(stored: string): SourceAuth {
  const parts = splitCredentials(stored);
  return new SourceAuth(parts?.username ?? '', parts?.password ?? '');
}

/**
 * A GET of `stored`; resolves with a 2xx response, or throws a PullError. Credentials go only when
 * the camera asks (a 401 naming Basic or Digest), then with every request.
 */
async function get(stored: string, accept: string, o: SourceOptions): Promise<IncomingMessage> {
  const parts = splitCredentials(stored);
  if (!parts) throw new PullError('network', 'the URL cannot be read');
  const { url } = parts;
  const uri = `${url.pathname}${url.search}`;
  let res = await request(url, accept, o.auth.header(uri), o);
  if (res.statusCode === 401 && o.auth.challenge(res.headers['www-authenticate'])) {
    res.destroy();
    res = await request(url, accept, o.auth.header(uri), o);
  }
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) return res;
  res.destroy();
  if (status >= 300 && status < 400) {
    const to = redirectTarget(res.headers.location, url);
    throw new PullError('redirect', `answered ${status} (to ${to}); redirects are not followed`);
  }
  if (status === 401 || status === 403) {
    throw new PullError('unauthorized', `answered ${status}: check the user and password in the URL`);
  }
  throw new PullError('http_status', `answered ${status}`);
}

/** One request: the response once its headers arrived within the budget. */
function request(url: URL, accept: string, authorization: string | undefined, o: SourceOptions) {
  const headers: Record<string, string> = { accept, 'user-agent': 'OpenEye-Realtime' };
  if (authorization) headers.authorization = authorization;
  const secure = url.protocol === 'https:';
  return new Promise<IncomingMessage>((resolve, reject) => {
    if (o.signal.aborted) return reject(new PullAborted());
    const req = (secure ? https : http).request(url, {
      method: 'GET',
      headers,
      agent: secure ? o.agents.https : o.agents.http,
      signal: o.signal,
    });
    const timer = setTimeout(
      () => req.destroy(new PullError('timeout', `no answer within ${o.timeoutMs} ms`)),
      o.timeoutMs,
    );
    req.once('error', (err) => {
      clearTimeout(timer);
      reject(classify(err, o.signal));
    });
    req.once('response', (res) => {
      clearTimeout(timer);
      // Later errors surface through the body's reader; none may go unheard (an unheard 'error' throws).
      req.on('error', () => undefined);
      res.on('error', () => undefined);
      resolve(res);
    });
    req.end();
  });
}

function redirectTarget(location: string | undefined, base: URL): string {
  if (!location) return 'nowhere';
  try {
    return describeSourceUrl(new URL(location, base).href);
  } catch {
    return 'an unreadable Location';
  }
}

/** An error before the answer: the network's (its code only: no address or URL in a message). */
function classify(err: unknown, signal: AbortSignal): Error {
  if (err instanceof PullError) return err;
  if (signal.aborted) return new PullAborted();
  const code = (err as { code?: unknown }).code;
  const name = typeof code === 'string' && NETWORK_CODES.test(code) ? code : 'connection failed';
  return new PullError('network', name);
}

/** An error while a body was read: the connection closed under it, unless it was ours. */
function bodyError(err: unknown, signal: AbortSignal, message: string): Error {
  if (err instanceof PullError) return err;
  if (signal.aborted) return new PullAborted();
  return new PullError('closed', message);
}

/** Calls `onStall` when `reset` has not been called for `ms`. */
function stallTimer(ms: number, onStall: () => void) {
  let timer = setTimeout(onStall, ms);
  return {
    reset() {
      clearTimeout(timer);
      timer = setTimeout(onStall, ms);
    },
    clear: () => clearTimeout(timer),
  };
}

function isImageType(type: string | undefined): boolean {
  // Judged by the bytes later; a type that says it is something else (an HTML login page) is not read.
  return !type || /^\s*(image\/|application\/octet-stream|binary\/octet-stream)/i.test(type);
}

/** Reads a body up to `max` bytes, or throws `too_large` as soon as it passes (nothing more is read). */
async function readBounded(res: IncomingMessage, o: SourceOptions, deadlineMs: number): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > o.maxFrameBytes) {
    res.destroy();
    throw new PullError('too_large', `an image of ${declared} bytes (at most ${o.maxFrameBytes})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const stall = stallTimer(o.timeoutMs, () =>
    res.destroy(new PullError('stalled', `the body stalled for ${o.timeoutMs} ms`)),
  );
  const deadline = setTimeout(
    () => res.destroy(new PullError('stalled', `the body took longer than ${deadlineMs} ms`)),
    deadlineMs,
  );
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      stall.reset();
      size += chunk.length;
      if (size > o.maxFrameBytes) {
        res.destroy();
        throw new PullError('too_large', `an image larger than ${o.maxFrameBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw bodyError(err, o.signal, 'the connection closed before the image was whole');
  } finally {
    stall.clear();
    clearTimeout(deadline);
  }
  if (!res.complete) throw new PullError('closed', 'the connection closed before the image was whole');
  return Buffer.concat(chunks, size);
}

/** One snapshot: the image bytes (not yet checked to be an image: the caller's ingest does that). */
export async function fetchSnapshot(url: string, o: SourceOptions): Promise<Buffer> {
  const res = await get(url, 'image/jpeg, image/*;q=0.9', o);
  if (!isImageType(res.headers['content-type'])) {
    res.destroy();
    throw new PullError('not_image', `answered ${String(res.headers['content-type']).slice(0, 60)}, not an image`);
  }
  return readBounded(res, o, o.timeoutMs * 3);
}

export interface StreamHandlers {
  /** A new part begins: whether to keep it (the fps). */
  wanted(): boolean;
  /** A kept part, whole. Throwing a PullError ends the stream. */
  frame(image: Buffer): void;
}

/**
 * Reads an MJPEG stream until it fails or `o.signal` aborts; never resolves otherwise (an MJPEG
 * stream does not end: its end is the `closed` error). No part beginning for three timeouts (a
 * camera trickling bytes) is `stalled`.
 */
export async function streamMjpeg(url: string, o: SourceOptions, handlers: StreamHandlers): Promise<never> {
  const res = await get(url, 'multipart/x-mixed-replace, */*;q=0.5', o);
  const type = res.headers['content-type'];
  const boundary = boundaryOf(type);
  if (!boundary) {
    res.destroy();
    const hint = type && /^\s*image\//i.test(type) ? ': a single image; set it as snapshot_url' : '';
    throw new PullError('bad_stream', `not a multipart stream (${String(type).slice(0, 60)})${hint}`);
  }
  let lastPart = Date.now();
  const parser = new MjpegParser(boundary, o.maxFrameBytes, {
    wanted: () => {
      lastPart = Date.now();
      return handlers.wanted();
    },
    part: (body) => handlers.frame(body),
  });
  const partBudget = o.timeoutMs * 3;
  const stall = stallTimer(o.timeoutMs, () =>
    res.destroy(new PullError('stalled', `the stream stalled for ${o.timeoutMs} ms`)),
  );
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      stall.reset();
      try {
        parser.push(chunk);
      } catch (err) {
        if (err instanceof MjpegError) throw new PullError(err.kind, err.message);
        throw err;
      }
      if (Date.now() - lastPart > partBudget) {
        throw new PullError('stalled', `no new part for ${partBudget} ms`);
      }
    }
  } catch (err) {
    res.destroy();
    throw bodyError(err, o.signal, 'the connection closed in the middle of a part');
  } finally {
    stall.clear();
  }
  if (o.signal.aborted) throw new PullAborted();
  throw new PullError(
    'closed',
    parser.betweenParts ? 'the stream ended' : 'the connection closed in the middle of a part',
  );
}
