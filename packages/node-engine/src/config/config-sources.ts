/** The node engine's sources besides the environment: its config file and its command-line flags. */

export const DEFAULT_CLUSTER_URL = 'http://127.0.0.1:10100';
export const DEFAULT_CLUSTER_PORT = 10100;
/** Read when it exists and no other file is named (flag `--config` or env NODE_ENGINE_CONFIG). */
export const DEFAULT_CONFIG_FILE = '/etc/canopy/node-engine.json';
/** What scripts/install-node-engine.sh writes; preferred over the JSON file when both exist. */
export const DEFAULT_YAML_CONFIG_FILE = '/etc/canopy/node-engine.yaml';

/**
 * Config-file keys (camelCase) and the variable each one stands for. Most are the config fields'
 * own names (accepted anyway); `token`, `name`, `dockerHost`, `hostPortRange` and the backoff keys
 * are the spellings files written by earlier installers carry.
 */
export const FILE_KEYS: Readonly<Record<string, string>> = {
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
 * Which config file to read: `--config`, else NODE_ENGINE_CONFIG, else CANOPY_CONFIG (every tier's
 * variable), else a default path (YAML, then JSON) if present.
 */
export function configFilePath(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  exists: (p: string) => boolean,
): string | undefined {
  if (flag !== undefined && flag !== '') {
    return flag;
  }
  const fromEnv = env.NODE_ENGINE_CONFIG || env.CANOPY_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') {
    return fromEnv;
  }
  return [DEFAULT_YAML_CONFIG_FILE, DEFAULT_CONFIG_FILE].find((file) => exists(file));
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
