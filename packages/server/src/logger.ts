/**
 * JSON logs (pino). No password or token ever reaches a line: Authorization headers and
 * `token`/`password` fields are redacted, and URLs are logged with their query string's
 * `token` replaced.
 */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'openeye' },
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          'authorization',
          'token',
          'password',
          '*.token',
          '*.password',
          'access_token',
          '*.access_token',
        ],
        censor: '[redacted]',
      },
      serializers: { err: serializeError },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** Anything shaped like a JWT (three base64url parts, the first a JSON header). */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** `text` with every JWT-shaped substring replaced: for messages that may echo client input. */
export function scrubTokens(text: string): string {
  return text.replace(JWT_LIKE, '[redacted]');
}

/**
 * Errors as pino's standard serializer writes them, minus what can carry a client's secrets: the
 * raw request bytes Node attaches to HTTP parse errors, and tokens echoed in messages or stacks.
 */
function serializeError(err: Error): Record<string, unknown> {
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  delete out.rawPacket;
  for (const key of ['message', 'stack']) {
    if (typeof out[key] === 'string') out[key] = scrubTokens(out[key] as string);
  }
  return out;
}

const SECRET_PARAM = /^(token|access_token|password)$/i;

function decodedName(pair: string): string {
  const name = pair.split('=')[0] ?? '';
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}

/**
 * The URL with every secret query value replaced (whatever the spelling: `tok%65n` is `token`),
 * and any JWT-shaped text elsewhere in it too, fit for a log line or an error message.
 */
export function redactUrl(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  if (q < 0) return scrubTokens(url);
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => (SECRET_PARAM.test(decodedName(pair)) ? `${pair.split('=')[0]}=[redacted]` : pair))
    .join('&');
  return scrubTokens(`${url.slice(0, q)}?${query}`);
}
