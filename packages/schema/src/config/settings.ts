import { ConfigError } from '../errors';
import { presentEnv } from './present-env';
import type { Kind } from './kinds';

/**
 * The one config loader of every tier. A tier's settings are one class: each field carries its
 * default as its initializer and a {@link Setting} decorator naming its environment variable and
 * its {@link Kind} (which transforms and range-checks the text). {@link loadSettings} reads a YAML
 * file (keys: the field names, or the variables themselves), then the environment over it, and
 * raises one {@link ConfigError} naming the variable for the first bad or missing value.
 *
 * Own decorators rather than class-validator + class-transformer: a setting's text must become a
 * number, a duration or a list *and* its error must name the variable and the allowed range in one
 * sentence; class-validator checks an object that is already typed and names its property, so the
 * transform, the variable and the range would be spread over three decorators per field.
 */
export interface SettingSpec {
  /** The field of the settings class. */
  readonly field: string;
  readonly variable: string;
  readonly kind: Kind<unknown>;
  readonly required: boolean;
  /** Never echoed in an error message (tokens, passwords). */
  readonly secret: boolean;
  /** More config-file keys for this setting besides the field and the variable name. */
  readonly fileKeys: readonly string[];
}

export interface SettingOptions {
  required?: boolean;
  secret?: boolean;
  fileKeys?: readonly string[];
}

const SPECS = new WeakMap<object, SettingSpec[]>();

/** Marks a field of a settings class as the setting `variable`, of kind `kind`. */
export function Setting(variable: string, kind: Kind<unknown>, options: SettingOptions = {}): PropertyDecorator {
  return (prototype, field) => {
    const specs = SPECS.get(prototype) ?? [];
    specs.push({
      field: String(field),
      variable,
      kind,
      required: options.required ?? false,
      secret: options.secret ?? false,
      fileKeys: options.fileKeys ?? [],
    });
    SPECS.set(prototype, specs);
  };
}

export type SettingsClass<T> = new () => T;

/** Any of a settings class's fields; undefined stands for the default. */
export type SettingsInit<T> = { [K in keyof T]?: T[K] | undefined };

export function settingsOf(cls: SettingsClass<object>): readonly SettingSpec[] {
  return SPECS.get(cls.prototype as object) ?? [];
}

/** Every variable a settings class reads (the README's table lists exactly these; a test checks it). */
export function settingVariables(cls: SettingsClass<object>): string[] {
  return [...new Set(settingsOf(cls).map((s) => s.variable))];
}

export interface ConfigFile {
  path: string;
  values: Record<string, unknown>;
}

export interface SettingsSources {
  /** The environment; empty values count as unset (compose and unit files carry `VAR=`). */
  env: NodeJS.ProcessEnv;
  /** A parsed config file (see `readConfigFile`); the environment overrides it. */
  file?: ConfigFile | undefined;
  /** Values over the environment, spelled as variables (the node engine's command-line flags). */
  overrides?: Record<string, string> | undefined;
  /** Values under the file, spelled as variables: defaults only known at run time (detected hardware). */
  fallback?: Record<string, string> | undefined;
}

interface RawValue {
  text: string;
  from: string;
}

/**
 * A settings object: the class's defaults, `fallback`, the file, the environment, then `overrides`.
 * @throws ConfigError naming the variable (or the unknown file key) of the first problem.
 */
export function loadSettings<T extends object>(cls: SettingsClass<T>, sources: SettingsSources): T {
  const specs = settingsOf(cls);
  const raw = new Map<string, RawValue>();
  for (const [variable, value] of Object.entries(sources.fallback ?? {})) {
    raw.set(variable, { text: value, from: 'run-time default' });
  }
  if (sources.file !== undefined) {
    for (const [variable, value] of fileValues(specs, sources.file)) {
      raw.set(variable, value);
    }
  }
  const known = new Set(specs.map((s) => s.variable));
  for (const [variable, value] of Object.entries(presentEnv(sources.env, known))) {
    raw.set(variable, { text: value, from: 'environment' });
  }
  for (const [variable, value] of Object.entries(sources.overrides ?? {})) {
    raw.set(variable, { text: value, from: 'command line' });
  }
  const settings = new cls() as Record<string, unknown>;
  for (const spec of specs) {
    const value = raw.get(spec.variable);
    if (value === undefined) {
      if (spec.required) {
        throw new ConfigError(spec.variable, 'is required');
      }
      continue;
    }
    const parsed = spec.kind.parse(value.text);
    if (parsed === undefined) {
      const got = spec.secret ? '' : `, got "${value.text}"`;
      const where = value.from === 'environment' ? '' : ` (${value.from})`;
      throw new ConfigError(spec.variable, `must be ${spec.kind.describe}${got}${where}`);
    }
    settings[spec.field] = parsed;
  }
  return settings as T;
}

/**
 * A settings object from a hand-built one (tests, embedded wiring): the class's defaults for every
 * field `init` leaves out or sets to undefined. Nothing is parsed; the types already say enough.
 */
export function completeSettings<T extends object>(cls: SettingsClass<T>, init: SettingsInit<T>): T {
  const settings = new cls();
  for (const [key, value] of Object.entries(init)) {
    if (value !== undefined) {
      (settings as Record<string, unknown>)[key] = value;
    }
  }
  return settings;
}

function fileValues(specs: readonly SettingSpec[], file: ConfigFile): Map<string, RawValue> {
  const byKey = new Map<string, SettingSpec>();
  for (const spec of specs) {
    for (const key of [spec.field, spec.variable, ...spec.fileKeys]) {
      byKey.set(key, spec);
    }
  }
  const out = new Map<string, RawValue>();
  for (const [key, value] of Object.entries(file.values)) {
    const spec = byKey.get(key);
    if (spec === undefined) {
      throw new ConfigError(
        key,
        `unknown key "${key}" in ${file.path} (keys are the README's variables or their field names)`,
      );
    }
    if (value !== null && value !== undefined) {
      out.set(spec.variable, { text: fileText(value), from: `${file.path} key ${key}` });
    }
  }
  return out;
}

/** Sequences become comma lists, mappings `k=v` lists; a nested structure renders as JSON, which no kind accepts. */
function fileText(value: unknown): string {
  if (Array.isArray(value)) {
    return value.map(scalarText).join(',');
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${scalarText(v)}`)
      .join(',');
  }
  return scalarText(value);
}

function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : JSON.stringify(value);
}
