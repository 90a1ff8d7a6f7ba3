import fc from 'fast-check';
import { JsonPatchError, applyJsonPatch } from './json-patch';

/** RFC 6902's own examples (appendix A), plus the failures kubectl users hit. */
describe('applyJsonPatch (RFC 6902)', () => {
  it.each([
    ['add an object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { foo: 'bar', baz: 'qux' }],
    [
      'add an array element',
      { foo: ['bar', 'baz'] },
      [{ op: 'add', path: '/foo/1', value: 'qux' }],
      { foo: ['bar', 'qux', 'baz'] },
    ],
    ['append with -', { a: [1] }, [{ op: 'add', path: '/a/-', value: 2 }], { a: [1, 2] }],
    ['remove a member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    ['remove an element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    [
      'replace a value',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'replace', path: '/baz', value: 'boo' }],
      { baz: 'boo', foo: 'bar' },
    ],
    [
      'move a value',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    [
      'move an element',
      { foo: ['all', 'grass', 'cows', 'eat'] },
      [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
      { foo: ['all', 'cows', 'eat', 'grass'] },
    ],
    ['copy', { a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }], { a: { b: 1 }, c: { b: 1 } }],
    [
      'test then act',
      { baz: 'qux' },
      [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'remove', path: '/baz' },
      ],
      {},
    ],
    [
      'escaped tokens',
      { 'a/b': 1, 'm~n': 2 },
      [
        { op: 'replace', path: '/a~1b', value: 3 },
        { op: 'remove', path: '/m~0n' },
      ],
      { 'a/b': 3 },
    ],
    ['add to the root', { a: 1 }, [{ op: 'add', path: '', value: { b: 2 } }], { b: 2 }],
  ])('%s', (_name, doc, patch, expected) => {
    expect(applyJsonPatch(doc, patch)).toEqual(expected);
  });

  it('leaves the input untouched', () => {
    const doc = { a: { b: [1] } };
    applyJsonPatch(doc, [{ op: 'add', path: '/a/b/-', value: 2 }]);
    expect(doc).toEqual({ a: { b: [1] } });
  });

  it.each([
    ['not an array', { op: 'add' }, '$'],
    ['an unknown op', [{ op: 'merge', path: '/a' }], '[0].op'],
    ['a path that is not a pointer', [{ op: 'add', path: 'a', value: 1 }], '[0].path'],
    ['a missing value', [{ op: 'add', path: '/a' }], '[0].value'],
    ['removing what is not there', [{ op: 'remove', path: '/nope' }], '[0].path'],
    ['replacing what is not there', [{ op: 'replace', path: '/x/y', value: 1 }], '[0].path'],
    ['an index out of range', [{ op: 'add', path: '/list/5', value: 1 }], '[0].path'],
    ['a failed test', [{ op: 'test', path: '/a', value: 2 }], '[0].value'],
    [
      'a failed later op',
      [
        { op: 'test', path: '/a', value: 1 },
        { op: 'copy', from: '/zz', path: '/b' },
      ],
      '[1].from',
    ],
    ['moving into itself', [{ op: 'move', from: '/list', path: '/list/0' }], '[0].from'],
  ])('refuses %s and names the operation', (_name, patch, field) => {
    let error: unknown;
    try {
      applyJsonPatch({ a: 1, list: [] }, patch);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JsonPatchError);
    expect((error as JsonPatchError).errors[0]?.path).toBe(field);
  });

  it('never reaches the prototype', () => {
    const out = applyJsonPatch({}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]) as Record<
      string,
      unknown
    >;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(() => applyJsonPatch({}, [{ op: 'remove', path: '/toString' }])).toThrow(JsonPatchError);
  });
});

describe('applyJsonPatch on arbitrary input', () => {
  const pointer = fc
    .array(fc.oneof(fc.constantFrom('a', 'b', '0', '1', '-', '__proto__', 'constructor', '~0', '~1'), fc.string()), {
      maxLength: 4,
    })
    .map((tokens) => (tokens.length === 0 ? '' : `/${tokens.join('/')}`));
  const op = fc.record(
    {
      op: fc.oneof(fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test'), fc.string()),
      path: fc.oneof(pointer, fc.anything()),
      from: fc.oneof(pointer, fc.anything()),
      value: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );

  it('either applies or refuses with a JsonPatchError naming the operation; never pollutes a prototype', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.oneof(fc.array(op, { maxLength: 6 }), fc.anything()), (doc, patch) => {
        try {
          applyJsonPatch(doc, patch);
        } catch (e) {
          expect(e).toBeInstanceOf(JsonPatchError);
          expect((e as JsonPatchError).errors[0]?.path).toMatch(/^(\$|\[\d+\](\.op|\.path|\.from|\.value)?)$/);
        }
        expect(({} as Record<string, unknown>).a).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('b');
      }),
      { numRuns: 2000 },
    );
  });
});
