import type { ClassConstructor } from 'class-transformer';
import { ConfigError } from '../errors';
import { validateInput } from '../validation/validate';

/**
 * The one environment loader every tier parses its settings through (root, cluster, node engine):
 * empty values count as unset (compose and unit files carry `VAR=`), the strings are validated
 * by a class of decorated fields, numbers are range-checked, and every failure is one
 * {@link ConfigError} naming the variable.
 */

export { presentEnv } from './present-env';

/**
 * Validates the variables against `cls` (class-validator decorators, one field per variable).
 * @throws ConfigError naming the first bad variable; the message lists every problem found.
 */
export function validateEnv<T extends object>(cls: ClassConstructor<T>, vars: Record<string, string>): T {
  const result = validateInput(cls, vars);
  if (!result.ok) {
    const first = result.errors[0] ?? { path: '$', message: 'invalid' };
    const rest = result.errors.slice(1).map((e) => `; ${e.path} ${e.message}`);
    throw new ConfigError(first.path, `${first.message}${rest.join('')}`);
  }
  return result.value;
}

/** A whole number within `min..max`, or `fallback` when unset. */
export function envInt(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) {
    throw new ConfigError(name, `must be a whole number in ${min}..${max}, got "${raw}"`);
  }
  return n;
}

/** `true` or `false`, or `fallback` when unset. */
export function envBool(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (raw === 'true' || raw === 'false') {
    return raw === 'true';
  }
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

/** A comma-separated list, trimmed, empty entries dropped. */
export function envList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
