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
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** The URL with every `token` query value replaced, fit for a log line. */
export function redactUrl(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  if (q < 0) return url;
  return `${url.slice(0, q)}?${url
    .slice(q + 1)
    .split('&')
    .map((pair) => (/^(token|access_token|password)(=|$)/i.test(pair) ? `${pair.split('=')[0]}=[redacted]` : pair))
    .join('&')}`;
}
