import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { LOGGER } from '../../common/tokens';
import { toK8sStatus } from './k8s-status';

/**
 * Scoped to the `/k8s` controllers: every error there, the global guard's 401/403 included, is
 * answered as a Kubernetes `Status`, because that is what kubectl decodes and prints.
 */
@Catch()
export class K8sStatusFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      return;
    }
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const status = toK8sStatus(exception, subjectOf(req));
    if (status.code >= 500) {
      this.log.error({ err: exception }, 'unhandled error');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status.code).type('application/json').send(JSON.stringify(status));
  }
}

function subjectOf(req: Request): { resource?: string | undefined; name?: string | undefined } {
  const params = (req.params ?? {}) as Record<string, string | undefined>;
  const body = req.body as { metadata?: { name?: unknown } } | undefined;
  const bodyName =
    typeof body === 'object' && body !== null && typeof body.metadata?.name === 'string'
      ? body.metadata.name
      : undefined;
  return {
    ...(params.plural ? { resource: params.plural } : {}),
    ...((params.name ?? bodyName) ? { name: params.name ?? bodyName } : {}),
  };
}

/**
 * Express error middleware mounted at `/k8s` right after the body parsers: their errors (body too
 * large, not JSON) happen before any route, where the controllers' filter cannot see them.
 */
export function k8sBodyErrors(err: unknown, _req: Request, res: Response, _next: (e?: unknown) => void): void {
  const status = toK8sStatus(err);
  res.status(status.code).type('application/json').send(JSON.stringify(status));
}
