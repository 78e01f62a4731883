/**
 * The error catalogue: every error code the server sends, over REST (the `error` field of an
 * `ErrorResponse`, with its HTTP status) and over the socket (the `code` of an `error` message),
 * each with its default message and what it means for the caller. protocol.md section 7 is this
 * table (a test keeps the two equal). No runtime dependency: safe to import from a browser bundle
 * (`@openeye/protocol/errors`).
 *
 * A code is added here first; the server's `DomainError` takes only codes of `REST_ERRORS` and
 * gets the status from it.
 */

export interface RestErrorSpec {
  /** The HTTP status the code is sent with. */
  readonly status: number;
  /** Further statuses the code comes with, and when. */
  readonly also?: Readonly<Record<number, string>>;
  /** The message when the server has nothing more precise to say. */
  readonly message: string;
  /** What it means and what to do: one line. */
  readonly meaning: string;
}

export interface SocketErrorSpec {
  /** The message when the server has nothing more precise to say. */
  readonly message: string;
  /** What it means and what to do: one line. */
  readonly meaning: string;
}

/** REST error codes (`{ error, message, field? }` bodies), in order of status. */
export const REST_ERRORS = {
  validation_error: {
    status: 400,
    message: 'The request is invalid',
    meaning:
      'A path, query or body value breaks the schema or a rule (too large, nested too deep, a server-only field); `field` names it. Fix the request; sent again unchanged it fails again.',
  },
  bad_request: {
    status: 400,
    also: {
      408: 'the request headers did not arrive in time',
      413: 'the body is larger than 256 KiB',
      415: 'the server does not read the body’s content type (send JSON; login also takes a form)',
      431: 'the request headers are too large',
    },
    message: 'The request could not be read',
    meaning: 'The request could not be read: malformed JSON or URL. Fix how the request is built.',
  },
  unauthorized: {
    status: 401,
    message: 'Invalid token',
    meaning:
      'No bearer token, or it is malformed, expired, of a disabled or deleted user, or older than a password change; or an invalid or revoked API key. Log in again (refresh before expiry).',
  },
  invalid_credentials: {
    status: 401,
    message: 'Wrong username or password',
    meaning:
      'Login refused: unknown user, wrong password or disabled account (not told apart). Repeated failures lead to `rate_limited`.',
  },
  forbidden: {
    status: 403,
    message: 'Your role may not do this',
    meaning:
      'The token is valid but the role is not enough: writes need admin or producer; user management, presence and a camera’s snapshot_url or mjpeg_url need admin; an API key may not act on alerts, refresh into a token or opt in to push.',
  },
  not_found: {
    status: 404,
    message: 'Not found',
    meaning:
      'The resource of the path, or one the body names (`field` says which), does not exist, or no such route. Do not retry.',
  },
  conflict: {
    status: 409,
    message: 'Conflicts with the current state',
    meaning: 'The change contradicts what is stored: a username taken, deleting your own account. Change the request.',
  },
  duplicate: {
    status: 409,
    message: 'Already stored (a repeat of an earlier message)',
    meaning:
      'A message carrying an idempotency key (an MQTT user property, a Frigate event id) that was already stored; nothing was stored again. Do not retry.',
  },
  gone: {
    status: 410,
    message: 'Events after that id are no longer (or not) in the history',
    meaning:
      '`GET /api/events`: `after` is older than the history kept (or newer than any event). Reload without `after` and treat the view as possibly incomplete.',
  },
  payload_too_large: {
    status: 413,
    message: 'The body is too large',
    meaning:
      'A camera image larger than OPENEYE_MAX_FRAME_BYTES (judged from Content-Length before the body is read). Send a smaller image.',
  },
  unsupported_media_type: {
    status: 415,
    message: 'Not a JPEG, PNG or WebP image',
    meaning: 'A camera image whose bytes are not JPEG, PNG or WebP (whatever Content-Type says). Send one of those.',
  },
  rate_limited: {
    status: 429,
    message: 'Too many requests',
    meaning:
      'Too many failed logins for the user or address, or polling faster than 20 requests/s. Wait `Retry-After` seconds.',
  },
  internal_error: {
    status: 500,
    message: 'Internal server error',
    meaning:
      'An unexpected failure, logged on the server; nothing about it is told. Retry later; report it if it stays.',
  },
  unavailable: {
    status: 503,
    message: 'Storage is unavailable; nothing was stored',
    meaning:
      'The storage did not answer (nothing was stored), or too many logins at once. Retry after `Retry-After` seconds when given, else with backoff.',
  },
} as const satisfies Record<string, RestErrorSpec>;

export type RestErrorCode = keyof typeof REST_ERRORS;

/** Socket error codes (`error` messages; the connection stays open), in the order of protocol.md. */
export const SOCKET_ERROR_CODES = [
  'invalid_json',
  'invalid_message',
  'unknown_type',
  'unknown_event_type',
  'forbidden',
  'rate_limited',
  'unknown_camera',
  'too_many_watches',
] as const;
export type SocketErrorCode = (typeof SOCKET_ERROR_CODES)[number];

export const SOCKET_ERRORS = {
  invalid_json: {
    message: 'Message is not valid JSON',
    meaning: 'The text frame is not JSON. Nothing changed; send one JSON object per frame.',
  },
  invalid_message: {
    message: 'Message must be a JSON object',
    meaning:
      'JSON, but not a valid message: not an object, a binary frame, nested deeper than 8, no string `type`, a field of the wrong type or out of range. Nothing changed.',
  },
  unknown_type: {
    message: 'Unknown message type',
    meaning:
      '`type` is none of `ping`, `subscribe`, `unsubscribe`, `auth`, `watch`, `unwatch`, `publish`. Nothing changed.',
  },
  unknown_event_type: {
    message: 'Unknown event type',
    meaning: '`event_types` names a type that does not exist (section 4). Nothing changed.',
  },
  forbidden: {
    message: 'Not allowed',
    meaning:
      "`presence_update` asked by a non-admin, `auth` with a bad token or another user's (the old token stays in force), `publish` by a non-producer, or a frame of a camera not published. Nothing changed.",
  },
  rate_limited: {
    message: 'Too many messages; slow down',
    meaning:
      'More than 20 messages/s (burst 40): the excess is dropped; a client that keeps on is closed `1008` `Message rate limit exceeded`.',
  },
  unknown_camera: {
    message: 'No such camera',
    meaning:
      '`watch` or `publish` names a camera that does not exist or that this user may not see (not told apart). Nothing changed.',
  },
  too_many_watches: {
    message: 'Too many cameras watched at once',
    meaning: 'A `watch` beyond OPENEYE_MEDIA_MAX_WATCHES (default 16) cameras at once. Unwatch one first.',
  },
} as const satisfies Record<SocketErrorCode, SocketErrorSpec>;

/** Every REST code, in catalogue order. */
export const REST_ERROR_CODES = /* @__PURE__ */ Object.keys(REST_ERRORS) as RestErrorCode[];

/** Whether `code` is a REST code of the catalogue (a client may meet codes of a newer server). */
export function isRestErrorCode(code: string): code is RestErrorCode {
  return Object.hasOwn(REST_ERRORS, code);
}

/** The HTTP status of a REST code. */
export function statusOf(code: RestErrorCode): number {
  return REST_ERRORS[code].status;
}
