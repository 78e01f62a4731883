/**
 * One bounded outgoing POST (webhooks, Web Push): a budget for the whole request, no redirect
 * followed (a 3xx is a failure), the answer read up to a few KiB and then dropped, addresses
 * checked on connect. Never throws: the outcome says what happened, without the body or headers
 * sent (which carry signatures and tokens).
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { guardedLookup } from './address.js';

/** Bytes of an answer read at most (the rest is not read: the socket is destroyed). */
export const MAX_RESPONSE_BYTES = 4096;

export interface PostOptions {
  headers: Record<string, string>;
  body: Buffer | string;
  timeoutMs: number;
  allowPrivate: boolean;
  /** Extra trusted CA certificates (PEM) for https. */
  ca?: string | Buffer | undefined;
}

export interface PostOutcome {
  ok: boolean;
  /** The HTTP status, or null when no answer came. */
  status: number | null;
  /** Short, safe text for the delivery log. */
  error: string | null;
  /** The start of the answer's body (at most MAX_RESPONSE_BYTES). */
  body: string;
}

export function postBounded(url: URL, options: PostOptions): Promise<PostOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const lib = url.protocol === 'https:' ? https : http;
    const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
    const req = lib.request(url, {
      method: 'POST',
      headers: { ...options.headers, 'content-length': String(body.length) },
      lookup: guardedLookup(options.allowPrivate),
      agent: false,
      // Extra CAs are added to the usual roots, never instead of checking.
      ...(url.protocol === 'https:' && options.ca ? { ca: [...tls.rootCertificates, options.ca] } : {}),
    });
    const timer = setTimeout(
      () => finish({ ok: false, status: null, error: `timed out after ${options.timeoutMs} ms`, body: '' }),
      options.timeoutMs,
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, status: null, error: `request failed: ${err.code ?? err.message}`, body: '' }),
    );
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const text = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
        const ok = status >= 200 && status < 300;
        finish({
          ok,
          status,
          error: ok ? null : status >= 300 && status < 400 ? `redirect ${status} not followed` : `answered ${status}`,
          body: text,
        });
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_RESPONSE_BYTES) done();
      });
      res.on('end', done);
      res.on('error', done);
    });
    req.end(body);
  });
}
