/**
 * How failures become answers. Validation errors name the field; domain errors carry their own
 * status and code; storage outages are 503; anything else is a logged 500 with a fixed body.
 * Node's HTTP parse errors and Fastify's malformed-URL errors are answered without echoing the
 * request (it can hold a token), and no message leaves with a token in it. Every code and status
 * is one of the catalogue (`REST_ERRORS` of @openeye/protocol).
 */
import type { Duplex } from 'node:stream';
import { REST_ERRORS } from '@openeye/protocol';
import type { FastifyError, FastifyReply, FastifyServerOptions } from 'fastify';
import { DomainError, errorBody } from '../domain/errors.js';
import { type Logger, scrubTokens } from '../logger.js';
import type { App } from './context.js';

const STORAGE_ERROR = /^(SQLITE_|ECONNREFUSED|ECONNRESET|ETIMEDOUT|57P0|08|53)/;

/** Fastify options for the failures that happen before a route runs. */
export function earlyErrorOptions(log: Logger): Pick<FastifyServerOptions, 'clientErrorHandler' | 'frameworkErrors'> {
  return {
    // Node's parse errors carry the raw request bytes (token and Authorization header included):
    // answered with a fixed body and logged by code only.
    clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex) {
      answerClientError(err, socket, log);
    },
    // Fastify's own 400 for a malformed URL echoes the URL: answered without it.
    frameworkErrors(err, _req, reply) {
      const status = typeof err.statusCode === 'number' ? err.statusCode : REST_ERRORS.bad_request.status;
      (reply as FastifyReply).code(status).send(errorBody('bad_request', 'The request URL is malformed'));
    },
  };
}

/** Node's parse errors that get their own status (each one of `bad_request`'s in the catalogue). */
const CLIENT_ERRORS: Record<string, [status: keyof typeof REST_ERRORS.bad_request.also, text: string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
};

function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, log: Logger): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, text] = CLIENT_ERRORS[err.code ?? ''] ?? [REST_ERRORS.bad_request.status, 'Bad Request'];
  log.debug({ event: 'http.client_error', code: err.code, status }, 'malformed request');
  if (socket.writable) {
    const body = JSON.stringify(errorBody('bad_request', text));
    socket.write(
      `HTTP/1.1 ${status} ${text}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export function installErrorHandler(app: App): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      const first = err.validation[0];
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const pathPart = (first?.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
      const field = missing
        ? pathPart
          ? `${pathPart}.${missing}`
          : missing
        : pathPart || err.validationContext || 'body';
      return reply
        .code(REST_ERRORS.validation_error.status)
        .send(errorBody('validation_error', `${field}: ${first?.message ?? err.message}`, field));
    }
    if (err instanceof DomainError) {
      return reply.code(err.status).send({ ...err.extra, ...errorBody(err.code, err.message, err.field) });
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's own: a body too large (413), of another type (415), not JSON (400).
      return reply.code(err.statusCode).send(errorBody('bad_request', scrubTokens(err.message)));
    }
    if (STORAGE_ERROR.test(String((err as { code?: unknown }).code ?? ''))) {
      req.log.error(
        { event: 'storage.error', code: (err as { code?: unknown }).code, msg: err.message },
        'storage failed',
      );
      return reply.code(REST_ERRORS.unavailable.status).send(errorBody('unavailable'));
    }
    req.log.error({ event: 'http.error', err }, 'request failed');
    return reply.code(REST_ERRORS.internal_error.status).send(errorBody('internal_error'));
  });
}
