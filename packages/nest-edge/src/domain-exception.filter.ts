import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainError, type FieldError } from '@canopy/schema';
import { HTTP_STATUS_OF } from './domain-errors';

/** The slice of express' response this filter uses (keeps express out of this package's dependencies). */
interface JsonResponse {
  status(code: number): { json(body: unknown): unknown };
}

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  errors: FieldError[];
}

/** Errors raised by express' body parser before any of our code runs. */
interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
}

const HTTP_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
};

/** Maps every error to the one error shape; anything unexpected is a logged 500 (a bug). */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof DomainError) {
    return {
      statusCode: HTTP_STATUS_OF[exception.code],
      code: exception.code,
      message: exception.message,
      errors: exception.errors,
    };
  }
  // Body-parser's own errors other than bad JSON (see configureEdge): too large, bad charset, ...
  const bp = exception as BodyParserError;
  if (typeof bp?.status === 'number' && bp.status >= 400 && bp.status < 500 && typeof bp.type === 'string') {
    return {
      statusCode: bp.status,
      code: HTTP_CODES[bp.status] ?? 'BAD_REQUEST',
      message: bp.message ?? 'bad request',
      errors: [],
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const res = exception.getResponse();
    const message =
      typeof res === 'string'
        ? res
        : typeof (res as { message?: unknown }).message === 'string'
          ? String((res as { message: string }).message)
          : exception.message;
    return { statusCode: status, code: HTTP_CODES[status] ?? 'HTTP_ERROR', message, errors: [] };
  }
  return { statusCode: 500, code: 'INTERNAL', message: 'internal error', errors: [] };
}

@Catch()
export class DomainExceptionFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      return;
    }
    const body = toErrorBody(exception);
    if (body.statusCode >= 500) {
      this.log.error({ err: exception }, 'unhandled error');
    }
    host.switchToHttp().getResponse<JsonResponse>().status(body.statusCode).json(body);
  }
}
