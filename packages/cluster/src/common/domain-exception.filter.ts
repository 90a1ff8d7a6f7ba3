import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainError } from './domain-errors';
import { CLUSTER_LOGGER } from './tokens';

/** The slice of express's response this filter uses (express's types are not a dependency). */
interface JsonResponse {
  status(code: number): { json(body: unknown): unknown };
}

interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  errors: { path: string; message: string }[];
}

/** The one place errors become HTTP responses: `{statusCode, code, message, errors[{path, message}]}`. */
@Catch()
export class DomainExceptionFilter implements ExceptionFilter {
  private readonly log: Logger;

  constructor(@Inject(CLUSTER_LOGGER) logger: Logger) {
    this.log = logger.child({ component: 'http' });
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<JsonResponse>();
    const body = this.toBody(exception);
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof DomainError) {
      return {
        statusCode: exception.status,
        code: exception.code,
        message: exception.message,
        errors: exception.errors,
      };
    }
    // Nest's own HttpExceptions (unknown route, unparsable JSON body) are client errors too.
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = status === 404 ? 'NOT_FOUND' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_ERROR';
      return { statusCode: status, code, message: exception.message, errors: [] };
    }
    this.log.error({ err: exception }, 'unhandled error in request');
    return { statusCode: 500, code: 'INTERNAL_ERROR', message: 'internal error', errors: [] };
  }
}
