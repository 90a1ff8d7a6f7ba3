import type { FieldError } from '@canopy/schema';

/** One RFC 6902 operation as kubectl (`kubectl patch --type=json`) sends it. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

/** A patch that cannot be applied; `errors` names the operation (`[2].path`) and why. */
export class JsonPatchError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join(', '));
  }
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
type Container = Record<string, unknown> | unknown[];

/**
 * Applies an RFC 6902 JSON Patch to a copy of `document` and returns the copy. All or nothing: the
 * first failing operation (a missing path, a failed `test`) throws and nothing is returned.
 */
export function applyJsonPatch<T>(document: T, patch: unknown): T {
  if (!Array.isArray(patch)) {
    throw new JsonPatchError([{ path: '$', message: 'a JSON patch must be an array of operations' }]);
  }
  let doc: unknown = structuredClone(document);
  patch.forEach((raw: unknown, i) => {
    const fail = (field: string, message: string): never => {
      throw new JsonPatchError([{ path: `[${i}]${field}`, message }]);
    };
    if (typeof raw !== 'object' || raw === null) {
      fail('', 'an operation must be an object');
    }
    const op = raw as Partial<JsonPatchOperation>;
    if (typeof op.op !== 'string' || !OPS.has(op.op)) {
      fail('.op', 'must be one of add, remove, replace, move, copy, test');
    }
    if (typeof op.path !== 'string') {
      fail('.path', 'is required');
    }
    const path = parsePointer(op.path!, () => fail('.path', 'is not a JSON pointer'));
    const needsValue = op.op === 'add' || op.op === 'replace' || op.op === 'test';
    if (needsValue && !('value' in op)) {
      fail('.value', 'is required');
    }
    const from =
      op.op === 'move' || op.op === 'copy'
        ? parsePointer(typeof op.from === 'string' ? op.from : '\u0000', () => fail('.from', 'is not a JSON pointer'))
        : [];
    const missing = (what: string) =>
      fail(what === 'from' ? '.from' : '.path', `${what === 'from' ? op.from : op.path} does not exist`);
    switch (op.op!) {
      case 'add':
        doc = add(doc, path, structuredClone(op.value), () => missing('path'));
        break;
      case 'remove':
        doc = remove(doc, path, () => missing('path')).doc;
        break;
      case 'replace':
        doc = remove(doc, path, () => missing('path')).doc;
        doc = add(doc, path, structuredClone(op.value), () => missing('path'));
        break;
      case 'move': {
        if (op.path!.startsWith(`${op.from}/`)) {
          fail('.from', 'cannot move a value into itself');
        }
        const taken = remove(doc, from, () => missing('from'));
        doc = add(taken.doc, path, taken.value, () => missing('path'));
        break;
      }
      case 'copy':
        doc = add(doc, path, structuredClone(get(doc, from, () => missing('from'))), () => missing('path'));
        break;
      case 'test':
        if (
          !deepEqual(
            get(doc, path, () => missing('path')),
            op.value,
          )
        ) {
          fail('.value', `test failed at ${op.path}`);
        }
        break;
    }
  });
  return doc as T;
}

function parsePointer(pointer: string, bad: () => never): string[] {
  if (pointer === '') {
    return [];
  }
  if (!pointer.startsWith('/')) {
    bad();
  }
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isContainer(v: unknown): v is Container {
  return typeof v === 'object' && v !== null;
}

/** Own keys only: a pointer must never reach `__proto__` or inherited members. */
function hasOwn(c: Container, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(c, key);
}

function arrayIndex(arr: unknown[], token: string, allowEnd: boolean): number | undefined {
  if (allowEnd && token === '-') {
    return arr.length;
  }
  if (!/^(0|[1-9][0-9]*)$/.test(token)) {
    return undefined;
  }
  const i = Number(token);
  return i < arr.length || (allowEnd && i === arr.length) ? i : undefined;
}

function parentOf(doc: unknown, path: string[], missing: () => never): { parent: Container; key: string } {
  let cur = doc;
  for (const token of path.slice(0, -1)) {
    if (!isContainer(cur)) {
      missing();
    }
    if (Array.isArray(cur)) {
      const i = arrayIndex(cur, token, false);
      if (i === undefined) {
        missing();
      }
      cur = cur[i];
    } else {
      if (!hasOwn(cur, token)) {
        missing();
      }
      cur = cur[token];
    }
  }
  if (!isContainer(cur)) {
    missing();
  }
  return { parent: cur, key: path[path.length - 1]! };
}

function get(doc: unknown, path: string[], missing: () => never): unknown {
  if (path.length === 0) {
    return doc;
  }
  const { parent, key } = parentOf(doc, path, missing);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, false);
    if (i === undefined) {
      missing();
    }
    return parent[i];
  }
  if (!hasOwn(parent, key)) {
    missing();
  }
  return parent[key];
}

function add(doc: unknown, path: string[], value: unknown, missing: () => never): unknown {
  if (path.length === 0) {
    return value;
  }
  const { parent, key } = parentOf(doc, path, missing);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, true);
    if (i === undefined) {
      missing();
    }
    parent.splice(i, 0, value);
  } else {
    Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return doc;
}

function remove(doc: unknown, path: string[], missing: () => never): { doc: unknown; value: unknown } {
  if (path.length === 0) {
    return { doc: undefined, value: doc };
  }
  const { parent, key } = parentOf(doc, path, missing);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, false);
    if (i === undefined) {
      missing();
    }
    return { doc, value: parent.splice(i, 1)[0] };
  }
  if (!hasOwn(parent, key)) {
    missing();
  }
  const value = parent[key];
  delete parent[key];
  return { doc, value };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) {
    return false;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) {
    return false;
  }
  return ka.every(
    (k) => hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
