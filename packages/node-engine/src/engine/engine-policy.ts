import type { NodeEngineConfig } from '../config/node-engine.config';
import { POLICY_DEFAULTS, type SafetyPolicy } from '../policy/instance-safety.policy';

/** The node's own container policy from its configuration; what it refuses whatever it is sent. */
export function safetyPolicyOf(config: NodeEngineConfig, gpus: number): SafetyPolicy {
  return {
    allowPrivileged: config.allowPrivileged,
    allowHostNamespaces: config.allowHostNamespaces ?? false,
    allowBindMounts: config.allowBindMounts ?? false,
    allowDockerSocket: config.allowDockerSocket ?? false,
    allowCapabilities: config.allowCapabilities ?? [],
    imageAllowlist: config.imageAllowlist ?? [],
    gpus,
    allowNamedVolumes: config.allowNamedVolumes ?? false,
    allowPrivateRegistries: config.allowPrivateRegistries ?? false,
    hostPortMin: config.hostPortMin ?? POLICY_DEFAULTS.hostPortMin,
    hostPortMax: config.hostPortMax ?? POLICY_DEFAULTS.hostPortMax,
    maxPorts: config.maxPorts ?? POLICY_DEFAULTS.maxPorts,
    ...(config.dockerSocket?.startsWith('unix://')
      ? { dockerSocketPath: config.dockerSocket.slice('unix://'.length) }
      : {}),
  };
}
