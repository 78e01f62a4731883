/**
 * A camera's live-source URLs (`snapshot_url`, `mjpeg_url`): checked when an admin sets them, and
 * never shown with their password. The API answers them with the password replaced by `***` (to
 * admins too); a PATCH that sends such a URL back keeps the stored password, as long as it names the
 * same scheme, host, port and user (an admin UI's round trip). Logs get `describeSourceUrl`: no
 * user, no password, no query.
 */
import { badRequest } from '../domain/errors.js';

/** What stands for a stored password in URLs the API answers. */
export const PASSWORD_MASK = '***';

export const MAX_SOURCE_URL_LENGTH = 2048;

/** An admin's URL: http or https with a host; throws `validation_error` naming `field` (never the value). */
export function parseSourceUrl(raw: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest(`${field} must be an http:// or https:// URL`, field);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw badRequest(`${field} must be an http:// or https:// URL`, field);
  }
  if (url.href.length > MAX_SOURCE_URL_LENGTH) {
    throw badRequest(`${field} may have at most ${MAX_SOURCE_URL_LENGTH} characters`, field);
  }
  url.hash = '';
  return url;
}

/** The URL as the API shows it: its password, if any, replaced by `***`. */
export function maskSourceUrl(stored: string | null): string | null {
  if (stored === null) return null;
  let url: URL;
  try {
    url = new URL(stored);
  } catch {
    return null;
  }
  if (url.password !== '') url.password = PASSWORD_MASK;
  return url.href;
}

/** For logs and error messages: scheme, host, port and path; no credentials, no query. */
export function describeSourceUrl(stored: string): string {
  try {
    const url = new URL(stored);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * The URL to store for what a create or update sent (`null` clears it). A password of `***` means
 * "keep the stored one", allowed only when the stored URL has the same scheme, host, port and user:
 * a masked URL cannot be pointed elsewhere to reveal the password.
 */
export function resolveSourceUrl(sent: string | null, stored: string | null, field: string): string | null {
  if (sent === null) return null;
  const url = parseSourceUrl(sent, field);
  if (url.password !== PASSWORD_MASK) return url.href;
  const before = stored === null ? null : new URL(stored);
  if (
    before === null ||
    before.password === '' ||
    before.protocol !== url.protocol ||
    before.host !== url.host ||
    before.username !== url.username
  ) {
    throw badRequest(
      `${field}: the password ${PASSWORD_MASK} stands for the stored one, which is kept only for the same scheme, host, port and user; send the password`,
      field,
    );
  }
  url.password = before.password;
  return url.href;
}

/** The URL without its credentials, and the Basic credentials it carried (decoded), if any. */
export function splitCredentials(stored: string): { url: URL; username: string; password: string } | null {
  let url: URL;
  try {
    url = new URL(stored);
  } catch {
    return null;
  }
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const username = decode(url.username);
  const password = decode(url.password);
  url.username = '';
  url.password = '';
  return { url, username, password };
}
