import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { validateInput } from '@canopy/schema';
import { ValidationFailedError } from './domain-errors';

const PRIMITIVES: ReadonlySet<unknown> = new Set([Object, String, Number, Boolean, Array]);

/**
 * The global pipe: every `@Body()` typed with a schema class goes through `validateInput`, the same
 * function that checks MQTT payloads, Socket.IO events and YAML. Nest's own ValidationPipe would be
 * a second validation path with a different error shape.
 */
@Injectable()
export class SchemaValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body' || !metadata.metatype || PRIMITIVES.has(metadata.metatype)) {
      return value;
    }
    const result = validateInput(metadata.metatype as new () => object, value ?? {});
    if (!result.ok) {
      throw new ValidationFailedError(result.errors);
    }
    return result.value;
  }
}

/** Path parameters that must be non-negative integers (instance numbers). */
export function parseIndexParam(name: string, raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) {
    throw new ValidationFailedError([{ path: name, message: `${name} must be a non-negative integer` }]);
  }
  return Number(raw);
}
