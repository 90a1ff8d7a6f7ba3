import { IsOptional, Matches } from 'class-validator';
import { ConfigError } from '../errors';
import { envBool, envInt, envList, presentEnv, validateEnv } from './env';

class Sample {
  @IsOptional() @Matches(/^[a-z]+$/, { message: 'must be lower-case letters' }) NAME?: string;
  @IsOptional() @Matches(/^\d+$/, { message: 'must be a number' }) COUNT?: string;
}

function variableOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) {
      return err.variable;
    }
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('the shared environment loader', () => {
  it('treats empty values as unset and keeps only known variables when asked', () => {
    expect(presentEnv({ A: '1', B: '', C: undefined })).toEqual({ A: '1' });
    expect(presentEnv({ A: '1', D: '2' }, new Set(['D']))).toEqual({ D: '2' });
  });

  it('validates through the decorated class and names the first bad variable', () => {
    expect(validateEnv(Sample, { NAME: 'abc' })).toMatchObject({ NAME: 'abc' });
    expect(variableOf(() => validateEnv(Sample, { NAME: 'ABC', COUNT: 'x' }))).toBe('NAME');
    expect(() => validateEnv(Sample, { NAME: 'ABC', COUNT: 'x' })).toThrow(/COUNT must be a number/);
  });

  it('range-checks numbers and reads booleans and lists', () => {
    expect(envInt('N', undefined, 7, 1, 10)).toBe(7);
    expect(envInt('N', '10', 7, 1, 10)).toBe(10);
    expect(variableOf(() => envInt('N', '11', 7, 1, 10))).toBe('N');
    expect(variableOf(() => envInt('N', '1.5', 7, 1, 10))).toBe('N');
    expect(envBool('B', undefined, true)).toBe(true);
    expect(envBool('B', 'false', true)).toBe(false);
    expect(variableOf(() => envBool('B', 'yes', true))).toBe('B');
    expect(envList(' a, ,b ')).toEqual(['a', 'b']);
    expect(envList(undefined)).toEqual([]);
  });
});
