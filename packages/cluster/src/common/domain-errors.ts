import type { FieldError } from '@canopy/schema';

/**
 * Errors the domain raises, each with a stable `code`. Only the exception filter at the edge turns
 * them into HTTP responses; nothing below the controllers knows about HTTP.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  /** The HTTP status the edge answers with. */
  abstract readonly status: number;
  readonly errors: FieldError[];

  constructor(message: string, errors: FieldError[] = []) {
    super(message);
    this.name = new.target.name;
    this.errors = errors;
  }
}

export class InvalidInputError extends DomainError {
  readonly code = 'INVALID_INPUT';
  readonly status = 400;
}

export class UnauthorizedError extends DomainError {
  readonly code = 'UNAUTHORIZED';
  readonly status = 401;
}
