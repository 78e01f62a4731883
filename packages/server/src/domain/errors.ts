/**
 * Errors the domain raises; the HTTP layer answers each with its status and a JSON body. Codes come
 * from the catalogue of @openeye/protocol (`REST_ERRORS`), and so do their statuses and default
 * messages: a code that is not in it does not compile.
 */
import { type ErrorResponse, REST_ERRORS, type RestErrorCode } from '@openeye/protocol';

export class DomainError extends Error {
  /** The HTTP status, from the catalogue. */
  readonly status: number;

  constructor(
    readonly code: RestErrorCode,
    message: string = REST_ERRORS[code].message,
    readonly field?: string,
    /** More of the answer's body, beside `error`, `message` and `field` (e.g. a 409's current state). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
    this.status = REST_ERRORS[code].status;
  }
}

/** The JSON body of an error answer: the code, its message (the catalogue's by default), the field. */
export function errorBody(code: RestErrorCode, message: string = REST_ERRORS[code].message, field?: string) {
  const body: ErrorResponse = { error: code, message };
  if (field) body.field = field;
  return body;
}

export const notFound = (what: string, field?: string) => new DomainError('not_found', `${what} not found`, field);
export const conflict = (message: string, field?: string) => new DomainError('conflict', message, field);
export const badRequest = (message: string, field?: string) => new DomainError('validation_error', message, field);
/** A write whose receipt (WriteOptions.once) was already stored: nothing was stored again. */
export const duplicate = () => new DomainError('duplicate', 'Already stored (a repeat of an earlier message)');
