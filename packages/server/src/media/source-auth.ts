/**
 * HTTP authentication to a camera with the `user:password@` of its URL: Basic or Digest (RFC 7616:
 * MD5 or SHA-256, `-sess` too, qop `auth` or none), whichever the camera's 401 asks for. Many IP
 * cameras accept only Digest. Nothing is sent before the camera asks (a password never goes as
 * Basic to a camera that wanted Digest); once it has, the next requests carry the answer at once
 * (Digest: the same nonce, the count incremented, until the camera says it is stale).
 */
import { createHash, randomBytes } from 'node:crypto';

type Algorithm = 'MD5' | 'SHA-256' | 'MD5-sess' | 'SHA-256-sess';

interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | undefined;
  qop: 'auth' | undefined;
  algorithm: Algorithm;
  nc: number;
}

/** The parameters of the first challenge of `scheme` in WWW-Authenticate values (first value of each wins). */
function params(values: string[], scheme: string): Map<string, string> | null {
  for (const value of values) {
    const at = value.search(new RegExp(`(^|[\\s,])${scheme}(\\s|$)`, 'i'));
    if (at < 0) continue;
    const out = new Map<string, string>();
    const re = /([A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
    re.lastIndex = at + scheme.length + 1;
    for (let m = re.exec(value); m; m = re.exec(value)) {
      const key = m[1]!.toLowerCase();
      if (!out.has(key)) out.set(key, (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1'));
    }
    return out;
  }
  return null;
}

const quote = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

export class SourceAuth {
  private scheme: 'none' | 'basic' | 'digest' = 'none';
  private digest: DigestChallenge | null = null;

  constructor(
    private readonly username: string,
    private readonly password: string,
    /** The client nonce of each Digest answer (tests fix it). */
    private readonly cnonce: () => string = () => randomBytes(8).toString('hex'),
  ) {}

  get hasCredentials(): boolean {
    return this.username !== '' || this.password !== '';
  }

  /** The Authorization header for a GET of `uri` (path and query), once the camera asked for one. */
  header(uri: string): string | undefined {
    if (this.scheme === 'basic') {
      return `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    }
    if (this.scheme !== 'digest' || !this.digest) return undefined;
    const d = this.digest;
    const hashName = d.algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
    const h = (s: string) => createHash(hashName).update(s).digest('hex');
    const cnonce = this.cnonce();
    d.nc++;
    const nc = d.nc.toString(16).padStart(8, '0');
    let ha1 = h(`${this.username}:${d.realm}:${this.password}`);
    if (d.algorithm.endsWith('-sess')) ha1 = h(`${ha1}:${d.nonce}:${cnonce}`);
    const ha2 = h(`GET:${uri}`);
    const response = d.qop ? h(`${ha1}:${d.nonce}:${nc}:${cnonce}:${d.qop}:${ha2}`) : h(`${ha1}:${d.nonce}:${ha2}`);
    const fields = [
      `username=${quote(this.username)}`,
      `realm=${quote(d.realm)}`,
      `nonce=${quote(d.nonce)}`,
      `uri=${quote(uri)}`,
      `algorithm=${d.algorithm}`,
      `response="${response}"`,
    ];
    if (d.opaque !== undefined) fields.push(`opaque=${quote(d.opaque)}`);
    if (d.qop) fields.push(`qop=${d.qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
    return `Digest ${fields.join(', ')}`;
  }

  /**
   * A 401 answered with these WWW-Authenticate values: true when a request with (new) credentials
   * is worth trying (the caller tries once per request).
   */
  challenge(header: string | string[] | undefined): boolean {
    if (!this.hasCredentials || header === undefined) return false;
    const values = Array.isArray(header) ? header : [header];
    const digest = params(values, 'Digest');
    if (digest?.has('nonce')) {
      const algorithm = (digest.get('algorithm') ?? 'MD5').toUpperCase();
      const known: Algorithm[] = ['MD5', 'SHA-256', 'MD5-SESS' as Algorithm, 'SHA-256-SESS' as Algorithm];
      if (known.includes(algorithm as Algorithm)) {
        const qops = (digest.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase());
        this.scheme = 'digest';
        this.digest = {
          realm: digest.get('realm') ?? '',
          nonce: digest.get('nonce')!,
          opaque: digest.get('opaque'),
          qop: qops.includes('auth') ? 'auth' : undefined,
          algorithm: algorithm.replace('-SESS', '-sess') as Algorithm,
          nc: 0,
        };
        return true;
      }
    }
    if (params(values, 'Basic')) {
      const retry = this.scheme !== 'basic';
      this.scheme = 'basic';
      return retry;
    }
    return false;
  }
}
