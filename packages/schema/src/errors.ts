import type { FieldError } from './validation/validate';

/**
 * Every stable error code Canopy answers with. A code names what went wrong, not an HTTP status:
 * the one exception filter of each HTTP edge maps codes to statuses (`@canopy/nest-edge`), so the
 * domain (stores, services, schedulers) never imports the HTTP layer. Codes are part of the API:
 * rename one only here, and in the README's error table.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'NOT_FOUND',
  'CONFLICT',
  'RECORD_EXISTS',
  'APPLICATION_NAME_TAKEN',
  'SERVICE_NAME_TAKEN',
  'REPLICA_LIMIT_REACHED',
  'INSTANCE_NOT_STARTED',
  'USER_NAME_TAKEN',
  'USER_OWNS_APPLICATIONS',
  'ORGANIZATION_NAME_TAKEN',
  'ORGANIZATION_HAS_MEMBERS',
  'COMPONENT_EXISTS',
  'IE_ID_TAKEN',
  'IE_AMBIGUOUS',
  'NODE_NAME_TAKEN',
  'NODE_CONNECTED',
  'CLUSTER_NAME_TAKEN',
  'CLUSTER_CONNECTED',
  'QUOTA_EXCEEDED',
  'STALE_VERSION',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'TOO_MANY_REQUESTS',
  'UPSTREAM_UNAVAILABLE',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes of a clash with something that exists (HTTP 409 at the edge). */
export type ConflictCode = Extract<
  ErrorCode,
  | 'CONFLICT'
  | 'RECORD_EXISTS'
  | 'APPLICATION_NAME_TAKEN'
  | 'SERVICE_NAME_TAKEN'
  | 'REPLICA_LIMIT_REACHED'
  | 'INSTANCE_NOT_STARTED'
  | 'USER_NAME_TAKEN'
  | 'USER_OWNS_APPLICATIONS'
  | 'ORGANIZATION_NAME_TAKEN'
  | 'ORGANIZATION_HAS_MEMBERS'
  | 'COMPONENT_EXISTS'
  | 'IE_ID_TAKEN'
  | 'IE_AMBIGUOUS'
  | 'NODE_NAME_TAKEN'
  | 'NODE_CONNECTED'
  | 'CLUSTER_NAME_TAKEN'
  | 'CLUSTER_CONNECTED'
  | 'QUOTA_EXCEEDED'
>;

/** An error the domain raises on purpose, with a stable `code` and the fields it is about. */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
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
  constructor(errors: FieldError[], message = 'the request is invalid') {
    super(message, errors);
  }
}

/** The body is not JSON at all, so no field can be named: the path is `$`. */
export class MalformedBodyError extends DomainError {
  readonly code = 'MALFORMED_JSON';
  constructor() {
    super('the request body is not valid JSON', [{ path: '$', message: 'the request body is not valid JSON' }]);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(what: string, id: string) {
    super(`${what} ${id} not found`);
  }
}

/** A clash with what exists; the code says which (a name taken, a limit reached, ...). */
export class ConflictError extends DomainError {
  constructor(
    message: string,
    errors: FieldError[] = [],
    readonly code: ConflictCode = 'CONFLICT',
  ) {
    super(message, errors);
  }
}

export class StaleVersionError extends DomainError {
  readonly code = 'STALE_VERSION';
  constructor(collection: string, id: string) {
    super(`${collection} ${id} was changed by someone else; reload and retry`);
  }
}

/** A cluster or node that should answer did not (disconnected, timed out). Not our bug. */
export class UpstreamUnavailableError extends DomainError {
  readonly code = 'UPSTREAM_UNAVAILABLE';
}

export class UnauthorizedError extends DomainError {
  readonly code = 'UNAUTHORIZED';
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
}

export class TooManyRequestsError extends DomainError {
  readonly code = 'TOO_MANY_REQUESTS';
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
