import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { MalformedBodyError } from './domain-errors';
import { DomainExceptionFilter } from './domain-exception.filter';
import { frameworkLogger } from './framework-logger';
import { SchemaValidationPipe } from './schema-validation.pipe';

/** Media types whose bodies reach handlers as a string, to be parsed as YAML. */
export const YAML_MEDIA_TYPES = [
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
  'application/apply-patch+yaml',
];

export interface EdgeOptions {
  /** Where the filter logs unexpected (5xx) errors. */
  log: Logger;
  /** Largest JSON body accepted, e.g. `1mb`; larger ones are a 413. */
  bodyLimit: string;
}

/**
 * The HTTP edge every Canopy tier shares: our own JSON body parser (so a malformed or oversized body
 * reaches the filter as body-parser's typed error, not as a bare 400), the one validation pipe, the
 * one error shape, and framework logs through pino. The app must be created with
 * `bodyParser: false` and `bufferLogs: true`.
 */
export function configureEdge(app: NestExpressApplication, options: EdgeOptions): void {
  app.useLogger(frameworkLogger(app.get(NestPinoLogger)));
  app.disable('x-powered-by');
  // Helmet's defaults (HSTS, nosniff, frame-ancestors, ...). The Swagger UI at /api/docs loads its
  // scripts and styles from the same origin, so the default CSP keeps it working.
  app.use(helmet());
  // `application/*+json` covers Kubernetes' patch types (merge-patch, strategic-merge-patch,
  // json-patch), which kubectl sends; YAML bodies (aerOS's LLO API, server-side apply) arrive as
  // text and are parsed by the route that accepts them, with its own limits on aliases.
  app.useBodyParser('json', { limit: options.bodyLimit, type: ['application/json', 'application/*+json'] });
  app.useBodyParser('text', { limit: options.bodyLimit, type: YAML_MEDIA_TYPES });
  // Nest's router turns body-parser's SyntaxError into a bare 400 that names nothing; right behind
  // the parser, hand it a typed domain error instead, which the one filter maps like any other.
  app.use((err: unknown, _req: unknown, _res: unknown, next: (error?: unknown) => void) => {
    const e = err as { type?: unknown; status?: unknown } | null;
    if (e?.type === 'entity.parse.failed') return next(new MalformedBodyError());
    // A body that does not decode with its content-encoding (gzip that is not gzip) comes as
    // zlib's error with a 400 status and no body-parser type: without one, the filter took it for a
    // bug (500, logged with its stack). Name it as the client's fault.
    if (e !== null && e.type === undefined && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return next(
        Object.assign(new Error('the body does not decode with its content-encoding'), {
          status: e.status,
          type: 'encoding.malformed',
        }),
      );
    }
    next(err);
  });
  app.useGlobalPipes(new SchemaValidationPipe());
  app.useGlobalFilters(new DomainExceptionFilter(options.log));
}
