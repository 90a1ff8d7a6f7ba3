import type { LoggerService } from '@nestjs/common';
import type { Logger as NestPinoLogger } from 'nestjs-pino';

/**
 * Nest's own start-up chatter (modules loaded, routes mapped) goes to debug; its warnings and
 * errors stay. Application code logs through pino directly, so only framework messages pass here.
 */
export function frameworkLogger(nest: NestPinoLogger): LoggerService {
  return {
    log: (message: unknown, ...rest: unknown[]) => nest.debug(message, ...rest),
    error: nest.error.bind(nest),
    warn: nest.warn.bind(nest),
    debug: nest.debug.bind(nest),
    verbose: nest.verbose.bind(nest),
    fatal: nest.fatal.bind(nest),
  };
}
