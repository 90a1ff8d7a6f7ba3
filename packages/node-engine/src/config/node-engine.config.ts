import * as os from 'node:os';
import * as path from 'node:path';
import {
  IE_ID_MAX_LENGTH,
  IE_ID_PATTERN,
  Setting,
  bool,
  completeSettings,
  custom,
  decimal,
  int,
  list,
  loadSettings,
  millis,
  oneOf,
  portRange,
  text,
  UNDECLARED_LIMITS,
} from '@canopy/schema/lite';
import type { ConfigFile } from '@canopy/schema';
import { ConfigError } from '../errors';
import type { RestartBackoffSettings } from '../policy/restart-backoff';
import { DEFAULT_CLUSTER_URL, FILE_KEYS, flagsToVariables, type NodeEngineFlags } from './config-sources';

export {
  DEFAULT_CLUSTER_PORT,
  DEFAULT_CLUSTER_URL,
  DEFAULT_CONFIG_FILE,
  FILE_KEYS,
  configFilePath,
  type NodeEngineFlags,
} from './config-sources';
export { readConfigFile } from '@canopy/schema/lite';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LABEL_PAIR = String.raw`\s*[A-Za-z0-9][A-Za-z0-9_./-]*\s*=[^,=]*`;
const LABEL_LIST = new RegExp(`^${LABEL_PAIR}(,${LABEL_PAIR})*$`);
const CAPABILITY = /^(CAP_)?[A-Za-z_]{2,32}$/;
const backoff = millis(1, 86_400_000);

/** Config-file aliases the installer writes (`token`, `name`) besides the field and variable names. */
const keys = (variable: string): { fileKeys: string[] } => ({
  fileKeys: Object.entries(FILE_KEYS)
    .filter(([, v]) => v === variable)
    .map(([k]) => k),
});

/**
 * Everything the node engine is configured with: one field per variable, its default on the field.
 * Sources, strongest first: flags, environment, the YAML/JSON file (`-c`, NODE_ENGINE_CONFIG,
 * CANOPY_CONFIG or /etc/canopy/node-engine.yaml), these defaults (which make embedded mode work).
 */
export class NodeEngineConfig {
  /** Flags -a/-p build it too. */
  @Setting(
    'CLUSTER_URL',
    custom('an http(s) URL', (v) => (/^https?:\/\/[^\s/]+(\/\S*)?$/.test(v) ? v.replace(/\/+$/, '') : undefined)),
  )
  clusterUrl = DEFAULT_CLUSTER_URL;
  /** Bearer token for `POST /api/node/register`. */
  @Setting('NODE_TOKEN', text(), { required: true, secret: true, ...keys('NODE_TOKEN') }) nodeToken!: string;
  @Setting(
    'NODE_NAME',
    text({ pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, describe: '1-63 characters of letters, digits, _ . -' }),
    keys('NODE_NAME'),
  )
  nodeName = os.hostname();
  /** The desired-state file, the node credential and the private-image list live here. */
  @Setting('NODE_DATA_DIR', custom('a directory path', (v) => path.resolve(v))) dataDir = path.resolve(
    '.canopy',
    'node',
  );
  /** `unix:///path` or `tcp://host:port`; unset: /var/run/docker.sock. */
  @Setting(
    'DOCKER_HOST',
    text({ pattern: /^(unix:\/\/\/\S+|tcp:\/\/[^\s:/]+:\d{1,5}\/?)$/, describe: 'unix:///path or tcp://host:port' }),
  )
  dockerSocket?: string | undefined;
  /** The address users reach published ports on. */
  @Setting('NODE_PUBLIC_IP', text({ maxLength: 256 })) publicIp = '127.0.0.1';
  /** PEM CA the cluster's MQTTS broker is verified against; default the system's. */
  @Setting('NODE_CA_FILE', text({ describe: 'a file path' })) caFile?: string | undefined;
  /** Heartbeat and report period. */
  @Setting('REPORT_INTERVAL_MS', millis(10, 3_600_000)) reportIntervalMs = 2000;
  /** Where this node is, for geographic placement; default the cluster's location. */
  @Setting('NODE_LOCATION', text({ pattern: /^-?\d+(\.\d+)?,-?\d+(\.\d+)?$/, describe: 'lat,long (e.g. 48.14,11.58)' }))
  location?: string | undefined;
  /** `k=v,k2=v2`; `realtime=true` also makes the node's aerOS IE `realTimeCapable`. */
  @Setting('NODE_LABELS', custom('k=v,k2=v2', (v) => (LABEL_LIST.test(v) ? parseLabels(v) : undefined)))
  labels?: Record<string, string> | undefined;
  /** This node's aerOS Infrastructure Element id; default chosen by the cluster. */
  @Setting(
    'NODE_IE_ID',
    text({
      pattern: IE_ID_PATTERN,
      maxLength: IE_ID_MAX_LENGTH,
      describe: `a URN such as urn:ngsi-ld:InfrastructureElement:<domain>:<name>, at most ${IE_ID_MAX_LENGTH} characters`,
    }),
  )
  ieId?: string | undefined;
  @Setting('NODE_ALLOW_PRIVILEGED', bool) allowPrivileged = false;
  /** Host network, PID and IPC. */
  @Setting('NODE_ALLOW_HOST_NAMESPACES', bool) allowHostNamespaces = false;
  /** Host path binds (never the Docker socket, /proc, /sys, /dev or Docker's data root). */
  @Setting('NODE_ALLOW_BIND_MOUNTS', bool) allowBindMounts = false;
  @Setting('NODE_ALLOW_DOCKER_SOCKET', bool) allowDockerSocket = false;
  /** `NET_ADMIN,SYS_TIME` (or ALL), stored upper-case without `CAP_`. */
  @Setting(
    'NODE_ALLOW_CAPABILITIES',
    custom('a comma-separated list of capabilities such as NET_ADMIN,SYS_TIME (or ALL)', (v) =>
      list(text({ pattern: CAPABILITY }))
        .parse(v)
        ?.map((c) => c.toUpperCase().replace(/^CAP_/, '')),
    ),
  )
  allowCapabilities: string[] = [];
  /** Image prefixes or globs; empty = any image. */
  @Setting('NODE_IMAGE_ALLOWLIST', list(text({ maxLength: 8192 }))) imageAllowlist: string[] = [];
  /** Named Docker volumes (shared across tenants). */
  @Setting('NODE_ALLOW_NAMED_VOLUMES', bool) allowNamedVolumes = false;
  /** Images from loopback, link-local and private registry addresses. */
  @Setting('NODE_ALLOW_PRIVATE_REGISTRIES', bool) allowPrivateRegistries = false;
  /** `min-max`: the host ports instances may publish on. */
  @Setting('NODE_HOST_PORT_RANGE', portRange)
  hostPorts = { min: 1024, max: 65535 };
  /** Port entries per instance. */
  @Setting('NODE_MAX_PORTS', int(1, 9999)) maxPorts = 16;
  /** Processes per container (always set). */
  @Setting('NODE_PIDS_LIMIT', int(1, 9_999_999)) pidsLimit = 512;
  /** A container's limits when its descriptor says 0. */
  @Setting('NODE_DEFAULT_MEMORY_MB', int(1, 99_999_999)) defaultMemoryMb: number = UNDECLARED_LIMITS.memoryMb;
  @Setting('NODE_DEFAULT_VCPUS', decimal(0.01, 9999)) defaultVcpus: number = UNDECLARED_LIMITS.vcpus;
  /** GPUs offered; the loader's fallback is the number of /dev/nvidia<N> devices found. */
  @Setting('NODE_GPUS', int(0, 999)) gpus = 0;
  /** Crash-loop restart delay: doubles from base up to max; a container up this long resets it. */
  @Setting('RESTART_BACKOFF_BASE_MS', backoff) restartBackoffBaseMs = 10_000;
  @Setting('RESTART_BACKOFF_MAX_MS', backoff) restartBackoffMaxMs = 300_000;
  @Setting('RESTART_RESET_AFTER_MS', backoff) restartResetAfterMs = 600_000;
  @Setting('LOG_LEVEL', oneOf(LOG_LEVELS)) logLevel: (typeof LOG_LEVELS)[number] = 'info';
}

/** A hand-built config (tests, embedded wiring) needs the cluster and token; the rest has defaults. */
export type NodeEngineConfigInit = Partial<NodeEngineConfig> & Pick<NodeEngineConfig, 'clusterUrl' | 'nodeToken'>;

export interface ConfigSources {
  env: NodeJS.ProcessEnv;
  flags?: NodeEngineFlags | undefined;
  /** A parsed config file (see `readConfigFile`). */
  file?: ConfigFile | undefined;
  /** `node-engine status` reads the data dir only and has no use for the token. */
  requireToken?: boolean | undefined;
  /** GPUs found on this machine, used unless NODE_GPUS (or the file) says otherwise. */
  detectedGpus?: number | undefined;
}

/** Reads and validates the environment alone. @throws ConfigError naming the first bad variable. */
export function loadNodeEngineConfig(env: NodeJS.ProcessEnv): NodeEngineConfig {
  return resolveNodeEngineConfig({ env });
}

/** Merges flags > environment > config file > defaults and validates the result as one set of variables. */
export function resolveNodeEngineConfig(sources: ConfigSources): NodeEngineConfig {
  const fileUrl = sources.file?.values.clusterUrl ?? sources.file?.values.CLUSTER_URL;
  const lowerUrl = sources.env.CLUSTER_URL || (typeof fileUrl === 'string' ? fileUrl : undefined);
  const config = loadSettings(NodeEngineConfig, {
    env: sources.env,
    file: sources.file,
    overrides: flagsToVariables(sources.flags ?? {}, lowerUrl),
    fallback: {
      ...(sources.requireToken === false ? { NODE_TOKEN: '-' } : {}),
      ...(sources.detectedGpus === undefined ? {} : { NODE_GPUS: String(sources.detectedGpus) }),
    },
  });
  if (config.restartBackoffMaxMs < config.restartBackoffBaseMs) {
    throw new ConfigError(
      'RESTART_BACKOFF_MAX_MS',
      `must be at least RESTART_BACKOFF_BASE_MS (${config.restartBackoffBaseMs} ms), got ${config.restartBackoffMaxMs} ms`,
    );
  }
  return config;
}

/** The defaults for what a hand-built config leaves out. */
export function completeNodeEngineConfig(init: NodeEngineConfigInit): NodeEngineConfig {
  return completeSettings(NodeEngineConfig, init);
}

/** The crash-loop backoff the instance manager takes, from its three settings. */
export function restartBackoffOf(config: NodeEngineConfig): RestartBackoffSettings {
  return {
    baseMs: config.restartBackoffBaseMs,
    maxMs: config.restartBackoffMaxMs,
    resetAfterMs: config.restartResetAfterMs,
  };
}

function parseLabels(list: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of list.split(',')) {
    const eq = pair.indexOf('=');
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return labels;
}
