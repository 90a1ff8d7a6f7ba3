import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '@canopy/nest-edge';
import { ConfigError, loadSettings, type ConfigFile } from '@canopy/schema';
import { ngsiLdConfigOf, type NgsiLdConfig } from './ngsi-ld-config';
import { RootSettings } from './root-settings';

export { parseCorsOrigins } from './cors-origins';
export { RootSettings };
export type { NgsiLdConfig };

type NgsiLdSettings = 'cbUrl' | 'cbPort' | 'cbToken' | `ngsiLd${string}`;
type QuotaSettings = 'quotaInstances' | 'quotaVcpus' | 'quotaMemoryMb';

/**
 * The root's configuration as its services use it: {@link RootSettings} (where every default
 * lives), with the NGSI-LD and quota settings grouped.
 */
export interface RootConfig extends Omit<RootSettings, NgsiLdSettings | QuotaSettings> {
  /** Per-user defaults: instances, vCPUs and MB of memory. */
  quotaDefaults: { instances: number; vcpus: number; memoryMb: number };
  /** NGSI-LD status publishing to the domain's context broker; `null` (off) when CB_URL is unset. */
  ngsiLd: NgsiLdConfig | null;
}

/**
 * Reads and validates the root's configuration: the file's values, the environment over them.
 * @throws ConfigError naming the first bad variable.
 */
export function loadRootConfig(env: NodeJS.ProcessEnv, file?: ConfigFile): RootConfig {
  const settings = loadSettings(RootSettings, { env, file });
  if (settings.aerosServiceAccount === settings.adminUsername) {
    throw new ConfigError('AEROS_SERVICE_ACCOUNT', 'must not be the admin user (CANOPY_ADMIN_USER)');
  }
  if (settings.clusterLostMs <= settings.clusterSuspectMs) {
    throw new ConfigError('CLUSTER_LOST_MS', `must be longer than CLUSTER_SUSPECT_MS (${settings.clusterSuspectMs})`);
  }
  if ((settings.tlsCertFile === undefined) !== (settings.tlsKeyFile === undefined)) {
    throw new ConfigError('CANOPY_TLS_KEY_FILE', 'CANOPY_TLS_CERT_FILE and CANOPY_TLS_KEY_FILE go together');
  }
  const {
    cbUrl,
    cbPort,
    cbToken,
    ngsiLdContext,
    ngsiLdUpsertIes,
    ngsiLdIeIntervalMs,
    ngsiLdRetryBaseMs,
    ngsiLdRetryMaxMs,
    ngsiLdTimeoutMs,
    quotaInstances,
    quotaVcpus,
    quotaMemoryMb,
    ...rest
  } = settings;
  return {
    ...rest,
    quotaDefaults: { instances: quotaInstances, vcpus: quotaVcpus, memoryMb: quotaMemoryMb },
    ngsiLd: ngsiLdConfigOf({
      cbUrl,
      cbPort,
      cbToken,
      ngsiLdContext,
      ngsiLdUpsertIes,
      ngsiLdIeIntervalMs,
      ngsiLdRetryBaseMs,
      ngsiLdRetryMaxMs,
      ngsiLdTimeoutMs,
    }),
  };
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
