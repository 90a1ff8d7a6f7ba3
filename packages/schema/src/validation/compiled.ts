import 'reflect-metadata';
import { type Ctor, decoratorsByProperty, type ValidationMeta as Meta } from './class-metadata';
import type { ClassConstructor } from 'class-transformer';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { validateInput, type ValidationResult } from './validate';

/**
 * A hot-path validator generated from the same class-validator classes (one schema, no second
 * copy): the decorators' metadata is read once and turned into plain checks on the parsed JSON,
 * without class-transformer instantiating anything. The fast check only ever *accepts*: input it
 * is not sure of (a failed check, an unknown field, a shape or decorator it does not model) goes
 * through {@link validateInput}, so rejections, their messages and every edge case stay those of
 * class-validator. Property tests hold the two to the same verdict and the same value.
 *
 * Classes using a decorator outside the modelled subset are simply not compiled: every input then
 * takes the full path.
 */
export function compileValidator<T extends object>(cls: ClassConstructor<T>): (input: unknown) => ValidationResult<T> {
  const fast = compileClass(cls, new Map());
  if (fast === undefined) {
    return (input) => validateInput(cls, input);
  }
  return (input) => {
    const value = fast(input);
    return value === undefined ? validateInput(cls, input) : { ok: true, value: value as T };
  };
}

/** Returns the whitelisted copy when `input` is certainly valid, else undefined. */
type FastCheck = (input: unknown) => object | undefined;
type ValueCheck = (value: unknown) => boolean;

function compileClass(cls: Ctor, seen: Map<Ctor, FastCheck | undefined>): FastCheck | undefined {
  if (seen.has(cls)) {
    // A recursive schema: not modelled, the full path handles it.
    return seen.get(cls) ?? undefined;
  }
  seen.set(cls, undefined);
  const byProperty = decoratorsByProperty(cls);
  if ([...byProperty.values()].some((list) => list.some((m) => (m.groups?.length ?? 0) > 0))) {
    return undefined;
  }
  const properties: { name: string; optional: boolean; check: ValueCheck; nested?: (value: unknown) => unknown }[] = [];
  for (const [name, list] of byProperty) {
    const compiled = compileProperty(cls, name, list, seen);
    if (compiled === undefined) {
      return undefined;
    }
    properties.push({ name, ...compiled });
  }
  const known = new Set(properties.map((p) => p.name));
  const check: FastCheck = (input) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      return undefined;
    }
    const source = input as Record<string, unknown>;
    for (const key of Object.keys(source)) {
      if (!known.has(key)) {
        return undefined;
      }
    }
    const out: Record<string, unknown> = {};
    for (const p of properties) {
      const value = source[p.name];
      if (value === undefined || value === null) {
        if (!p.optional) {
          return undefined;
        }
        if (value === null) {
          out[p.name] = null;
        }
        continue;
      }
      if (!p.check(value)) {
        return undefined;
      }
      out[p.name] = p.nested === undefined ? value : p.nested(value);
    }
    return out;
  };
  seen.set(cls, check);
  return check;
}

function compileProperty(
  cls: Ctor,
  name: string,
  metas: Meta[],
  seen: Map<Ctor, FastCheck | undefined>,
): { optional: boolean; check: ValueCheck; nested?: (value: unknown) => unknown } | undefined {
  let optional = false;
  const checks: ValueCheck[] = [];
  let nested: ((value: unknown) => unknown) | undefined;
  for (const m of metas) {
    if (m.type === 'conditionalValidation' && m.name === 'isOptional') {
      optional = true;
      continue;
    }
    if (m.type === 'nestedValidation') {
      const typed = defaultMetadataStorage.findTypeMetadata(cls, name);
      const inner = typed === undefined ? undefined : compileClass(typed.typeFunction() as Ctor, seen);
      if (inner === undefined) {
        return undefined;
      }
      if (m.each === true) {
        // Arrays only (class-validator also walks Sets and Maps, which JSON never yields).
        let copies: unknown[] = [];
        checks.push((v) => {
          if (!Array.isArray(v)) {
            return false;
          }
          copies = [];
          for (const item of v) {
            const copy = inner(item);
            if (copy === undefined) {
              return false;
            }
            copies.push(copy);
          }
          return true;
        });
        nested = () => copies;
      } else {
        let copy: object | undefined;
        checks.push((v) => (copy = inner(v)) !== undefined);
        nested = () => copy;
      }
      continue;
    }
    if (m.type !== 'customValidation' || m.each === true) {
      return undefined;
    }
    const check = valueCheck(m);
    if (check === undefined) {
      return undefined;
    }
    checks.push(check);
  }
  // The nested copy is built by the last check that ran, so it must run last.
  const check: ValueCheck = (v) => {
    for (const c of checks) {
      if (!c(v)) {
        return false;
      }
    }
    return true;
  };
  return nested === undefined ? { optional, check } : { optional, check, nested };
}

/** The modelled decorators, each as strict as (or stricter than) class-validator's own check. */
function valueCheck(m: Meta): ValueCheck | undefined {
  const c = m.constraints ?? [];
  switch (m.name ?? '') {
    case 'isInt':
      return (v) => typeof v === 'number' && Number.isInteger(v);
    case 'isNumber': {
      const options = (c[0] ?? {}) as Record<string, unknown>;
      if (Object.keys(options).length > 0) {
        return undefined;
      }
      return (v) => typeof v === 'number' && Number.isFinite(v);
    }
    case 'min': {
      const min = c[0];
      return typeof min === 'number' ? (v) => typeof v === 'number' && v >= min : undefined;
    }
    case 'max': {
      const max = c[0];
      return typeof max === 'number' ? (v) => typeof v === 'number' && v <= max : undefined;
    }
    case 'isString':
      return (v) => typeof v === 'string';
    case 'isNotEmpty':
      return (v) => v !== '' && v !== null && v !== undefined;
    case 'maxLength': {
      // UTF-16 length bounds validator.js's count (which counts a surrogate pair once) from above.
      const max = c[0];
      return typeof max === 'number' ? (v) => typeof v === 'string' && v.length <= max : undefined;
    }
    case 'isIn': {
      const allowed = c[0];
      if (!Array.isArray(allowed)) {
        return undefined;
      }
      const set = new Set<unknown>(allowed);
      return (v) => set.has(v);
    }
    case 'isBoolean':
      return (v) => typeof v === 'boolean';
    case 'isArray':
      return (v) => Array.isArray(v);
    default:
      return undefined;
  }
}
