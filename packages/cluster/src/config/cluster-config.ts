import { hostname } from 'node:os';
import { POLICIES, normalizePolicy, type Policy } from '@canopy/scheduler';
import {
  ConfigError,
  IE_DOMAIN_NAME_PATTERN,
  IE_DOMAIN_PREFIX,
  Setting,
  bool,
  completeSettings,
  custom,
  int,
  loadSettings,
  millis,
  oneOf,
  port,
  text,
  type ConfigFile,
} from '@canopy/schema';

const DEFAULT_MAX_MS = 60_000;
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const httpUrl = custom('an http(s) URL', (v) => (/^https?:\/\/\S+$/.test(v) ? v.replace(/\/+$/, '') : undefined));
const file = text({ describe: 'a file path' });
const token = (min: number) =>
  text({ pattern: new RegExp(`^\\S{${min},}$`), describe: `at least ${min} characters without spaces` });
/** Below 100 ms the timers would spin; nothing useful happens that fast over MQTT. */
const timer = millis(100, 86_400_000);

/**
 * Everything the cluster orchestrator is configured with: one field per variable, its default on
 * the field. Read once at start from a YAML file (`--config` / `CANOPY_CONFIG`, keys = the field
 * or variable names) and the environment over it; see the README's table.
 */
export class ClusterConfig {
  @Setting('ROOT_URL', httpUrl) rootUrl = 'http://127.0.0.1:10000';
  /** Presented to the root in the Socket.IO handshake. */
  @Setting('CLUSTER_TOKEN', text(), { required: true, secret: true }) clusterToken!: string;
  @Setting('CLUSTER_NAME', text({ pattern: CLUSTER_NAME, describe: `a name matching ${CLUSTER_NAME.source}` }))
  clusterName = defaultClusterName();
  /** `lat,long` or a place name. */
  @Setting('CLUSTER_LOCATION', text()) clusterLocation?: string | undefined;
  /**
   * The aerOS domain in this cluster's IE ids `urn:ngsi-ld:InfrastructureElement:<domain>:<node>`;
   * operators may paste the Domain entity's id (the prefix is dropped). Unset: the cluster name.
   */
  @Setting(
    'CLUSTER_DOMAIN',
    custom('a domain name of letters, digits, _ . - (up to 63), optionally as urn:ngsi-ld:Domain:<name>', (v) =>
      IE_DOMAIN_NAME_PATTERN.test(v) ? v.replace(IE_DOMAIN_PREFIX, '') : undefined,
    ),
  )
  clusterDomain!: string;
  /** REST: node registration, /health; 0 = any free port. */
  @Setting('CLUSTER_PORT', port()) port = 10100;
  @Setting('CLUSTER_HOST', text()) host = '0.0.0.0';
  /** The default join token; generated once and persisted in dataDir when unset. */
  @Setting('NODE_TOKEN', token(8), { secret: true }) nodeToken?: string | undefined;
  /** The operator's bearer token for `/api/join-tokens`; generated into dataDir when unset. */
  @Setting('CLUSTER_ADMIN_TOKEN', token(16), { secret: true }) adminToken?: string | undefined;
  /** Bearer token for `GET /metrics`; without it the endpoint refuses everyone. */
  @Setting('CANOPY_METRICS_TOKEN', token(16), { secret: true }) metricsToken?: string | undefined;
  /** The in-process broker; 0 = any free port. */
  @Setting('MQTT_PORT', port()) mqttPort = 10003;
  /** Where the in-process broker listens (0.0.0.0 for nodes on other hosts). */
  @Setting('MQTT_HOST', text({ pattern: /^\S+$/, describe: 'an address without spaces' })) mqttHost = '127.0.0.1';
  /** Largest packet an authenticated client may send. */
  @Setting('MQTT_MAX_PACKET_BYTES', int(1, 268_435_455)) mqttMaxPacketBytes = 1024 * 1024;
  @Setting('MQTT_MAX_CONNECTIONS', int(1, 999_999)) mqttMaxConnections = 1000;
  @Setting('MQTT_MAX_CONNECTIONS_PER_ADDRESS', int(1, 999_999)) mqttMaxConnectionsPerAddress = 100;
  /** An external broker (e.g. Mosquitto) instead of the in-process one. */
  @Setting('MQTT_URL', text({ pattern: /^(mqtts?|wss?|tcp|ssl):\/\/\S+$/, describe: 'an mqtt(s):// URL' }))
  mqttUrl?: string | undefined;
  /** The cluster's own login at an external broker. */
  @Setting('MQTT_USERNAME', text()) mqttUsername?: string | undefined;
  @Setting('MQTT_PASSWORD', text(), { secret: true }) mqttPassword?: string | undefined;
  /** The login handed to nodes with an external broker. */
  @Setting('MQTT_NODE_USERNAME', text()) mqttNodeUsername?: string | undefined;
  @Setting('MQTT_NODE_PASSWORD', text(), { secret: true }) mqttNodePassword?: string | undefined;
  /** The external broker is Mosquitto 2 with dynamic security and MQTT_USERNAME its admin: one login per node. */
  @Setting('MQTT_DYNSEC', bool) mqttDynsec = false;
  /** PEM paths: the in-process broker speaks MQTTS only (needs MQTT_CA_FILE); nodes dial it over TLS. */
  @Setting('MQTT_TLS_CERT_FILE', file) mqttTlsCertFile?: string | undefined;
  @Setting('MQTT_TLS_KEY_FILE', file) mqttTlsKeyFile?: string | undefined;
  /** PEM paths: the registration API speaks HTTPS only. */
  @Setting('CANOPY_TLS_CERT_FILE', file) tlsCertFile?: string | undefined;
  @Setting('CANOPY_TLS_KEY_FILE', file) tlsKeyFile?: string | undefined;
  /** The CA an `https://` root is verified against; default the system's. */
  @Setting('ROOT_CA_FILE', file) rootCaFile?: string | undefined;
  /** The CA the cluster verifies its broker against (MQTTS). */
  @Setting('MQTT_CA_FILE', file) mqttCaFile?: string | undefined;
  /** What nodes dial (behind NAT, compose, ...). */
  @Setting('MQTT_ADVERTISED_HOST', text()) mqttAdvertisedHost?: string | undefined;
  @Setting('MQTT_ADVERTISED_PORT', port(1)) mqttAdvertisedPort?: number | undefined;
  /** SQLite file `cluster.db` and the generated secrets. */
  @Setting('CLUSTER_DATA_DIR', text()) dataDir = './.canopy/cluster';
  /** Four missed 2 s heartbeats: a node silent this long is inactive, shown DEAD within 10 s. */
  @Setting('NODE_LIVENESS_MS', timer) nodeLivenessMs = 8_000;
  /** A node inactive this long is lost and its instances are placed elsewhere. */
  @Setting('NODE_LOST_MS', timer) nodeLostMs = 60_000;
  /** Periodic full resync with the root and with nodes. */
  @Setting('SYNC_INTERVAL_MS', timer) syncIntervalMs = 15_000;
  /** Registration attempts per minute per client address. */
  @Setting('REGISTER_RATE_LIMIT', int(1, 999_999)) registerRateLimit = 20;
  /** How often aggregate resources go to the root. */
  @Setting('RESOURCES_INTERVAL_MS', timer) resourcesIntervalMs = 5_000;
  /** The node policy for services that name none (`_`/`traffic-most` spellings accepted). */
  @Setting('CLUSTER_PLACEMENT_POLICY', custom(`one of ${POLICIES.join(', ')}`, normalizePolicy))
  placementPolicy: Policy = 'best-fit';
  // How the cluster sheds load past its capacity (issue 14): the report pace it asks of nodes and
  // the rates at which it admits connections and registrations.
  /** The interval nodes report at unless told otherwise (the node engine's REPORT_INTERVAL_MS). */
  @Setting('NODE_REPORT_INTERVAL_MS', millis(100, 3_600_000)) nodeReportIntervalMs = 2_000;
  /** The longest interval the cluster asks nodes for; never below NODE_REPORT_INTERVAL_MS. */
  @Setting('NODE_REPORT_INTERVAL_MAX_MS', millis(100, 3_600_000)) nodeReportIntervalMaxMs = DEFAULT_MAX_MS;
  /** Node reports per second the cluster is sized for; past it nodes are told to report less often. */
  @Setting('NODE_REPORTS_PER_SECOND', int(1, 10_000_000)) nodeReportsPerSecond = 5_000;
  /** Mean event-loop delay past which the cluster counts itself overloaded and doubles the interval. */
  @Setting('CLUSTER_OVERLOAD_LOOP_DELAY_MS', millis(1, 60_000)) overloadLoopDelayMs = 100;
  /** Broker connections accepted per second (bursts of as many); more wait briefly, then are closed. */
  @Setting('MQTT_CONNECT_RATE', int(1, 1_000_000)) mqttConnectRate = 500;
  /**
   * Broker worker processes behind the in-process broker's listener (0: aedes runs in the cluster's
   * own process). Each holds its share of the node connections: past one process's file-descriptor
   * limit (and one core) a cluster holds more nodes with more workers (issue 14; ~20,000 each here).
   */
  @Setting('MQTT_BROKER_WORKERS', int(0, 64)) mqttBrokerWorkers = 0;
  /** Node registrations admitted per second from all addresses together (429 past it). */
  @Setting('REGISTER_ADMISSION_RATE', int(1, 1_000_000)) registerAdmissionRate = 500;
  @Setting('LOG_LEVEL', oneOf(LOG_LEVELS)) logLevel: (typeof LOG_LEVELS)[number] = 'info';
}

/** A hand-built config (tests, embedded wiring) needs the token; everything else has its default. */
export type ClusterConfigInit = Partial<ClusterConfig> & Pick<ClusterConfig, 'clusterToken'>;

/**
 * Reads and validates the cluster's configuration: the file's values, the environment over them.
 * @throws ConfigError naming the first bad variable.
 */
export function loadClusterConfig(env: NodeJS.ProcessEnv, file?: ConfigFile): ClusterConfig {
  const loaded = loadSettings(ClusterConfig, { env, file });
  // A maximum chosen below the base is a mistake to name; the default maximum just rises to the base.
  if (
    loaded.nodeReportIntervalMaxMs < loaded.nodeReportIntervalMs &&
    loaded.nodeReportIntervalMaxMs !== DEFAULT_MAX_MS
  ) {
    throw new ConfigError('NODE_REPORT_INTERVAL_MAX_MS', 'must not be below NODE_REPORT_INTERVAL_MS');
  }
  const config = derive(loaded);
  checkTogether(config);
  return config;
}

/** The defaults for what a hand-built config leaves out. */
export function completeClusterConfig(init: ClusterConfigInit): ClusterConfig {
  return derive(completeSettings(ClusterConfig, init));
}

/** Defaults that depend on another setting. */
function derive(config: ClusterConfig): ClusterConfig {
  if (config.clusterDomain === undefined) {
    config.clusterDomain = config.clusterName;
  }
  // A maximum below the base would mean "report faster under load": the base is the floor.
  config.nodeReportIntervalMaxMs = Math.max(config.nodeReportIntervalMaxMs, config.nodeReportIntervalMs);
  return config;
}

/** Rules between settings; each names the variable to change. */
function checkTogether(c: ClusterConfig): void {
  if ((c.mqttNodeUsername === undefined) !== (c.mqttNodePassword === undefined)) {
    throw new ConfigError('MQTT_NODE_PASSWORD', 'MQTT_NODE_USERNAME and MQTT_NODE_PASSWORD go together');
  }
  if (c.mqttDynsec && (c.mqttUrl === undefined || c.mqttUsername === undefined)) {
    throw new ConfigError('MQTT_DYNSEC', 'needs MQTT_URL and MQTT_USERNAME (the broker admin login)');
  }
  if (c.mqttBrokerWorkers > 0 && c.mqttUrl !== undefined) {
    throw new ConfigError('MQTT_BROKER_WORKERS', 'is for the in-process broker: must be 0 with MQTT_URL');
  }
  if (c.mqttDynsec && c.mqttNodeUsername !== undefined) {
    throw new ConfigError('MQTT_NODE_USERNAME', 'must be unset with MQTT_DYNSEC: every node gets its own login');
  }
  if ((c.mqttTlsCertFile === undefined) !== (c.mqttTlsKeyFile === undefined)) {
    throw new ConfigError('MQTT_TLS_KEY_FILE', 'MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE go together');
  }
  if ((c.tlsCertFile === undefined) !== (c.tlsKeyFile === undefined)) {
    throw new ConfigError('CANOPY_TLS_KEY_FILE', 'CANOPY_TLS_CERT_FILE and CANOPY_TLS_KEY_FILE go together');
  }
  if (c.mqttTlsCertFile !== undefined && c.mqttCaFile === undefined) {
    throw new ConfigError('MQTT_CA_FILE', 'is required with MQTT_TLS_CERT_FILE (the cluster verifies its own broker)');
  }
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
