import { hostname } from 'node:os';
import { IsOptional, IsString, Matches } from 'class-validator';
import { POLICIES, normalizePolicy, type Policy } from '@canopy/scheduler';
import { ConfigError, IE_DOMAIN_NAME_PATTERN, IE_DOMAIN_PREFIX, envInt, presentEnv, validateEnv } from '@canopy/schema';
import { loadOverloadConfig, type OverloadConfig } from './overload-config';

/** Everything the cluster orchestrator reads from its environment, once, at start. */
export interface ClusterConfig extends OverloadConfig {
  /** `ROOT_URL`, default `http://127.0.0.1:10000` */
  rootUrl: string;
  /** `CLUSTER_TOKEN` (required): presented to the root in the Socket.IO handshake */
  clusterToken: string;
  /** `CLUSTER_NAME`, default the host name */
  clusterName: string;
  /** `CLUSTER_LOCATION`: `lat,long` or a place name */
  clusterLocation?: string | undefined;
  /**
   * `CLUSTER_DOMAIN`, default the cluster name: the aerOS domain this cluster's nodes belong to, as
   * in their IE ids `urn:ngsi-ld:InfrastructureElement:<domain>:<node>` (without the URN prefix).
   * The loader always sets it; optional only so hand-built test configs need not.
   */
  clusterDomain?: string | undefined;
  /** `CLUSTER_PORT`, default 10100 (REST: node registration, /health); 0 = any free port */
  port: number;
  /** `CLUSTER_HOST`, default 0.0.0.0 */
  host: string;
  /** `NODE_TOKEN`: join token nodes present; generated once and persisted in dataDir when unset */
  nodeToken?: string | undefined;
  /** `CLUSTER_ADMIN_TOKEN`: the operator's bearer token for `/api/join-tokens`; generated into dataDir when unset */
  adminToken?: string | undefined;
  /** `CANOPY_METRICS_TOKEN`: bearer token for `GET /metrics`; without it the endpoint refuses everyone */
  metricsToken?: string | undefined;
  /** `MQTT_PORT`, default 10003 (in-process broker); 0 = any free port */
  mqttPort: number;
  /** `MQTT_HOST`, default 127.0.0.1: where the in-process broker listens (0.0.0.0 for nodes on other hosts) */
  mqttHost?: string | undefined;
  /** `MQTT_MAX_PACKET_BYTES`, default 1048576: largest packet an authenticated client may send */
  mqttMaxPacketBytes?: number | undefined;
  /** `MQTT_MAX_CONNECTIONS`, default 1000: open broker connections in total */
  mqttMaxConnections?: number | undefined;
  /** `MQTT_MAX_CONNECTIONS_PER_ADDRESS`, default 100: open broker connections from one address */
  mqttMaxConnectionsPerAddress?: number | undefined;
  /** `MQTT_URL`: an external broker (e.g. Mosquitto) instead of the in-process one */
  mqttUrl?: string | undefined;
  /** `MQTT_USERNAME` / `MQTT_PASSWORD`: the cluster's own login at an external broker */
  mqttUsername?: string | undefined;
  mqttPassword?: string | undefined;
  /** `MQTT_NODE_USERNAME` / `MQTT_NODE_PASSWORD`: the login handed to nodes with an external broker */
  mqttNodeUsername?: string | undefined;
  mqttNodePassword?: string | undefined;
  /**
   * `MQTT_DYNSEC`, default false: the external broker is a Mosquitto 2 with the dynamic-security
   * plugin and MQTT_USERNAME is its admin; the cluster creates one login per node there.
   */
  mqttDynsec?: boolean | undefined;
  /**
   * `MQTT_TLS_CERT_FILE` / `MQTT_TLS_KEY_FILE` (PEM paths): the in-process broker speaks MQTTS only;
   * needs `MQTT_CA_FILE`. Nodes are told to dial it over TLS.
   */
  mqttTlsCertFile?: string | undefined;
  mqttTlsKeyFile?: string | undefined;
  /** `CANOPY_TLS_CERT_FILE` / `CANOPY_TLS_KEY_FILE` (PEM paths): the registration API speaks HTTPS only */
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  /** `ROOT_CA_FILE` (PEM path): the CA an `https://` root is verified against; default the system's */
  rootCaFile?: string | undefined;
  /** `MQTT_CA_FILE` (PEM path): the CA the cluster verifies its broker against (MQTTS). */
  mqttCaFile?: string | undefined;
  /** `MQTT_ADVERTISED_HOST` / `MQTT_ADVERTISED_PORT`: what nodes dial (behind NAT, compose, ...) */
  mqttAdvertisedHost?: string | undefined;
  mqttAdvertisedPort?: number | undefined;
  /** `CLUSTER_DATA_DIR`, default `./.canopy/cluster` (SQLite file `cluster.db`) */
  dataDir: string;
  /** `NODE_LIVENESS_MS`, default 8000 (four missed 2 s heartbeats): a node with no heartbeat for this long is inactive, shown DEAD within 10 s */
  nodeLivenessMs: number;
  /** `NODE_LOST_MS`, default 60000: a node inactive this long is declared lost and its instances are placed elsewhere */
  nodeLostMs?: number | undefined;
  /** `SYNC_INTERVAL_MS`, default 15000: periodic full resync with the root and with nodes */
  syncIntervalMs: number;
  /** `REGISTER_RATE_LIMIT`, default 20: registration attempts per minute per client address */
  registerRateLimit?: number | undefined;
  /** `RESOURCES_INTERVAL_MS`, default 5000: how often aggregate resources go to the root */
  resourcesIntervalMs?: number | undefined;
  /**
   * `CLUSTER_PLACEMENT_POLICY`, default `best-fit`: the node policy for services that name none
   * (`best-fit`, `worst-fit`, `first-fit`, `most-traffic`, or their `_`/`traffic-most` spellings).
   */
  placementPolicy?: Policy | undefined;
}

const INT = /^\d+$/;
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The environment as strings; validated through the one validation path like every other input. */
class ClusterEnv {
  @IsOptional() @IsString() @Matches(/^https?:\/\/[^\s]+$/, { message: 'must be an http(s) URL' }) ROOT_URL?: string;
  @IsString({ message: 'is required' }) @Matches(/\S/, { message: 'must not be empty' }) CLUSTER_TOKEN!: string;
  @IsOptional()
  @IsString()
  @Matches(CLUSTER_NAME, { message: 'must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' })
  CLUSTER_NAME?: string | undefined;
  @IsOptional() @IsString() CLUSTER_LOCATION?: string;
  @IsOptional()
  @IsString()
  @Matches(IE_DOMAIN_NAME_PATTERN, {
    message: 'must be a domain name of letters, digits, _ . - (up to 63), optionally as urn:ngsi-ld:Domain:<name>',
  })
  CLUSTER_DOMAIN?: string | undefined;
  @IsOptional() @IsString() @Matches(INT, { message: 'must be a port number' }) CLUSTER_PORT?: string;
  @IsOptional() @IsString() @Matches(/\S/, { message: 'must not be empty' }) CLUSTER_HOST?: string;
  @IsOptional()
  @IsString()
  @Matches(/^\S{8,}$/, { message: 'must be at least 8 characters without spaces' })
  NODE_TOKEN?: string | undefined;
  @IsOptional()
  @IsString()
  @Matches(/^\S{16,}$/, { message: 'must be at least 16 characters without spaces' })
  CLUSTER_ADMIN_TOKEN?: string | undefined;
  @IsOptional() @IsString() @Matches(INT, { message: 'must be a port number' }) MQTT_PORT?: string;
  @IsOptional() @IsString() @Matches(/^\S+$/, { message: 'must be an address without spaces' }) MQTT_HOST?: string;
  @IsOptional()
  @IsString()
  @Matches(/^[1-9]\d{0,8}$/, { message: 'must be a whole number of bytes from 1' })
  MQTT_MAX_PACKET_BYTES?: string | undefined;
  @IsOptional()
  @IsString()
  @Matches(/^[1-9]\d{0,5}$/, { message: 'must be a whole number from 1' })
  MQTT_MAX_CONNECTIONS?: string | undefined;
  @IsOptional()
  @IsString()
  @Matches(/^[1-9]\d{0,5}$/, { message: 'must be a whole number from 1' })
  MQTT_MAX_CONNECTIONS_PER_ADDRESS?: string | undefined;
  @IsOptional()
  @IsString()
  @Matches(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, { message: 'must be an mqtt(s):// URL' })
  MQTT_URL?: string | undefined;
  @IsOptional() @IsString() MQTT_USERNAME?: string;
  @IsOptional() @IsString() MQTT_PASSWORD?: string;
  @IsOptional() @IsString() MQTT_NODE_USERNAME?: string;
  @IsOptional() @IsString() MQTT_NODE_PASSWORD?: string;
  @IsOptional() @IsString() @Matches(/\S/, { message: 'must be a file path' }) MQTT_TLS_CERT_FILE?: string;
  @IsOptional() @IsString() @Matches(/\S/, { message: 'must be a file path' }) MQTT_TLS_KEY_FILE?: string;
  @IsOptional() @IsString() @Matches(/\S/, { message: 'must be a file path' }) MQTT_CA_FILE?: string;
  @IsOptional() @IsString() @Matches(/\S/, { message: 'must be a file path' }) CANOPY_TLS_CERT_FILE?: string;
  @IsOptional() @IsString() @Matches(/\S/, { message: 'must be a file path' }) CANOPY_TLS_KEY_FILE?: string;
  @IsOptional() @IsString() @Matches(/\S/, { message: 'must be a file path' }) ROOT_CA_FILE?: string;
  @IsOptional() @IsString() @Matches(/^(true|false)$/, { message: 'must be true or false' }) MQTT_DYNSEC?: string;
  @IsOptional() @IsString() @Matches(/\S/, { message: 'must not be empty' }) MQTT_ADVERTISED_HOST?: string;
  @IsOptional() @IsString() @Matches(INT, { message: 'must be a port number' }) MQTT_ADVERTISED_PORT?: string;
  @IsOptional() @IsString() @Matches(/\S/, { message: 'must not be empty' }) CLUSTER_DATA_DIR?: string;
  @IsOptional()
  @IsString()
  @Matches(INT, { message: 'must be a whole number of milliseconds' })
  NODE_LIVENESS_MS?: string | undefined;
  @IsOptional()
  @IsString()
  @Matches(INT, { message: 'must be a whole number of milliseconds' })
  SYNC_INTERVAL_MS?: string | undefined;
  @IsOptional()
  @IsString()
  @Matches(INT, { message: 'must be a whole number of milliseconds' })
  RESOURCES_INTERVAL_MS?: string | undefined;
  @IsOptional()
  @IsString()
  @Matches(/^[1-9]\d{0,5}$/, { message: 'must be a whole number from 1' })
  REGISTER_RATE_LIMIT?: string | undefined;
  @IsOptional()
  @IsString()
  @Matches(INT, { message: 'must be a whole number of milliseconds' })
  NODE_LOST_MS?: string | undefined;
  @IsOptional() @IsString() CLUSTER_PLACEMENT_POLICY?: string;
  @IsOptional()
  @IsString()
  @Matches(/^\S{16,}$/, { message: 'must be at least 16 characters without spaces' })
  CANOPY_METRICS_TOKEN?: string | undefined;
}

/** Reads and validates the cluster's configuration; throws {@link ConfigError} naming the first bad variable. */
export function loadClusterConfig(env: NodeJS.ProcessEnv): ClusterConfig {
  // Empty strings count as unset: compose files often carry `VAR=` placeholders.
  const e = validateEnv(ClusterEnv, presentEnv(env));
  if ((e.MQTT_NODE_USERNAME === undefined) !== (e.MQTT_NODE_PASSWORD === undefined)) {
    throw new ConfigError('MQTT_NODE_PASSWORD', 'MQTT_NODE_USERNAME and MQTT_NODE_PASSWORD go together');
  }
  const mqttDynsec = e.MQTT_DYNSEC === 'true';
  if (mqttDynsec && (e.MQTT_URL === undefined || e.MQTT_USERNAME === undefined)) {
    throw new ConfigError('MQTT_DYNSEC', 'needs MQTT_URL and MQTT_USERNAME (the broker admin login)');
  }
  if (mqttDynsec && e.MQTT_NODE_USERNAME !== undefined) {
    throw new ConfigError('MQTT_NODE_USERNAME', 'must be unset with MQTT_DYNSEC: every node gets its own login');
  }
  if ((e.MQTT_TLS_CERT_FILE === undefined) !== (e.MQTT_TLS_KEY_FILE === undefined)) {
    throw new ConfigError('MQTT_TLS_KEY_FILE', 'MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE go together');
  }
  if ((e.CANOPY_TLS_CERT_FILE === undefined) !== (e.CANOPY_TLS_KEY_FILE === undefined)) {
    throw new ConfigError('CANOPY_TLS_KEY_FILE', 'CANOPY_TLS_CERT_FILE and CANOPY_TLS_KEY_FILE go together');
  }
  if (e.MQTT_TLS_CERT_FILE !== undefined && e.MQTT_CA_FILE === undefined) {
    throw new ConfigError('MQTT_CA_FILE', 'is required with MQTT_TLS_CERT_FILE (the cluster verifies its own broker)');
  }
  const placementPolicy =
    e.CLUSTER_PLACEMENT_POLICY === undefined ? 'best-fit' : normalizePolicy(e.CLUSTER_PLACEMENT_POLICY);
  if (placementPolicy === undefined) {
    throw new ConfigError('CLUSTER_PLACEMENT_POLICY', `must be one of ${POLICIES.join(', ')}`);
  }
  const clusterName = e.CLUSTER_NAME ?? defaultClusterName();
  return {
    ...loadOverloadConfig(presentEnv(env)),
    placementPolicy,
    rootUrl: (e.ROOT_URL ?? 'http://127.0.0.1:10000').replace(/\/+$/, ''),
    clusterToken: e.CLUSTER_TOKEN,
    clusterName,
    clusterLocation: e.CLUSTER_LOCATION,
    // aerOS operators may paste the Domain entity's id; the IE builder adds the prefix itself.
    clusterDomain: e.CLUSTER_DOMAIN === undefined ? clusterName : e.CLUSTER_DOMAIN.replace(IE_DOMAIN_PREFIX, ''),
    port: port('CLUSTER_PORT', e.CLUSTER_PORT, 10100),
    host: e.CLUSTER_HOST ?? '0.0.0.0',
    nodeToken: e.NODE_TOKEN,
    metricsToken: e.CANOPY_METRICS_TOKEN,
    adminToken: e.CLUSTER_ADMIN_TOKEN,
    mqttPort: port('MQTT_PORT', e.MQTT_PORT, 10003),
    mqttHost: e.MQTT_HOST ?? '127.0.0.1',
    mqttMaxPacketBytes: e.MQTT_MAX_PACKET_BYTES === undefined ? 1024 * 1024 : Number(e.MQTT_MAX_PACKET_BYTES),
    mqttMaxConnections: e.MQTT_MAX_CONNECTIONS === undefined ? 1000 : Number(e.MQTT_MAX_CONNECTIONS),
    mqttMaxConnectionsPerAddress:
      e.MQTT_MAX_CONNECTIONS_PER_ADDRESS === undefined ? 100 : Number(e.MQTT_MAX_CONNECTIONS_PER_ADDRESS),
    mqttUrl: e.MQTT_URL,
    mqttUsername: e.MQTT_USERNAME,
    mqttPassword: e.MQTT_PASSWORD,
    mqttNodeUsername: e.MQTT_NODE_USERNAME,
    mqttNodePassword: e.MQTT_NODE_PASSWORD,
    mqttDynsec,
    mqttTlsCertFile: e.MQTT_TLS_CERT_FILE,
    mqttTlsKeyFile: e.MQTT_TLS_KEY_FILE,
    mqttCaFile: e.MQTT_CA_FILE,
    tlsCertFile: e.CANOPY_TLS_CERT_FILE,
    tlsKeyFile: e.CANOPY_TLS_KEY_FILE,
    rootCaFile: e.ROOT_CA_FILE,
    mqttAdvertisedHost: e.MQTT_ADVERTISED_HOST,
    mqttAdvertisedPort:
      e.MQTT_ADVERTISED_PORT === undefined ? undefined : port('MQTT_ADVERTISED_PORT', e.MQTT_ADVERTISED_PORT, 0, 1),
    dataDir: e.CLUSTER_DATA_DIR ?? './.canopy/cluster',
    nodeLivenessMs: millis('NODE_LIVENESS_MS', e.NODE_LIVENESS_MS, 8_000),
    nodeLostMs: millis('NODE_LOST_MS', e.NODE_LOST_MS, 60_000),
    syncIntervalMs: millis('SYNC_INTERVAL_MS', e.SYNC_INTERVAL_MS, 15_000),
    resourcesIntervalMs: millis('RESOURCES_INTERVAL_MS', e.RESOURCES_INTERVAL_MS, 5_000),
    registerRateLimit: e.REGISTER_RATE_LIMIT === undefined ? 20 : Number(e.REGISTER_RATE_LIMIT),
  };
}

function port(variable: string, raw: string | undefined, fallback: number, min = 0): number {
  return envInt(variable, raw, fallback, min, 65535);
}

/** Below 100 ms the timers would spin; nothing useful happens that fast over MQTT. */
function millis(variable: string, raw: string | undefined, fallback: number): number {
  return envInt(variable, raw, fallback, 100, 86_400_000);
}

/** Host names may carry characters the root refuses in a cluster name; keep what it accepts. */
function defaultClusterName(): string {
  const cleaned = hostname()
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return CLUSTER_NAME.test(cleaned) ? cleaned : 'cluster';
}

export { ConfigError };
