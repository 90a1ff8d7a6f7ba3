import type { FieldError } from '@canopy/schema';

/**
 * Typed domain errors with a stable `code`. Nothing below the HTTP edge throws HttpExceptions;
 * the one exception filter maps these to `{statusCode, code, message, errors}`.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailedError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  readonly status = 400;
  constructor(errors: FieldError[], message = 'the request is invalid') {
    super(message, errors);
  }
}

/** The body is not JSON at all, so no field can be named: the path is `$`. */
export class MalformedBodyError extends DomainError {
  readonly code = 'MALFORMED_JSON';
  readonly status = 400;
  constructor() {
    super('the request body is not valid JSON', [{ path: '$', message: 'the request body is not valid JSON' }]);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  readonly status = 404;
  constructor(what: string, id: string) {
    super(`${what} ${id} not found`);
  }
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
  readonly status = 409;
}

export class StaleVersionError extends DomainError {
  readonly code = 'STALE_VERSION';
  readonly status = 409;
  constructor(collection: string, id: string) {
    super(`${collection} ${id} was changed by someone else; reload and retry`);
  }
}

/** A cluster or node that should answer did not (disconnected, timed out). Not our bug: 503. */
export class UpstreamUnavailableError extends DomainError {
  readonly code = 'UPSTREAM_UNAVAILABLE';
  readonly status = 503;
}

export class UnauthorizedError extends DomainError {
  readonly code = 'UNAUTHORIZED';
  readonly status = 401;
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
  readonly status = 403;
}

export class TooManyRequestsError extends DomainError {
  readonly code = 'TOO_MANY_REQUESTS';
  readonly status = 429;
}

/** A bad environment variable or setting, named; thrown at start, before anything listens. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}
