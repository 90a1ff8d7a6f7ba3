import { resolve } from 'node:path';
import type { Policy } from '@canopy/scheduler';
import { ConfigError, Setting, bool, custom, int, millis, oneOf, port, portRange, seconds, text } from '@canopy/schema';
import { parseTrustedNetworks } from '../auth/trusted-networks';
import { parseRootPlacementPolicy } from '../scheduling/root-scheduler';
import { parseCorsOrigins } from './cors-origins';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const USER_NAME = text({ pattern: /^[A-Za-z0-9_.-]{1,64}$/, describe: '1-64 letters, digits, _ . -' });
const file = text({ describe: 'a file path' });

/** A kind whose parser explains itself: `{ ok: false, message }` becomes the ConfigError. */
function explained<T>(
  variable: string,
  parse: (raw: string) => { ok: true; value: T } | { ok: false; message: string },
) {
  return custom<T>('valid', (raw) => {
    const result = parse(raw);
    if (!result.ok) {
      throw new ConfigError(variable, result.message);
    }
    return result.value;
  });
}

/**
 * Everything the root is configured with, one field per variable with its default on the field.
 * Read once at start from a YAML file (`--config` / `CANOPY_CONFIG`; keys are the field or variable
 * names) and the environment over it; `loadRootConfig` then builds the runtime view.
 */
export class RootSettings {
  /** REST + Socket.IO. */
  @Setting('ROOT_PORT', port()) port = 10000;
  @Setting('ROOT_HOST', text()) host = '0.0.0.0';
  /** The SQLite file and generated secrets. */
  @Setting('ROOT_DATA_DIR', custom('a directory path', (v) => resolve(v))) dataDir = resolve('.canopy/root');
  @Setting('CANOPY_ADMIN_USER', USER_NAME) adminUsername = 'Admin';
  /** The first admin's password; if unset one is generated and printed once. */
  @Setting('CANOPY_ADMIN_PASSWORD', text({ minLength: 8 }), { secret: true }) adminPassword?: string | undefined;
  /** Signing key; generated once and kept in the data directory if unset. */
  @Setting('CANOPY_JWT_SECRET', text({ minLength: 32 }), { secret: true }) jwtSecret?: string | undefined;
  /** The shared token clusters present; generated once and kept in the data directory if unset. */
  @Setting('CANOPY_CLUSTER_TOKEN', text({ minLength: 16 }), { secret: true }) clusterToken?: string | undefined;
  /** Clusters an admin did not register may connect with the shared token (the embedded mode turns it on). */
  @Setting('CANOPY_ALLOW_SHARED_CLUSTER_TOKEN', bool) allowSharedClusterToken = false;
  /** Per-user quota defaults. */
  @Setting('CANOPY_QUOTA_INSTANCES', int(0, 1_000_000)) quotaInstances = 100;
  @Setting('CANOPY_QUOTA_VCPUS', int(0, 1_000_000)) quotaVcpus = 64;
  @Setting('CANOPY_QUOTA_MEMORY_MB', int(0, 1_000_000_000)) quotaMemoryMb = 256 * 1024;
  /** `min-max`: host ports a descriptor may ask for (each node has its own range too). */
  @Setting('CANOPY_HOST_PORT_RANGE', portRange)
  hostPorts = { min: 1024, max: 65535 };
  /** Images from registries written as loopback, link-local or private addresses. */
  @Setting('CANOPY_ALLOW_PRIVATE_REGISTRIES', bool) allowPrivateRegistries = false;
  /** A bearer token Prometheus may scrape `/metrics` with (an admin's JWT works too). */
  @Setting('CANOPY_METRICS_TOKEN', text({ minLength: 16 }), { secret: true }) metricsToken?: string | undefined;
  /** PEM paths: REST and Socket.IO over HTTPS/WSS only. */
  @Setting('CANOPY_TLS_CERT_FILE', file) tlsCertFile?: string | undefined;
  @Setting('CANOPY_TLS_KEY_FILE', file) tlsKeyFile?: string | undefined;
  /** Use MongoDB instead of SQLite. */
  @Setting('MONGODB_URI', text({ describe: 'a mongodb:// URI' }), { secret: true }) mongodbUri?: string | undefined;
  /** Larger request bodies get 413. */
  @Setting('ROOT_BODY_LIMIT', text({ pattern: /^\d+(b|kb|mb)$/i, describe: 'a size such as 512kb or 1mb' }))
  bodyLimit = '1mb';
  @Setting('ACCESS_TOKEN_TTL_S', seconds(10, 86_400)) accessTokenTtlS = 900;
  @Setting('REFRESH_TOKEN_TTL_S', seconds(60, 31_536_000)) refreshTokenTtlS = 604_800;
  /** How often replica counts and unplaced instances are re-checked. */
  @Setting('RECONCILE_INTERVAL_MS', millis(100, 3_600_000)) reconcileIntervalMs = 5000;
  /** Login/refresh attempts per minute per client address and user name. */
  @Setting('LOGIN_RATE_LIMIT', int(1, 100_000)) loginRateLimit = 10;
  /** The policy for services that name none. */
  @Setting(
    'ROOT_PLACEMENT_POLICY',
    explained('ROOT_PLACEMENT_POLICY', (raw) => {
      const parsed = parseRootPlacementPolicy(raw);
      return parsed.ok ? { ok: true, value: parsed.policy } : parsed;
    }),
  )
  placementPolicy: Policy = 'best-fit';
  /** Logs every request (off by default: it costs throughput). */
  @Setting('LOG_HTTP', bool) logHttp = false;
  /** How long to wait for a cluster to ack a command. */
  @Setting('CLUSTER_ACK_TIMEOUT_MS', millis(100, 120_000)) clusterAckTimeoutMs = 5000;
  /** A cluster silent this long is suspect: its instances show `DEAD` and keep their records. */
  @Setting('CLUSTER_SUSPECT_MS', millis(1000, 3_600_000)) clusterSuspectMs = 10_000;
  /** A cluster silent this long is lost: its instances are placed again on other clusters. */
  @Setting('CLUSTER_LOST_MS', millis(1000, 86_400_000)) clusterLostMs = 120_000;
  /** CIDRs whose requests without Authorization act as the aerOS service account on aerOS routes. */
  @Setting(
    'AEROS_TRUSTED_NETWORKS',
    explained('AEROS_TRUSTED_NETWORKS', (raw) => {
      const parsed = parseTrustedNetworks(raw);
      return parsed.ok ? { ok: true, value: parsed.cidrs } : parsed;
    }),
  )
  aerosTrustedNetworks: string[] = [];
  /** The user trusted-network requests and API tokens act as. */
  @Setting('AEROS_SERVICE_ACCOUNT', USER_NAME) aerosServiceAccount = 'aeros';
  /** Browser origins allowed to call the API; credentials (cookies) are never allowed. */
  @Setting('CANOPY_CORS_ORIGINS', custom('origins', parseCorsOrigins)) corsOrigins: '*' | string[] = '*';
  /** The domain's NGSI-LD context broker; publishing is off when unset. */
  @Setting('CB_URL', text()) cbUrl?: string | undefined;
  /** Default 1026 (Orion-LD's and aerOS's charts), or the port inside CB_URL. */
  @Setting('CB_PORT', port(1)) cbPort?: number | undefined;
  /** Sent as `Authorization: Bearer …`; never logged. */
  @Setting('CB_TOKEN', text({ pattern: /^[\x21-\x7e]+$/, describe: 'printable ASCII without spaces' }), {
    secret: true,
  })
  cbToken?: string | undefined;
  /** A JSON-LD context URL sent in a `Link` header; unset: the core context. */
  @Setting('NGSI_LD_CONTEXT', text({ pattern: /^https?:\/\/\S+$/, describe: 'an http(s) URL of a JSON-LD context' }))
  ngsiLdContext?: string | undefined;
  /** Also upsert the InfrastructureElement entities. */
  @Setting('NGSI_LD_UPSERT_IES', bool) ngsiLdUpsertIes = false;
  /** At most one upsert per IE in this period. */
  @Setting('NGSI_LD_IE_INTERVAL_MS', millis(100, 86_400_000)) ngsiLdIeIntervalMs = 15_000;
  /** The retry delay doubles from base up to max. */
  @Setting('NGSI_LD_RETRY_BASE_MS', millis(1, 3_600_000)) ngsiLdRetryBaseMs = 500;
  @Setting('NGSI_LD_RETRY_MAX_MS', millis(1, 3_600_000)) ngsiLdRetryMaxMs = 30_000;
  /** A request that takes longer is retried. */
  @Setting('NGSI_LD_TIMEOUT_MS', millis(100, 600_000)) ngsiLdTimeoutMs = 10_000;
  @Setting('LOG_LEVEL', oneOf(LOG_LEVELS)) logLevel: (typeof LOG_LEVELS)[number] = 'info';
  /** What `GET /version` reports (set by the image build). */
  @Setting('CANOPY_BUILD_TIME', text()) buildTime = 'unknown';
  @Setting('CANOPY_COMMIT', text()) commit = 'unknown';
}
