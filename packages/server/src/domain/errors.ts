/** Errors the domain raises; the HTTP layer maps each to its status and a JSON body. */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** More of the answer's body, beside `error`, `message` and `field` (e.g. a 409's current state). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string) => new DomainError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, field?: string) => new DomainError(409, 'conflict', message, field);
export const badRequest = (message: string, field?: string) => new DomainError(400, 'validation_error', message, field);
