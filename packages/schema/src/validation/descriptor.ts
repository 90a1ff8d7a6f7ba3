/**
 * Plain-data descriptions of schema classes, and an accept-only check built from them, for a tier
 * that must not load class-validator (the node engine, issue 14 §5). The descriptions are generated
 * from the class-validator classes by {@link describeClasses} (`describe.ts`), committed, and held
 * equal to a fresh generation by a unit test, so the classes stay the one source.
 *
 * As for `compileValidator` (which builds on it), the check only ever *accepts*: it returns a copy of input it is sure
 * class-validator accepts (the copy `validateInput` would return, as plain objects), and undefined
 * for anything else (a failed rule, an unknown key, a field whose rules are not modelled). The
 * caller then runs the full `validateInput`, so every rejection and its message stay
 * class-validator's. Property tests hold the two to the same verdict and the same value.
 *
 * This module imports nothing: it is part of `lite.ts`.
 */

/** One modelled decorator, `each` = applied to every element of an array. */
export type ValueRule =
  | { rule: 'isInt' | 'isNumber' | 'isString' | 'isNotEmpty' | 'isBoolean' | 'isArray' | 'isObject'; each?: boolean }
  | { rule: 'min' | 'max' | 'maxLength'; limit: number; each?: boolean }
  | { rule: 'isIn'; allowed: readonly (string | number | boolean)[]; each?: boolean }
  | { rule: 'matches'; source: string; flags: string; each?: boolean };

export interface FieldDescriptor {
  name: string;
  optional: boolean;
  rules: readonly ValueRule[];
  /** A nested class (`@ValidateNested` + `@Type`), by its key in the descriptor set. */
  nested?: { class: string; each: boolean };
  /** Rules outside the modelled subset: any present value takes the full path. */
  unmodelled?: boolean;
}

export type InputDescriptors = Readonly<Record<string, readonly FieldDescriptor[]>>;

/** Returns the copy `validateInput` would return when `input` is certainly valid, else undefined. */
export type AcceptOnlyCheck = (input: unknown) => object | undefined;

type ValueCheck = (value: unknown) => boolean;

/** The accept-only check of class `name` in `descriptors`. */
export function acceptOnlyCheck(descriptors: InputDescriptors, name: string): AcceptOnlyCheck {
  const built = new Map<string, AcceptOnlyCheck>();
  const build = (cls: string): AcceptOnlyCheck => {
    const existing = built.get(cls);
    if (existing !== undefined) {
      return existing;
    }
    const fields = descriptors[cls];
    if (fields === undefined) {
      throw new Error(`no descriptor for ${cls}`);
    }
    // Filled below; recursion through `nested` reaches it lazily (at check time).
    const compiled: { field: FieldDescriptor; check: ValueCheck; copy: (v: unknown) => unknown }[] = [];
    const known = new Set(fields.map((f) => f.name));
    const check: AcceptOnlyCheck = (input) => {
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
      for (const { field, check: valid, copy } of compiled) {
        const value = source[field.name];
        if (value === undefined || value === null) {
          if (!field.optional) {
            return undefined;
          }
          if (value === null) {
            out[field.name] = null;
          }
          continue;
        }
        if (field.unmodelled === true || !valid(value)) {
          return undefined;
        }
        const copied = copy(value);
        if (copied === undefined) {
          return undefined;
        }
        out[field.name] = copied;
      }
      return out;
    };
    built.set(cls, check);
    for (const field of fields) {
      compiled.push({ field, check: allOf(field.rules.map(ruleCheck)), copy: copier(field, build) });
    }
    return check;
  };
  return build(name);
}

function copier(field: FieldDescriptor, build: (cls: string) => AcceptOnlyCheck): (v: unknown) => unknown {
  const nested = field.nested;
  if (nested === undefined) {
    // class-transformer copies arrays element by element; other values as they are.
    return (v) => (Array.isArray(v) ? [...(v as unknown[])] : v);
  }
  if (!nested.each) {
    return (v) => build(nested.class)(v);
  }
  return (v) => {
    // Arrays only (class-validator also walks Sets and Maps, which JSON never yields).
    if (!Array.isArray(v)) {
      return undefined;
    }
    const inner = build(nested.class);
    const out: object[] = [];
    for (const item of v) {
      const copy = inner(item);
      if (copy === undefined) {
        return undefined;
      }
      out.push(copy);
    }
    return out;
  };
}

function allOf(checks: ValueCheck[]): ValueCheck {
  return (v) => checks.every((c) => c(v));
}

/** Each as strict as (or stricter than) class-validator's own check for that decorator. */
function ruleCheck(r: ValueRule): ValueCheck {
  const one = singleCheck(r);
  if (r.each !== true) {
    return one;
  }
  return (v) => Array.isArray(v) && v.every(one);
}

function singleCheck(r: ValueRule): ValueCheck {
  switch (r.rule) {
    case 'isInt':
      return (v) => typeof v === 'number' && Number.isInteger(v);
    case 'isNumber':
      return (v) => typeof v === 'number' && Number.isFinite(v);
    case 'isString':
      return (v) => typeof v === 'string';
    case 'isNotEmpty':
      return (v) => v !== '' && v !== null && v !== undefined;
    case 'isBoolean':
      return (v) => typeof v === 'boolean';
    case 'isArray':
      return (v) => Array.isArray(v);
    case 'isObject':
      return (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'min':
      return (v) => typeof v === 'number' && v >= r.limit;
    case 'max':
      return (v) => typeof v === 'number' && v <= r.limit;
    case 'maxLength':
      // UTF-16 length bounds validator.js's count (which counts a surrogate pair once) from above.
      return (v) => typeof v === 'string' && v.length <= r.limit;
    case 'isIn': {
      const set = new Set<unknown>(r.allowed);
      return (v) => set.has(v);
    }
    case 'matches': {
      const pattern = new RegExp(r.source, r.flags.replace(/[gy]/g, ''));
      return (v) => typeof v === 'string' && pattern.test(v);
    }
  }
}
