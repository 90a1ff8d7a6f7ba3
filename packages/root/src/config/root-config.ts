import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Policy } from '@canopy/scheduler';
import { ConfigError } from '@canopy/schema';
import { parseRootPlacementPolicy } from '../scheduling/root-scheduler';

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
  /** CANOPY_METRICS_TOKEN: a bearer token Prometheus may scrape `/metrics` with (an admin's JWT works too). */
  metricsToken?: string;
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
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(name, `must be an integer in ${min}..${max}, got "${raw}"`);
  return n;
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

export function loadRootConfig(env: NodeJS.ProcessEnv): RootConfig {
  const adminPassword = optional(env, 'CANOPY_ADMIN_PASSWORD');
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('CANOPY_ADMIN_PASSWORD', 'must be at least 8 characters');
  }
  const jwtSecret = optional(env, 'CANOPY_JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32)
    throw new ConfigError('CANOPY_JWT_SECRET', 'must be at least 32 characters');
  const clusterToken = optional(env, 'CANOPY_CLUSTER_TOKEN');
  if (clusterToken !== undefined && clusterToken.length < 16)
    throw new ConfigError('CANOPY_CLUSTER_TOKEN', 'must be at least 16 characters');
  const adminUsername = optional(env, 'CANOPY_ADMIN_USER') ?? 'Admin';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(adminUsername))
    throw new ConfigError('CANOPY_ADMIN_USER', 'must be 1-64 letters, digits, _ . -');
  const bodyLimit = optional(env, 'ROOT_BODY_LIMIT') ?? '1mb';
  if (!/^\d+(b|kb|mb)$/i.test(bodyLimit)) throw new ConfigError('ROOT_BODY_LIMIT', 'must look like 512kb or 1mb');
  const policy = parseRootPlacementPolicy(optional(env, 'ROOT_PLACEMENT_POLICY'));
  if (!policy.ok) throw new ConfigError('ROOT_PLACEMENT_POLICY', policy.message);
  const config: RootConfig = {
    placementPolicy: policy.policy,
    port: int(env, 'ROOT_PORT', 10000, 0, 65535),
    host: optional(env, 'ROOT_HOST') ?? '0.0.0.0',
    dataDir: resolve(optional(env, 'ROOT_DATA_DIR') ?? '.canopy/root'),
    adminUsername,
    bodyLimit,
    accessTokenTtlS: int(env, 'ACCESS_TOKEN_TTL_S', 900, 10, 86_400),
    refreshTokenTtlS: int(env, 'REFRESH_TOKEN_TTL_S', 604_800, 60, 31_536_000),
    clusterAckTimeoutMs: int(env, 'CLUSTER_ACK_TIMEOUT_MS', 5000, 100, 120_000),
    logHttp: optional(env, 'LOG_HTTP') === 'true',
    reconcileIntervalMs: int(env, 'RECONCILE_INTERVAL_MS', 5000, 100, 3_600_000),
    loginRateLimit: int(env, 'LOGIN_RATE_LIMIT', 10, 1, 100_000),
  };
  if (adminPassword !== undefined) config.adminPassword = adminPassword;
  if (jwtSecret !== undefined) config.jwtSecret = jwtSecret;
  if (clusterToken !== undefined) config.clusterToken = clusterToken;
  const metricsToken = optional(env, 'CANOPY_METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16)
    throw new ConfigError('CANOPY_METRICS_TOKEN', 'must be at least 16 characters');
  if (metricsToken !== undefined) config.metricsToken = metricsToken;
  const mongodbUri = optional(env, 'MONGODB_URI');
  if (mongodbUri !== undefined) config.mongodbUri = mongodbUri;
  return config;
}

export interface RootSecrets {
  jwtSecret: string;
  clusterToken: string;
  /** True when the cluster token was generated now (so it is printed once). */
  clusterTokenGenerated: boolean;
}

/**
 * Secrets that must survive restarts but need not be configured: generated on first start and kept
 * (mode 0600) in the data directory, like k3s' node token. Configured values always win.
 */
export function resolveSecrets(config: RootConfig): RootSecrets {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const file = join(config.dataDir, 'secrets.json');
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<RootSecrets>) : {};
  const generated = {
    jwtSecret: stored.jwtSecret ?? randomBytes(48).toString('base64url'),
    clusterToken: stored.clusterToken ?? randomBytes(24).toString('base64url'),
  };
  if (stored.jwtSecret === undefined || stored.clusterToken === undefined) {
    writeFileSync(file, JSON.stringify(generated), { mode: 0o600 });
  }
  return {
    jwtSecret: config.jwtSecret ?? generated.jwtSecret,
    clusterToken: config.clusterToken ?? generated.clusterToken,
    clusterTokenGenerated: config.clusterToken === undefined && stored.clusterToken === undefined,
  };
}
