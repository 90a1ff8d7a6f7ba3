import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Policy } from '@canopy/scheduler';
import { ensurePrivateDir } from '@canopy/nest-edge';
import { ConfigError } from '@canopy/schema';
import { loadNgsiLdConfig, type NgsiLdConfig } from './ngsi-ld-config';
import { parseRootPlacementPolicy } from '../scheduling/root-scheduler';
import { parseTrustedNetworks } from '../auth/trusted-networks';
import { bool, int, optional } from './env-values';

export type { NgsiLdConfig };

export interface RootConfig {
  /** ROOT_PORT, default 10000 (REST + Socket.IO) */
  port: number;
  /** ROOT_HOST, default 0.0.0.0 */
  host: string;
  /** ROOT_DATA_DIR, default ./.canopy/root (SQLite file, generated secrets) */
  dataDir: string;
  /** CANOPY_ADMIN_USER, default Admin */
  adminUsername: string;
  /** CANOPY_ADMIN_PASSWORD: the first admin's password; if unset one is generated and printed once. */
  adminPassword?: string;
  /** CANOPY_JWT_SECRET: signing key; generated once and kept in the data directory if unset. */
  jwtSecret?: string;
  /** CANOPY_CLUSTER_TOKEN: the token clusters present; generated once and kept in the data directory if unset. */
  clusterToken?: string;
  /**
   * CANOPY_ALLOW_SHARED_CLUSTER_TOKEN, default false: clusters an admin did not register may connect
   * with the shared cluster token under any free name (the embedded mode turns it on).
   */
  allowSharedClusterToken?: boolean;
  /** CANOPY_QUOTA_INSTANCES / CANOPY_QUOTA_VCPUS / CANOPY_QUOTA_MEMORY_MB: per-user defaults (100 / 64 / 262144) */
  quotaDefaults?: { instances: number; vcpus: number; memoryMb: number };
  /** CANOPY_METRICS_TOKEN: a bearer token Prometheus may scrape `/metrics` with (an admin's JWT works too). */
  metricsToken?: string;
  /** CANOPY_TLS_CERT_FILE / CANOPY_TLS_KEY_FILE (PEM paths): REST and Socket.IO over HTTPS/WSS only. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** MONGODB_URI: use MongoDB instead of SQLite (a later issue). */
  mongodbUri?: string;
  /** ROOT_BODY_LIMIT, default 1mb: larger request bodies get 413. */
  bodyLimit: string;
  /** ACCESS_TOKEN_TTL_S (900) and REFRESH_TOKEN_TTL_S (604800) */
  accessTokenTtlS: number;
  refreshTokenTtlS: number;
  /** RECONCILE_INTERVAL_MS, default 5000: how often replica counts and unplaced instances are re-checked. */
  reconcileIntervalMs: number;
  /** LOGIN_RATE_LIMIT, default 10: login/refresh attempts per minute per client address and user name. */
  loginRateLimit: number;
  /** ROOT_PLACEMENT_POLICY, default best-fit: the policy for services that name none. */
  placementPolicy: Policy;
  /** LOG_HTTP=true logs every request (off by default: it costs throughput). */
  logHttp: boolean;
  /** CLUSTER_ACK_TIMEOUT_MS, default 5000: how long to wait for a cluster to ack a command. */
  clusterAckTimeoutMs: number;
  /**
   * CLUSTER_SUSPECT_MS, default 10000: a cluster neither connected nor heard from (heartbeat, sync,
   * any event) for this long is suspect: its instances show `DEAD` ("cluster X stopped reporting")
   * and keep their records; they come back as soon as the cluster reports them again.
   */
  clusterSuspectMs: number;
  /**
   * CLUSTER_LOST_MS, default 120000: silent this long, a cluster is lost: its desired instances are
   * placed again (same instance number, a new placement epoch) on other clusters that fit, and it
   * removes them when it returns.
   */
  clusterLostMs: number;
  /**
   * AEROS_TRUSTED_NETWORKS, default none: comma-separated CIDRs (IPv4, IPv6). A request from one of
   * them with no Authorization header, to an aerOS route, acts as the aerOS service account.
   */
  aerosTrustedNetworks: string[];
  /** AEROS_SERVICE_ACCOUNT, default aeros: the user trusted-network requests and API tokens act as. */
  aerosServiceAccount: string;
  /** NGSI-LD status publishing to the domain's context broker; `null` (off) when CB_URL is unset. */
  ngsiLd: NgsiLdConfig | null;
  /**
   * CANOPY_CORS_ORIGINS, default `*`: the browser origins allowed to call the API (comma-separated
   * `scheme://host[:port]`, or `*` for any). Credentials (cookies) are never allowed: the API is
   * called with a bearer token, so any origin is safe by default.
   */
  corsOrigins: '*' | string[];
}

export function loadRootConfig(env: NodeJS.ProcessEnv): RootConfig {
  const adminPassword = optional(env, 'CANOPY_ADMIN_PASSWORD');
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('CANOPY_ADMIN_PASSWORD', 'must be at least 8 characters');
  }
  const jwtSecret = optional(env, 'CANOPY_JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError('CANOPY_JWT_SECRET', 'must be at least 32 characters');
  }
  const clusterToken = optional(env, 'CANOPY_CLUSTER_TOKEN');
  if (clusterToken !== undefined && clusterToken.length < 16) {
    throw new ConfigError('CANOPY_CLUSTER_TOKEN', 'must be at least 16 characters');
  }
  const adminUsername = optional(env, 'CANOPY_ADMIN_USER') ?? 'Admin';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(adminUsername)) {
    throw new ConfigError('CANOPY_ADMIN_USER', 'must be 1-64 letters, digits, _ . -');
  }
  const bodyLimit = optional(env, 'ROOT_BODY_LIMIT') ?? '1mb';
  if (!/^\d+(b|kb|mb)$/i.test(bodyLimit)) {
    throw new ConfigError('ROOT_BODY_LIMIT', 'must look like 512kb or 1mb');
  }
  const policy = parseRootPlacementPolicy(optional(env, 'ROOT_PLACEMENT_POLICY'));
  if (!policy.ok) {
    throw new ConfigError('ROOT_PLACEMENT_POLICY', policy.message);
  }
  const trusted = parseTrustedNetworks(optional(env, 'AEROS_TRUSTED_NETWORKS'));
  if (!trusted.ok) {
    throw new ConfigError('AEROS_TRUSTED_NETWORKS', trusted.message);
  }
  const aerosServiceAccount = optional(env, 'AEROS_SERVICE_ACCOUNT') ?? 'aeros';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(aerosServiceAccount)) {
    throw new ConfigError('AEROS_SERVICE_ACCOUNT', 'must be 1-64 letters, digits, _ . -');
  }
  if (aerosServiceAccount === adminUsername) {
    throw new ConfigError('AEROS_SERVICE_ACCOUNT', 'must not be the admin user (CANOPY_ADMIN_USER)');
  }
  const config: RootConfig = {
    aerosTrustedNetworks: trusted.cidrs,
    aerosServiceAccount,
    placementPolicy: policy.policy,
    port: int(env, 'ROOT_PORT', 10000, 0, 65535),
    host: optional(env, 'ROOT_HOST') ?? '0.0.0.0',
    dataDir: resolve(optional(env, 'ROOT_DATA_DIR') ?? '.canopy/root'),
    adminUsername,
    bodyLimit,
    accessTokenTtlS: int(env, 'ACCESS_TOKEN_TTL_S', 900, 10, 86_400),
    refreshTokenTtlS: int(env, 'REFRESH_TOKEN_TTL_S', 604_800, 60, 31_536_000),
    clusterAckTimeoutMs: int(env, 'CLUSTER_ACK_TIMEOUT_MS', 5000, 100, 120_000),
    clusterSuspectMs: int(env, 'CLUSTER_SUSPECT_MS', 10_000, 1000, 3_600_000),
    clusterLostMs: int(env, 'CLUSTER_LOST_MS', 120_000, 1000, 86_400_000),
    logHttp: optional(env, 'LOG_HTTP') === 'true',
    reconcileIntervalMs: int(env, 'RECONCILE_INTERVAL_MS', 5000, 100, 3_600_000),
    loginRateLimit: int(env, 'LOGIN_RATE_LIMIT', 10, 1, 100_000),
    ngsiLd: loadNgsiLdConfig(env),
    corsOrigins: parseCorsOrigins(optional(env, 'CANOPY_CORS_ORIGINS')),
    allowSharedClusterToken: bool(env, 'CANOPY_ALLOW_SHARED_CLUSTER_TOKEN', false),
    quotaDefaults: {
      instances: int(env, 'CANOPY_QUOTA_INSTANCES', 100, 0, 1_000_000),
      vcpus: int(env, 'CANOPY_QUOTA_VCPUS', 64, 0, 1_000_000),
      memoryMb: int(env, 'CANOPY_QUOTA_MEMORY_MB', 256 * 1024, 0, 1_000_000_000),
    },
  };
  if (config.clusterLostMs <= config.clusterSuspectMs) {
    throw new ConfigError('CLUSTER_LOST_MS', `must be longer than CLUSTER_SUSPECT_MS (${config.clusterSuspectMs})`);
  }
  if (adminPassword !== undefined) {
    config.adminPassword = adminPassword;
  }
  if (jwtSecret !== undefined) {
    config.jwtSecret = jwtSecret;
  }
  if (clusterToken !== undefined) {
    config.clusterToken = clusterToken;
  }
  const metricsToken = optional(env, 'CANOPY_METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) {
    throw new ConfigError('CANOPY_METRICS_TOKEN', 'must be at least 16 characters');
  }
  if (metricsToken !== undefined) {
    config.metricsToken = metricsToken;
  }
  const tlsCertFile = optional(env, 'CANOPY_TLS_CERT_FILE');
  const tlsKeyFile = optional(env, 'CANOPY_TLS_KEY_FILE');
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) {
    throw new ConfigError('CANOPY_TLS_KEY_FILE', 'CANOPY_TLS_CERT_FILE and CANOPY_TLS_KEY_FILE go together');
  }
  if (tlsCertFile !== undefined && tlsKeyFile !== undefined) {
    config.tlsCertFile = tlsCertFile;
    config.tlsKeyFile = tlsKeyFile;
  }
  const mongodbUri = optional(env, 'MONGODB_URI');
  if (mongodbUri !== undefined) {
    config.mongodbUri = mongodbUri;
  }
  return config;
}

export interface RootSecrets {
  jwtSecret: string;
  /** The key registry passwords are sealed with in the store (generated once, kept in secrets.json). */
  storeKey: string;
  clusterToken: string;
  /** True when the cluster token was generated now (so it is printed once). */
  clusterTokenGenerated: boolean;
}

/**
 * Secrets that must survive restarts but need not be configured: generated on first start and kept
 * (mode 0600) in the data directory, like k3s' node token. Configured values always win.
 */
export function resolveSecrets(config: RootConfig): RootSecrets {
  ensurePrivateDir(config.dataDir);
  const file = join(config.dataDir, 'secrets.json');
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<RootSecrets>) : {};
  const generated = {
    jwtSecret: stored.jwtSecret ?? randomBytes(48).toString('base64url'),
    clusterToken: stored.clusterToken ?? randomBytes(24).toString('base64url'),
    storeKey: stored.storeKey ?? randomBytes(32).toString('base64url'),
  };
  if (stored.jwtSecret === undefined || stored.clusterToken === undefined || stored.storeKey === undefined) {
    writeFileSync(file, JSON.stringify(generated), { mode: 0o600 });
  }
  return {
    storeKey: generated.storeKey,
    jwtSecret: config.jwtSecret ?? generated.jwtSecret,
    clusterToken: config.clusterToken ?? generated.clusterToken,
    clusterTokenGenerated: config.clusterToken === undefined && stored.clusterToken === undefined,
  };
}

/** CANOPY_CORS_ORIGINS: `*` (the default) or a comma-separated list of exact origins. */
export function parseCorsOrigins(raw: string | undefined): '*' | string[] {
  const entries = (raw ?? '*')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0 || entries.includes('*')) {
    if (entries.length > 1) {
      throw new ConfigError('CANOPY_CORS_ORIGINS', '"*" cannot be combined with other origins');
    }
    return '*';
  }
  for (const entry of entries) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new ConfigError('CANOPY_CORS_ORIGINS', `"${entry}" is not an origin such as https://dash.example.org`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== entry) {
      throw new ConfigError('CANOPY_CORS_ORIGINS', `"${entry}" is not an origin such as https://dash.example.org`);
    }
  }
  return entries;
}
