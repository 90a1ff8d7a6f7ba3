import type { ClassConstructor } from 'class-transformer';
import { describeClasses } from './describe';
import { acceptOnlyCheck } from './descriptor';
import { validateInput, type ValidationResult } from './validate';

/**
 * A hot-path validator from the same class-validator classes (one schema, no second copy): the
 * decorators' metadata is read once into descriptions (`describeClasses`) and turned into plain
 * checks on the parsed JSON (`acceptOnlyCheck`, the node engine's check too), without
 * class-transformer instantiating anything. The fast check only ever *accepts*: input it is not
 * sure of (a failed check, an unknown field, a decorator it does not model) goes through
 * {@link validateInput}, so rejections, their messages and every edge case stay those of
 * class-validator. Property tests hold the two to the same verdict and the same value.
 */
export function compileValidator<T extends object>(cls: ClassConstructor<T>): (input: unknown) => ValidationResult<T> {
  const fast = acceptOnlyCheck(describeClasses({ [cls.name]: cls }), cls.name);
  return (input) => {
    const value = fast(input);
    return value === undefined ? validateInput(cls, input) : { ok: true, value: value as T };
  };
}
