import { readFileSync } from 'node:fs';
import type * as Yaml from 'yaml';
import { ConfigError } from '../errors';
import type { NodeEngineEnv } from './node-engine.config';

/** The node engine's sources besides the environment: its config file and its command-line flags. */

export const DEFAULT_CLUSTER_URL = 'http://127.0.0.1:10100';
export const DEFAULT_CLUSTER_PORT = 10100;
/** Read when it exists and no other file is named (flag `--config` or env NODE_ENGINE_CONFIG). */
export const DEFAULT_CONFIG_FILE = '/etc/canopy/node-engine.json';
/** What scripts/install-node-engine.sh writes; preferred over the JSON file when both exist. */
export const DEFAULT_YAML_CONFIG_FILE = '/etc/canopy/node-engine.yaml';

/** Config-file keys (camelCase) and the variable each one stands for. */
export const FILE_KEYS: Readonly<Record<string, keyof NodeEngineEnv>> = {
  clusterUrl: 'CLUSTER_URL',
  token: 'NODE_TOKEN',
  nodeToken: 'NODE_TOKEN',
  name: 'NODE_NAME',
  nodeName: 'NODE_NAME',
  dataDir: 'NODE_DATA_DIR',
  dockerHost: 'DOCKER_HOST',
  publicIp: 'NODE_PUBLIC_IP',
  caFile: 'NODE_CA_FILE',
  reportIntervalMs: 'REPORT_INTERVAL_MS',
  labels: 'NODE_LABELS',
  location: 'NODE_LOCATION',
  ieId: 'NODE_IE_ID',
  allowPrivileged: 'NODE_ALLOW_PRIVILEGED',
  allowHostNamespaces: 'NODE_ALLOW_HOST_NAMESPACES',
  allowBindMounts: 'NODE_ALLOW_BIND_MOUNTS',
  allowDockerSocket: 'NODE_ALLOW_DOCKER_SOCKET',
  allowCapabilities: 'NODE_ALLOW_CAPABILITIES',
  imageAllowlist: 'NODE_IMAGE_ALLOWLIST',
  gpus: 'NODE_GPUS',
  allowNamedVolumes: 'NODE_ALLOW_NAMED_VOLUMES',
  allowPrivateRegistries: 'NODE_ALLOW_PRIVATE_REGISTRIES',
  hostPortRange: 'NODE_HOST_PORT_RANGE',
  maxPorts: 'NODE_MAX_PORTS',
  pidsLimit: 'NODE_PIDS_LIMIT',
  defaultMemoryMb: 'NODE_DEFAULT_MEMORY_MB',
  defaultVcpus: 'NODE_DEFAULT_VCPUS',
  restartBackoffBaseMs: 'RESTART_BACKOFF_BASE_MS',
  restartBackoffMaxMs: 'RESTART_BACKOFF_MAX_MS',
  restartResetAfterMs: 'RESTART_RESET_AFTER_MS',
};
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set(Object.values(FILE_KEYS));

/** Command-line flags (Oakestra NodeEngine's `-a <address> -p <port>` plus Canopy's own). */
export interface NodeEngineFlags {
  /** `-a`: cluster host or IP (a full http(s) URL is accepted too) */
  clusterAddress?: string | undefined;
  /** `-p`: cluster manager port, default 10100 */
  clusterPort?: string | number | undefined;
  token?: string | undefined;
  name?: string | undefined;
  dataDir?: string | undefined;
  publicIp?: string | undefined;
}

/**
 * Reads a JSON or YAML config file (YAML is a superset of JSON, so one parser serves both).
 * @throws ConfigError when the file cannot be read or is not a mapping.
 */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    // Loaded here, not at start-up: an engine configured by its environment alone never needs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deferred load (issue 14)
    const YAML = require('yaml') as typeof Yaml;
    parsed = YAML.parse(text);
  } catch (err) {
    throw new ConfigError('--config', `config file ${file} is not valid JSON or YAML: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) {
    return {};
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('--config', `config file ${file} must hold a mapping of settings`);
  }
  return parsed as Record<string, unknown>;
}

/** Which config file to read: `--config`, else NODE_ENGINE_CONFIG, else a default path (YAML, then JSON) if present. */
export function configFilePath(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  exists: (p: string) => boolean,
): string | undefined {
  if (flag !== undefined && flag !== '') {
    return flag;
  }
  const fromEnv = env.NODE_ENGINE_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') {
    return fromEnv;
  }
  return [DEFAULT_YAML_CONFIG_FILE, DEFAULT_CONFIG_FILE].find((file) => exists(file));
}

export function fileToVariables(file: string, values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    const variable = FILE_KEYS[key] ?? (KNOWN_VARIABLES.has(key) ? (key as keyof NodeEngineEnv) : undefined);
    if (variable === undefined) {
      throw new ConfigError(key, `invalid node engine configuration: unknown key "${key}" in ${file}`);
    }
    if (value === null || value === undefined) {
      continue;
    }
    if (Array.isArray(value)) {
      out[variable] = value.map(scalarText).join(',');
    } else if (typeof value === 'object') {
      out[variable] = Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${k}=${scalarText(v)}`)
        .join(',');
    } else {
      out[variable] = scalarText(value);
    }
  }
  return out;
}

/** A nested structure where a scalar belongs renders as JSON, which validation then rejects by name. */
function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : JSON.stringify(value);
}

export function flagsToVariables(flags: NodeEngineFlags, lowerClusterUrl: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const port = flags.clusterPort === undefined || flags.clusterPort === '' ? undefined : String(flags.clusterPort);
  if (flags.clusterAddress !== undefined && flags.clusterAddress !== '') {
    const address = flags.clusterAddress;
    if (/^https?:\/\//.test(address)) {
      out.CLUSTER_URL = port === undefined ? address : withPort(address, port);
    } else {
      const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
      out.CLUSTER_URL = `http://${host}:${port ?? DEFAULT_CLUSTER_PORT}`;
    }
  } else if (port !== undefined) {
    out.CLUSTER_URL = withPort(lowerClusterUrl ?? DEFAULT_CLUSTER_URL, port);
  }
  if (flags.token !== undefined && flags.token !== '') {
    out.NODE_TOKEN = flags.token;
  }
  if (flags.name !== undefined && flags.name !== '') {
    out.NODE_NAME = flags.name;
  }
  if (flags.dataDir !== undefined && flags.dataDir !== '') {
    out.NODE_DATA_DIR = flags.dataDir;
  }
  if (flags.publicIp !== undefined && flags.publicIp !== '') {
    out.NODE_PUBLIC_IP = flags.publicIp;
  }
  return out;
}

function withPort(url: string, port: string): string {
  try {
    const parsed = new URL(url);
    parsed.port = port;
    return parsed.toString().replace(/\/+$/, '');
  } catch {
    // Left as given: validation then names CLUSTER_URL as the bad setting.
    return url;
  }
}
