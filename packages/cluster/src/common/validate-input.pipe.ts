import { Injectable, type PipeTransform } from '@nestjs/common';
import { validateInput } from '@canopy/schema';
import type { ClassConstructor } from 'class-transformer';
import { InvalidInputError } from './domain-errors';

/** Runs HTTP bodies through the shared `validateInput`, so HTTP, MQTT and Socket.IO reject alike. */
@Injectable()
export class ValidateInputPipe<T extends object> implements PipeTransform<unknown, T> {
  constructor(private readonly cls: ClassConstructor<T>) {}

  transform(value: unknown): T {
    const result = validateInput(this.cls, value);
    if (!result.ok) throw new InvalidInputError('request body is invalid', result.errors);
    return result.value;
  }
}
