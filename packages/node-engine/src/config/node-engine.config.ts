import * as os from 'node:os';
import * as path from 'node:path';
import { IsIn, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, MaxLength } from 'class-validator';
import { IE_ID_MAX_LENGTH, IE_ID_PATTERN, envList, presentEnv, validateInput } from '@canopy/schema';
import { ConfigError } from '../errors';
import { DEFAULT_RESTART_BACKOFF, type RestartBackoffSettings } from '../policy/restart-backoff';
import {
  DEFAULT_CLUSTER_URL,
  KNOWN_VARIABLES,
  fileToVariables,
  flagsToVariables,
  type NodeEngineFlags,
} from './config-sources';

export {
  DEFAULT_CLUSTER_PORT,
  DEFAULT_CLUSTER_URL,
  DEFAULT_CONFIG_FILE,
  FILE_KEYS,
  configFilePath,
  readConfigFile,
  type NodeEngineFlags,
} from './config-sources';

export interface NodeEngineConfig {
  /** e.g. http://127.0.0.1:10100 (env CLUSTER_URL, flags -a/-p) */
  clusterUrl: string;
  /** Bearer token for `POST /api/node/register` (env NODE_TOKEN, required). */
  nodeToken: string;
  /** env NODE_NAME, default the hostname */
  nodeName: string;
  /** env NODE_DATA_DIR, default ./.canopy/node; the desired-state file lives here */
  dataDir: string;
  /** env DOCKER_HOST (`unix:///path` or `tcp://host:port`), else /var/run/docker.sock */
  dockerSocket?: string | undefined;
  /** env NODE_PUBLIC_IP, default 127.0.0.1: the address users reach published ports on */
  publicIp?: string | undefined;
  /** env NODE_CA_FILE (PEM path): the CA the cluster's MQTTS broker is verified against; default the system's */
  caFile?: string | undefined;
  /** env REPORT_INTERVAL_MS, default 2000 */
  reportIntervalMs: number;
  /** env NODE_LOCATION="lat,long": where this node is, for geographic placement; default the cluster's location */
  location?: string | undefined;
  /** env NODE_LABELS="k=v,k2=v2"; `realtime=true` also makes the node's aerOS IE `realTimeCapable` */
  labels?: Record<string, string> | undefined;
  /** env NODE_IE_ID: this node's aerOS Infrastructure Element id (a URN); default chosen by the cluster */
  ieId?: string | undefined;
  /** env NODE_ALLOW_PRIVILEGED=true|false, default false */
  allowPrivileged: boolean;
  /** env NODE_ALLOW_HOST_NAMESPACES: host network, PID and IPC; default false */
  allowHostNamespaces?: boolean | undefined;
  /** env NODE_ALLOW_BIND_MOUNTS: host path binds (not the Docker socket); default false */
  allowBindMounts?: boolean | undefined;
  /** env NODE_ALLOW_DOCKER_SOCKET; default false */
  allowDockerSocket?: boolean | undefined;
  /** env NODE_ALLOW_CAPABILITIES=NET_ADMIN,SYS_TIME (or ALL); default none */
  allowCapabilities?: string[] | undefined;
  /** env NODE_IMAGE_ALLOWLIST=prefix,glob*; default empty = any image */
  imageAllowlist?: string[] | undefined;
  /** env NODE_ALLOW_NAMED_VOLUMES: named Docker volumes (shared across tenants); default false */
  allowNamedVolumes?: boolean | undefined;
  /** env NODE_ALLOW_PRIVATE_REGISTRIES: images from loopback, link-local and private registry addresses; default false */
  allowPrivateRegistries?: boolean | undefined;
  /** env NODE_HOST_PORT_RANGE=min-max: host ports instances may publish on; default 1024-65535 */
  hostPortMin?: number | undefined;
  hostPortMax?: number | undefined;
  /** env NODE_MAX_PORTS: port entries per instance; default 16 */
  maxPorts?: number | undefined;
  /** env NODE_PIDS_LIMIT: processes per container; default 512 */
  pidsLimit?: number | undefined;
  /** env NODE_DEFAULT_MEMORY_MB: a container's memory limit when its descriptor says 0; default 512 */
  defaultMemoryMb?: number | undefined;
  /** env NODE_DEFAULT_VCPUS: a container's CPU limit when its descriptor says 0; default 1 */
  defaultVcpus?: number | undefined;
  /** env NODE_GPUS; default: the number of /dev/nvidia<N> devices */
  gpus?: number | undefined;
  /** env RESTART_BACKOFF_BASE_MS / RESTART_BACKOFF_MAX_MS / RESTART_RESET_AFTER_MS */
  restartBackoff?: RestartBackoffSettings | undefined;
}

export const DEFAULT_REPORT_INTERVAL_MS = 2000;

const LABEL_PAIR = String.raw`\s*[A-Za-z0-9][A-Za-z0-9_./-]*\s*=[^,=]*`;
const LABEL_LIST = new RegExp(`^${LABEL_PAIR}(,${LABEL_PAIR})*$`);
const BOOL = { message: 'must be true or false' };
const MS = /^\d{1,10}$/;

/** The merged settings, spelled as environment variables, validated through the one validation path. */
export class NodeEngineEnv {
  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'must be an http(s) URL' },
  )
  CLUSTER_URL?: string | undefined;

  @IsString({ message: 'is required' }) @IsNotEmpty({ message: 'is required' }) NODE_TOKEN!: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, { message: 'must be 1-63 characters of letters, digits, _ . -' })
  NODE_NAME?: string | undefined;

  @IsOptional() @IsString() NODE_DATA_DIR?: string;

  @IsOptional()
  @Matches(/^(unix:\/\/\/\S+|tcp:\/\/[^\s:/]+:\d{1,5}\/?)$/, { message: 'must be unix:///path or tcp://host:port' })
  DOCKER_HOST?: string | undefined;

  @IsOptional() @IsString() @MaxLength(256) NODE_PUBLIC_IP?: string;
  @IsOptional() @IsString() @IsNotEmpty() NODE_CA_FILE?: string;

  @IsOptional()
  @Matches(/^\d{2,7}$/, { message: 'must be a whole number of milliseconds (>= 10)' })
  REPORT_INTERVAL_MS?: string | undefined;

  @IsOptional() @Matches(LABEL_LIST, { message: 'must look like k=v,k2=v2' }) NODE_LABELS?: string;
  @IsOptional()
  @Matches(/^-?\d+(\.\d+)?,-?\d+(\.\d+)?$/, { message: 'must look like lat,long (e.g. 48.14,11.58)' })
  NODE_LOCATION?: string | undefined;

  @IsOptional()
  @MaxLength(IE_ID_MAX_LENGTH, { message: `must be at most ${IE_ID_MAX_LENGTH} characters` })
  @Matches(IE_ID_PATTERN, { message: 'must be a URN such as urn:ngsi-ld:InfrastructureElement:<domain>:<name>' })
  NODE_IE_ID?: string | undefined;

  @IsOptional() @IsIn(['true', 'false'], BOOL) NODE_ALLOW_PRIVILEGED?: string;
  @IsOptional() @IsIn(['true', 'false'], BOOL) NODE_ALLOW_HOST_NAMESPACES?: string;
  @IsOptional() @IsIn(['true', 'false'], BOOL) NODE_ALLOW_BIND_MOUNTS?: string;
  @IsOptional() @IsIn(['true', 'false'], BOOL) NODE_ALLOW_DOCKER_SOCKET?: string;

  @IsOptional()
  @Matches(/^\s*(CAP_)?[A-Za-z_]{2,32}\s*(,\s*(CAP_)?[A-Za-z_]{2,32}\s*)*$/, {
    message: 'must be a comma-separated list of capabilities such as NET_ADMIN,SYS_TIME (or ALL)',
  })
  NODE_ALLOW_CAPABILITIES?: string | undefined;

  @IsOptional() @IsString() @MaxLength(8192) NODE_IMAGE_ALLOWLIST?: string;

  @IsOptional() @Matches(/^\d{1,3}$/, { message: 'must be a whole number' }) NODE_GPUS?: string;

  @IsOptional() @IsIn(['true', 'false'], BOOL) NODE_ALLOW_NAMED_VOLUMES?: string;
  @IsOptional() @IsIn(['true', 'false'], BOOL) NODE_ALLOW_PRIVATE_REGISTRIES?: string;
  @IsOptional() @Matches(/^\d{1,5}-\d{1,5}$/, { message: 'must look like 1024-65535' }) NODE_HOST_PORT_RANGE?: string;
  @IsOptional() @Matches(/^[1-9]\d{0,3}$/, { message: 'must be a whole number from 1' }) NODE_MAX_PORTS?: string;
  @IsOptional() @Matches(/^[1-9]\d{0,6}$/, { message: 'must be a whole number from 1' }) NODE_PIDS_LIMIT?: string;
  @IsOptional()
  @Matches(/^[1-9]\d{0,7}$/, { message: 'must be a whole number of MB from 1' })
  NODE_DEFAULT_MEMORY_MB?: string | undefined;
  @IsOptional()
  @Matches(/^\d{1,4}(\.\d{1,3})?$/, { message: 'must be a number of CPUs such as 0.5' })
  NODE_DEFAULT_VCPUS?: string | undefined;

  @IsOptional() @Matches(MS, { message: 'must be a whole number of milliseconds' }) RESTART_BACKOFF_BASE_MS?: string;
  @IsOptional() @Matches(MS, { message: 'must be a whole number of milliseconds' }) RESTART_BACKOFF_MAX_MS?: string;
  @IsOptional() @Matches(MS, { message: 'must be a whole number of milliseconds' }) RESTART_RESET_AFTER_MS?: string;
}

export interface ConfigSources {
  env: NodeJS.ProcessEnv;
  flags?: NodeEngineFlags | undefined;
  /** Parsed config-file contents (see {@link readConfigFile}) and where they came from. */
  file?: { path: string; values: Record<string, unknown> };
  /** `node-engine status` reads the data dir only and has no use for the token. */
  requireToken?: boolean | undefined;
  /** GPUs found on this machine when neither NODE_GPUS nor the file say otherwise. */
  detectedGpus?: number | undefined;
}

/**
 * Reads and validates the node engine's environment once, at start. Empty strings count as unset
 * (a templated unit file often renders `FOO=`). Every default makes the embedded mode work.
 *
 * @throws ConfigError naming the first bad variable (the message lists all of them).
 */
export function loadNodeEngineConfig(env: NodeJS.ProcessEnv): NodeEngineConfig {
  return resolveNodeEngineConfig({ env });
}

/**
 * Merges the sources with precedence flags > environment > config file > defaults, then validates
 * the result as one set of variables, so a bad value is reported the same way wherever it came from.
 */
export function resolveNodeEngineConfig(sources: ConfigSources): NodeEngineConfig {
  const raw: Record<string, string> = {};
  if (sources.file !== undefined) {
    Object.assign(raw, fileToVariables(sources.file.path, sources.file.values));
  }
  Object.assign(raw, presentEnv(sources.env, KNOWN_VARIABLES));
  Object.assign(raw, flagsToVariables(sources.flags ?? {}, raw.CLUSTER_URL));
  if (sources.requireToken === false && raw.NODE_TOKEN === undefined) {
    raw.NODE_TOKEN = '-';
  }

  const result = validateInput(NodeEngineEnv, raw);
  if (!result.ok) {
    const first = result.errors[0];
    const message = result.errors.map((e) => `${e.path} ${e.message}`).join('; ');
    throw new ConfigError(first?.path ?? 'environment', `invalid node engine configuration: ${message}`);
  }
  const v = result.value;
  const reportIntervalMs =
    v.REPORT_INTERVAL_MS === undefined ? DEFAULT_REPORT_INTERVAL_MS : Number(v.REPORT_INTERVAL_MS);
  if (reportIntervalMs < 10) {
    throw new ConfigError('REPORT_INTERVAL_MS', 'invalid node engine configuration: REPORT_INTERVAL_MS must be >= 10');
  }
  const restartBackoff: RestartBackoffSettings = {
    baseMs: numberOr(v.RESTART_BACKOFF_BASE_MS, DEFAULT_RESTART_BACKOFF.baseMs),
    maxMs: numberOr(v.RESTART_BACKOFF_MAX_MS, DEFAULT_RESTART_BACKOFF.maxMs),
    resetAfterMs: numberOr(v.RESTART_RESET_AFTER_MS, DEFAULT_RESTART_BACKOFF.resetAfterMs),
  };
  if (restartBackoff.baseMs < 1 || restartBackoff.maxMs < restartBackoff.baseMs) {
    throw new ConfigError(
      'RESTART_BACKOFF_MAX_MS',
      'invalid node engine configuration: RESTART_BACKOFF_BASE_MS must be >= 1 and <= RESTART_BACKOFF_MAX_MS',
    );
  }
  const [portMin, portMax] = (v.NODE_HOST_PORT_RANGE ?? '1024-65535').split('-').map(Number);
  if (portMin === undefined || portMax === undefined || portMin < 1 || portMax > 65535 || portMin > portMax) {
    throw new ConfigError('NODE_HOST_PORT_RANGE', 'must be min-max with 1 <= min <= max <= 65535');
  }
  const defaultVcpus = v.NODE_DEFAULT_VCPUS === undefined ? 1 : Number(v.NODE_DEFAULT_VCPUS);
  if (defaultVcpus < 0.01) {
    throw new ConfigError('NODE_DEFAULT_VCPUS', 'must be at least 0.01');
  }
  return {
    allowNamedVolumes: v.NODE_ALLOW_NAMED_VOLUMES === 'true',
    allowPrivateRegistries: v.NODE_ALLOW_PRIVATE_REGISTRIES === 'true',
    hostPortMin: portMin,
    hostPortMax: portMax,
    maxPorts: v.NODE_MAX_PORTS === undefined ? 16 : Number(v.NODE_MAX_PORTS),
    pidsLimit: v.NODE_PIDS_LIMIT === undefined ? 512 : Number(v.NODE_PIDS_LIMIT),
    defaultMemoryMb: v.NODE_DEFAULT_MEMORY_MB === undefined ? 512 : Number(v.NODE_DEFAULT_MEMORY_MB),
    defaultVcpus,
    clusterUrl: (v.CLUSTER_URL ?? DEFAULT_CLUSTER_URL).replace(/\/+$/, ''),
    nodeToken: v.NODE_TOKEN,
    nodeName: v.NODE_NAME ?? os.hostname(),
    dataDir: path.resolve(v.NODE_DATA_DIR ?? path.join('.canopy', 'node')),
    dockerSocket: v.DOCKER_HOST,
    publicIp: v.NODE_PUBLIC_IP ?? '127.0.0.1',
    caFile: v.NODE_CA_FILE,
    reportIntervalMs,
    labels: v.NODE_LABELS === undefined ? undefined : parseLabels(v.NODE_LABELS),
    location: v.NODE_LOCATION,
    ieId: v.NODE_IE_ID,
    allowPrivileged: v.NODE_ALLOW_PRIVILEGED === 'true',
    allowHostNamespaces: v.NODE_ALLOW_HOST_NAMESPACES === 'true',
    allowBindMounts: v.NODE_ALLOW_BIND_MOUNTS === 'true',
    allowDockerSocket: v.NODE_ALLOW_DOCKER_SOCKET === 'true',
    allowCapabilities: envList(v.NODE_ALLOW_CAPABILITIES).map((c) => c.toUpperCase().replace(/^CAP_/, '')),
    imageAllowlist: envList(v.NODE_IMAGE_ALLOWLIST),
    gpus: v.NODE_GPUS === undefined ? (sources.detectedGpus ?? 0) : Number(v.NODE_GPUS),
    restartBackoff,
  };
}

function numberOr(value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : Number(value);
}

function parseLabels(list: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of list.split(',')) {
    const eq = pair.indexOf('=');
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return labels;
}
