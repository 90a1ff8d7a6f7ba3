import fc from 'fast-check';

/** A JSON value, as a fuzzer builds one. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Where in a body an edit lands: keys and array indexes from the top. */
export type Path = (string | number)[];

/** `leaf` nested `depth` times, alternating objects and arrays. */
export function deepValue(depth: number, leaf: Json = 'x'): Json {
  let value = leaf;
  for (let i = 0; i < depth; i++) {
    value = i % 2 === 0 ? { a: value } : [value];
  }
  return value;
}

/** Prototype-pollution attempts, parsed from text because an object literal's `__proto__` is no key. */
export const pollutingValues = (...more: string[]): Json[] =>
  ['{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', ...more].map(
    (text) => JSON.parse(text) as Json,
  );

/**
 * Sets `value` at `path` inside `target` (in place) and returns the result; `undefined` removes the
 * field (or the array element). A path through a non-object stops there, so the edit is a no-op.
 */
export function setAt(target: unknown, path: Path, value: Json | undefined): unknown {
  if (path.length === 0) {
    return value;
  }
  if (target === null || typeof target !== 'object') {
    return target;
  }
  const [head, ...rest] = path;
  const container = target as Record<string | number, unknown>;
  if (rest.length > 0) {
    setAt(container[head as string], rest, value);
  } else if (value !== undefined) {
    // A copy: the bad values include shared constants, and a later edit of this run could
    // otherwise write into one of them (and even place it inside itself: a circular body).
    container[head as string] = structuredClone(value);
  } else if (Array.isArray(container) && typeof head === 'number') {
    container.splice(head, 1);
  } else {
    delete container[head as string];
  }
  return target;
}

/** A fresh `base()` with one to three of `paths` set to one of `values` each. */
export function edited(
  base: () => unknown,
  paths: Path[],
  values: fc.Arbitrary<Json | undefined>,
): fc.Arbitrary<unknown> {
  return fc.array(fc.tuple(fc.constantFrom(...paths), values), { minLength: 1, maxLength: 3 }).map((edits) => {
    let value = base();
    for (const [path, v] of edits) {
      value = setAt(value, path, v);
    }
    return value;
  });
}
