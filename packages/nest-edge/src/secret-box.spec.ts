import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32).toString('base64url'));

  it('seals to a prefixed value that opens to the original, with a fresh IV each time', () => {
    const a = box.seal('pw');
    const b = box.seal('pw');
    expect(a).toMatch(/^enc:v1:/);
    expect(a).not.toBe(b);
    expect(box.open(a)).toBe('pw');
    expect(box.open(b)).toBe('pw');
  });

  it('reads a value stored before sealing as it is, and never seals twice', () => {
    expect(box.open('legacy-plaintext')).toBe('legacy-plaintext');
    const sealed = box.seal('x');
    expect(box.seal(sealed)).toBe(sealed);
  });

  it('refuses a tampered value and another key', () => {
    const sealed = box.seal('secret');
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}A`;
    expect(() => box.open(tampered)).toThrow();
    expect(() => new SecretBox(randomBytes(32).toString('base64url')).open(sealed)).toThrow();
    expect(() => new SecretBox('short')).toThrow(/32 bytes/);
  });
});
