import { registerDecorator, type ValidationOptions } from 'class-validator';
import { parsePortSpec } from './port-spec';

/** Oakestra's name rule for applications, microservices and their namespaces. */
export const NAME_PATTERN = /^[a-zA-Z0-9]{1,30}$/;
export const NAME_MESSAGE = '$property must be 1-30 letters or digits (no dots, dashes or spaces)';

/** The message of every integer field of the SLA. */
export const INT = { message: '$property must be an integer' };

/**
 * Host trees no node ever binds, whatever its switches (the node also resolves symlinks; the root
 * can only judge the path as written, so this is the early answer, not the enforcement).
 */
const NEVER_BOUND = /^\/+(proc|sys|dev|var\/+lib\/+docker)(\/|:|$)|^\/+:/;

/** Each bind must not name a tree every node refuses (see `NEVER_BOUND`). */
export function IsAllowedBind(options?: ValidationOptions): PropertyDecorator {
  return (object: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isAllowedBind',
      target: object.constructor,
      propertyName: String(propertyName),
      options: { each: true, ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && !NEVER_BOUND.test(value),
        defaultMessage: (args) =>
          `${args?.property ?? 'binds'}: "${String(args?.value)}" names /, /proc, /sys, /dev or Docker's data root, which no node mounts`,
      },
    });
  };
}

/** `port` must parse with {@link parsePortSpec}. */
export function IsPortSpec(options?: ValidationOptions): PropertyDecorator {
  return (object: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isPortSpec',
      target: object.constructor,
      propertyName: String(propertyName),
      ...(options === undefined ? {} : { options }),
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parsePortSpec(value).ok,
        defaultMessage: (args) => {
          const value: unknown = args?.value;
          if (typeof value !== 'string') {
            return `${args?.property ?? 'port'} must be a string`;
          }
          const parsed = parsePortSpec(value);
          return parsed.ok ? 'valid' : `${args?.property ?? 'port'}: ${parsed.message}`;
        },
      },
    });
  };
}
