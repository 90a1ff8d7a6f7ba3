import { parseYamlDocument } from './yaml-document';

describe('parseYamlDocument', () => {
  it('reads one document, and JSON as YAML', () => {
    expect(parseYamlDocument('a: 1\nb: [x, y]\n')).toEqual({ ok: true, value: { a: 1, b: ['x', 'y'] } });
    expect(parseYamlDocument('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
  });

  it.each([
    ['several documents', 'a: 1\n---\nb: 2\n', 'documents'],
    ['no document', '', 'no YAML document'],
    ['a syntax error', 'a: [1, 2\n', 'not valid YAML'],
    ['a duplicate key', 'a: 1\na: 2\n', 'not valid YAML'],
    [
      'an alias bomb',
      'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n',
      'cannot be read',
    ],
  ])('refuses %s at $', (_what, text, message) => {
    const result = parseYamlDocument(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors[0]?.path).toBe('$');
      expect(result.errors[0]?.message).toContain(message);
    }
  });
});
