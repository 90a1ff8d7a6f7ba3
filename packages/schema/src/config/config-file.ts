import { readFileSync } from 'node:fs';
import type * as Yaml from 'yaml';
import { ConfigError } from '../errors';
import type { ConfigFile } from './settings';

/** The variable naming a tier's YAML config file (the flag `--config <path>` wins over it). */
export const CONFIG_FILE_VARIABLE = 'CANOPY_CONFIG';

/**
 * Reads a YAML (or JSON: YAML is a superset) config file holding one mapping of settings.
 * @throws ConfigError (variable `CANOPY_CONFIG`) when it cannot be read or is not a mapping.
 */
export function readConfigFile(path: string, variable = CONFIG_FILE_VARIABLE): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(variable, `cannot read config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    // Loaded here, not at start-up: a tier configured by its environment alone never needs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deferred load (issue 14)
    const YAML = require('yaml') as typeof Yaml;
    parsed = YAML.parse(text);
  } catch (err) {
    throw new ConfigError(variable, `config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) {
    return { path, values: {} };
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(variable, `config file ${path} must hold a mapping of settings`);
  }
  return { path, values: parsed as Record<string, unknown> };
}

/** `--config <path>` / `--config=<path>` in `argv`, else `CANOPY_CONFIG`, else none. */
export function configFilePathOf(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--config' || arg === '-c') {
      const next = argv[i + 1];
      if (next === undefined || next === '') {
        throw new ConfigError('--config', 'needs a file path');
      }
      return next;
    }
    if (arg.startsWith('--config=')) {
      return arg.slice('--config='.length);
    }
  }
  const fromEnv = env[CONFIG_FILE_VARIABLE];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** The config file a process was pointed at, read; undefined when none was named. */
export function configFileOf(argv: readonly string[], env: NodeJS.ProcessEnv): ConfigFile | undefined {
  const path = configFilePathOf(argv, env);
  return path === undefined ? undefined : readConfigFile(path);
}
