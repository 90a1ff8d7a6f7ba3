import 'reflect-metadata';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/** One rejected field: a JSON path such as `applications[0].microservices[1].port`, and why. */
export interface FieldError {
  path: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/**
 * The single validation path for every input that crosses a trust boundary: HTTP bodies, YAML,
 * MQTT payloads, Socket.IO events and environment variables all go through here.
 *
 * Unknown fields are stripped, not rejected: real Oakestra files carry extra fields and Oakestra
 * tolerated them. Types are never coerced (a number where a string belongs is an error).
 */
export function validateInput<T extends object>(cls: ClassConstructor<T>, input: unknown): ValidationResult<T> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [{ path: '$', message: 'must be a JSON object' }] };
  }
  if (nestedDeeperThan(input, MAX_INPUT_DEPTH)) {
    return { ok: false, errors: [{ path: '$', message: `must not be nested deeper than ${MAX_INPUT_DEPTH} levels` }] };
  }
  let instance: T;
  let errors: ValidationError[];
  try {
    instance = plainToInstance(cls, input, { enableImplicitConversion: false, exposeDefaultValues: true });
    errors = validateSync(instance, {
      whitelist: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
    });
  } catch {
    // class-transformer throws on some hostile shapes (an object under a `constructor` key makes it
    // call that object as a class). Such input is bad input, never a crash.
    return { ok: false, errors: [{ path: '$', message: 'contains a value that cannot be read' }] };
  }
  if (errors.length > 0) {
    return { ok: false, errors: flattenErrors(errors) };
  }
  return { ok: true, value: instance };
}

/**
 * Far deeper than any descriptor or wire message needs. class-transformer recurses once per level,
 * so a 1 MB body of `[[[[...` would otherwise exhaust the stack.
 */
export const MAX_INPUT_DEPTH = 32;

/** Iterative, so that measuring a hostile input cannot itself overflow the stack. */
function nestedDeeperThan(input: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[input, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, depth] = next;
    if (value === null || typeof value !== 'object') {
      continue;
    }
    if (depth > max) {
      return true;
    }
    for (const child of Object.values(value)) {
      pending.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Constraints that check a value's type. When one of them fails, the other failures at the same
 * path, and any below it, only restate it ("must not be less than 0" for `"100"`; the fields of an
 * object given where an array belongs), so only the type message is kept. class-validator's own
 * `stopAtFirstError` cannot do this: it stops at whichever decorator it happens to evaluate first,
 * which is the one written *last* (a missing `code` read "code must be shorter than or equal to
 * 512 characters").
 */
const TYPE_CONSTRAINTS: readonly string[] = [
  'isDefined',
  'isObject',
  'isArray',
  'isString',
  'isInt',
  'isNumber',
  'isBoolean',
];

function typeFailureOf(constraints: Record<string, string> | undefined): string | undefined {
  const name = TYPE_CONSTRAINTS.find((c) => constraints?.[c] !== undefined);
  return name === undefined ? undefined : constraints?.[name];
}

/** Flattens class-validator's error tree into `[{path, message}]` with array indices in brackets. */
export function flattenErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const key = /^\d+$/.test(error.property) ? `[${error.property}]` : error.property;
    const path = parent === '' ? key.replace(/^\[/, '$[') : /^\[/.test(key) ? `${parent}${key}` : `${parent}.${key}`;
    const typeFailure = typeFailureOf(error.constraints);
    if (typeFailure !== undefined) {
      out.push({ path, message: typeFailure });
      continue;
    }
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({ path, message });
    }
    if (error.children && error.children.length > 0) {
      out.push(...flattenErrors(error.children, path));
    }
  }
  return out;
}
