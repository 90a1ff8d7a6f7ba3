/**
 * What a setting may hold, and how its text (from the environment or a YAML file) becomes a value.
 * A kind's `parse` returns `undefined` for text it refuses; the loader then raises one
 * {@link ConfigError} of the form `<VARIABLE>: must be <describe>, got "<text>"`, so every tier's
 * errors look alike and always say the allowed range.
 */
export interface Kind<T> {
  /** What the value must be, completing "must be …": e.g. `a whole number in 1..100`. */
  readonly describe: string;
  parse(text: string): T | undefined;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

/** `1500` (in `bare` units), `250ms`, `30s`, `5m`, `2h`, `1d` → milliseconds; undefined if not a duration. */
export function parseDuration(text: string, bare: 'ms' | 's' = 'ms'): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match === null) {
    return undefined;
  }
  return Number(match[1]) * (UNIT_MS[match[2] ?? bare] ?? 1);
}

/** The shortest exact spelling of a duration, for range messages: 100ms, 30s, 5m, 1d. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] ?? 1;
    if (ms >= size && ms % size === 0) {
      return `${ms / size}${unit}`;
    }
  }
  return `${ms}ms`;
}

/** A whole number within `min..max`. */
export function int(min: number, max: number): Kind<number> {
  return {
    describe: `a whole number in ${min}..${max}`,
    parse: (text) => {
      const n = Number(text);
      return /^-?\d+$/.test(text.trim()) && n >= min && n <= max ? n : undefined;
    },
  };
}

/** A decimal number within `min..max`. */
export function decimal(min: number, max: number): Kind<number> {
  return {
    describe: `a number in ${min}..${max}`,
    parse: (text) => {
      const n = Number(text);
      return /^-?\d+(\.\d+)?$/.test(text.trim()) && n >= min && n <= max ? n : undefined;
    },
  };
}

/** A TCP port; 0 (any free port) unless `min` says otherwise. */
export function port(min = 0): Kind<number> {
  return { ...int(min, 65535), describe: `a port number in ${min}..65535` };
}

/**
 * A duration held in milliseconds: `30s`, `5m`, `250ms` or a bare number of milliseconds,
 * within `min..max` ms. Fractions round to the nearest millisecond.
 */
export function millis(min: number, max: number): Kind<number> {
  return {
    describe: `a duration in ${formatDuration(min)}..${formatDuration(max)} (e.g. 30s, 5m, or milliseconds)`,
    parse: (text) => {
      const ms = parseDuration(text, 'ms');
      return ms !== undefined && ms >= min && ms <= max ? Math.round(ms) : undefined;
    },
  };
}

/** A duration held in whole seconds: `15m`, `7d` or a bare number of seconds, within `min..max` s. */
export function seconds(min: number, max: number): Kind<number> {
  return {
    describe: `a duration in ${formatDuration(min * 1000)}..${formatDuration(max * 1000)} (e.g. 15m, 7d, or seconds)`,
    parse: (text) => {
      const ms = parseDuration(text, 's');
      const s = ms === undefined ? undefined : Math.round(ms / 1000);
      return s !== undefined && s >= min && s <= max ? s : undefined;
    },
  };
}

export const bool: Kind<boolean> = {
  describe: 'true or false',
  parse: (text) => (text === 'true' ? true : text === 'false' ? false : undefined),
};

export interface TextRule {
  pattern?: RegExp;
  /** Completes "must be …" when the pattern (or a length) is not met. */
  describe?: string;
  minLength?: number;
  maxLength?: number;
}

/** A string, trimmed of nothing: tokens and paths are taken as written. */
export function text(rule: TextRule = {}): Kind<string> {
  const { pattern, minLength = 1, maxLength = 65_536 } = rule;
  return {
    describe: rule.describe ?? (minLength > 1 ? `at least ${minLength} characters` : 'a non-empty string'),
    parse: (value) =>
      value.length >= minLength && value.length <= maxLength && (pattern === undefined || pattern.test(value))
        ? value
        : undefined,
  };
}

/** One of `values` exactly. */
export function oneOf<T extends string>(values: readonly T[]): Kind<T> {
  return {
    describe: `one of ${values.join(', ')}`,
    parse: (value) => values.find((v) => v === value),
  };
}

/** A comma-separated list (a YAML sequence in a file), trimmed, empty entries dropped; each entry checked. */
export function list(item: Kind<string> = text()): Kind<string[]> {
  return {
    describe: `a comma-separated list of ${item.describe}`,
    parse: (value) => {
      const entries = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const parsed = entries.map((e) => item.parse(e));
      return parsed.every((p) => p !== undefined) ? parsed : undefined;
    },
  };
}

/** `min-max` host ports (NODE_HOST_PORT_RANGE, CANOPY_HOST_PORT_RANGE). */
export const portRange: Kind<{ min: number; max: number }> = {
  describe: 'min-max with 1 <= min <= max <= 65535 (e.g. 1024-65535)',
  parse: (value) => {
    const match = /^(\d{1,5})-(\d{1,5})$/.exec(value.trim());
    const [min, max] = [Number(match?.[1]), Number(match?.[2])];
    return match !== null && min >= 1 && max <= 65535 && min <= max ? { min, max } : undefined;
  },
};

/** Anything else: `parse` returns undefined to refuse. */
export function custom<T>(describe: string, parse: (text: string) => T | undefined): Kind<T> {
  return { describe, parse };
}
