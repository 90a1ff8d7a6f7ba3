import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import YAML from 'yaml';

/** One root the CLI talks to, as one user (a kubeconfig context folds cluster, user and token together). */
export interface CliContext {
  name: string;
  server: string;
  user: string;
  token: string;
  refresh_token: string;
}

export interface CliConfig {
  'current-context'?: string;
  contexts: CliContext[];
}

/** `CANOPY_CONFIG` wins (tests, several roots side by side), else `~/.canopy/config`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CANOPY_CONFIG !== undefined && env.CANOPY_CONFIG !== ''
    ? env.CANOPY_CONFIG
    : join(homedir(), '.canopy', 'config');
}

export function parseConfig(text: string): CliConfig {
  const raw: unknown = YAML.parse(text);
  if (raw === null || raw === undefined) {
    return { contexts: [] };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error('the config file is not a mapping');
  }
  const r = raw as { 'current-context'?: unknown; contexts?: unknown };
  const contexts = Array.isArray(r.contexts) ? r.contexts : [];
  const valid = contexts.filter(
    (c): c is CliContext =>
      typeof c === 'object' &&
      c !== null &&
      ['name', 'server', 'user', 'token', 'refresh_token'].every(
        (k) => typeof (c as Record<string, unknown>)[k] === 'string',
      ),
  );
  return typeof r['current-context'] === 'string'
    ? { 'current-context': r['current-context'], contexts: valid }
    : { contexts: valid };
}

export function loadConfig(path: string): CliConfig {
  if (!existsSync(path)) {
    return { contexts: [] };
  }
  try {
    return parseConfig(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${path} (${(error as Error).message}): fix it or remove it and run canopy login`, {
      cause: error,
    });
  }
}

/** Written owner-only (0600): it holds tokens. */
export function saveConfig(path: string, config: CliConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, YAML.stringify(config), { mode: 0o600 });
  // `mode` applies only when the file is created; an older file may be wider.
  chmodSync(path, 0o600);
}

/** Adds or replaces a context by name and makes it the current one. */
export function upsertContext(config: CliConfig, context: CliContext): CliConfig {
  return {
    'current-context': context.name,
    contexts: [...config.contexts.filter((c) => c.name !== context.name), context],
  };
}

export function currentContext(config: CliConfig): CliContext | undefined {
  const name = config['current-context'];
  return config.contexts.find((c) => c.name === name);
}

/** `user@host:port`, like kubectl's generated context names. */
export function contextName(server: string, user: string): string {
  return `${user}@${new URL(server).host}`;
}
