import * as os from 'node:os';
import * as path from 'node:path';
import { IsIn, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, MaxLength } from 'class-validator';
import { validateInput } from '@canopy/schema';
import { ConfigError } from '../errors';

export interface NodeEngineConfig {
  /** e.g. http://127.0.0.1:10100 (env CLUSTER_URL) */
  clusterUrl: string;
  /** Bearer token for `POST /api/node/register` (env NODE_TOKEN, required). */
  nodeToken: string;
  /** env NODE_NAME, default the hostname */
  nodeName: string;
  /** env NODE_DATA_DIR, default ./.canopy/node; the desired-state file lives here */
  dataDir: string;
  /** env DOCKER_HOST (`unix:///path` or `tcp://host:port`), else /var/run/docker.sock */
  dockerSocket?: string;
  /** env NODE_PUBLIC_IP, default 127.0.0.1: the address users reach published ports on */
  publicIp?: string;
  /** env REPORT_INTERVAL_MS, default 2000 */
  reportIntervalMs: number;
  /** env NODE_LABELS="k=v,k2=v2" */
  labels?: Record<string, string>;
  /** env NODE_ALLOW_PRIVILEGED=true|false, default false */
  allowPrivileged: boolean;
}

export const DEFAULT_CLUSTER_URL = 'http://127.0.0.1:10100';
export const DEFAULT_REPORT_INTERVAL_MS = 2000;

const LABEL_PAIR = String.raw`\s*[A-Za-z0-9][A-Za-z0-9_./-]*\s*=[^,=]*`;
const LABEL_LIST = new RegExp(`^${LABEL_PAIR}(,${LABEL_PAIR})*$`);

/** The raw environment, validated through the same path as every other input. */
class NodeEngineEnv {
  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'must be an http(s) URL' },
  )
  CLUSTER_URL?: string;

  @IsString({ message: 'is required' }) @IsNotEmpty({ message: 'is required' }) NODE_TOKEN!: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, { message: 'must be 1-63 characters of letters, digits, _ . -' })
  NODE_NAME?: string;

  @IsOptional() @IsString() NODE_DATA_DIR?: string;

  @IsOptional()
  @Matches(/^(unix:\/\/\/\S+|tcp:\/\/[^\s:/]+:\d{1,5}\/?)$/, { message: 'must be unix:///path or tcp://host:port' })
  DOCKER_HOST?: string;

  @IsOptional() @IsString() @MaxLength(256) NODE_PUBLIC_IP?: string;

  @IsOptional()
  @Matches(/^\d{2,7}$/, { message: 'must be a whole number of milliseconds (>= 10)' })
  REPORT_INTERVAL_MS?: string;

  @IsOptional() @Matches(LABEL_LIST, { message: 'must look like k=v,k2=v2' }) NODE_LABELS?: string;

  @IsOptional() @IsIn(['true', 'false'], { message: 'must be true or false' }) NODE_ALLOW_PRIVILEGED?: string;
}

/**
 * Reads and validates the node engine's environment once, at start. Empty strings count as unset
 * (a templated unit file often renders `FOO=`). Every default makes the embedded mode work.
 *
 * @throws ConfigError naming the first bad variable (the message lists all of them).
 */
export function loadNodeEngineConfig(env: NodeJS.ProcessEnv): NodeEngineConfig {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') raw[key] = value;
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
  return {
    clusterUrl: (v.CLUSTER_URL ?? DEFAULT_CLUSTER_URL).replace(/\/+$/, ''),
    nodeToken: v.NODE_TOKEN,
    nodeName: v.NODE_NAME ?? os.hostname(),
    dataDir: path.resolve(v.NODE_DATA_DIR ?? path.join('.canopy', 'node')),
    dockerSocket: v.DOCKER_HOST,
    publicIp: v.NODE_PUBLIC_IP ?? '127.0.0.1',
    reportIntervalMs,
    labels: v.NODE_LABELS === undefined ? undefined : parseLabels(v.NODE_LABELS),
    allowPrivileged: v.NODE_ALLOW_PRIVILEGED === 'true',
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
