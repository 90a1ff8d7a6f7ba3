import { Catch, Inject, Injectable, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { toErrorBody } from '@canopy/nest-edge';
import { LOGGER } from '../../common/tokens';

/**
 * llo-api answers errors as `{"error": "..."}`; aerOS clients read that field. Canopy's own error
 * shape stays beside it, and `error` names the bad fields so a client that shows only it still
 * learns what to fix.
 */
const LLO_OWN = new Set(['$', 'type', 'onlyNames']);

@Injectable()
@Catch()
export class LloExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const body = toErrorBody(exception);
    if (body.statusCode >= 500) {
      this.log.error({ err: exception }, 'unhandled error');
    }
    // llo-api's own messages for its parameters and media type are kept verbatim; a bad CR names its fields.
    const fields = body.errors.filter((e) => !LLO_OWN.has(e.path)).map((e) => `${e.path}: ${e.message}`);
    const error = fields.length > 0 ? `${body.message} (${fields.join('; ')})` : body.message;
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(body.statusCode)
      .json({ error, ...body });
  }
}
