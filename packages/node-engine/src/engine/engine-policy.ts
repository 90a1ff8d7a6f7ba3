import type { NodeEngineConfig } from '../config/node-engine.config';
import type { SafetyPolicy } from '../policy/instance-safety.policy';

/** The node's own container policy from its configuration; what it refuses whatever it is sent. */
export function safetyPolicyOf(config: NodeEngineConfig, gpus: number, dockerDataRoot?: string): SafetyPolicy {
  return {
    ...(dockerDataRoot === undefined || dockerDataRoot === '' ? {} : { dockerDataRoot }),
    allowPrivileged: config.allowPrivileged,
    allowHostNamespaces: config.allowHostNamespaces,
    allowBindMounts: config.allowBindMounts,
    allowDockerSocket: config.allowDockerSocket,
    allowCapabilities: config.allowCapabilities,
    imageAllowlist: config.imageAllowlist,
    gpus,
    allowNamedVolumes: config.allowNamedVolumes,
    allowPrivateRegistries: config.allowPrivateRegistries,
    hostPortMin: config.hostPorts.min,
    hostPortMax: config.hostPorts.max,
    maxPorts: config.maxPorts,
    ...(config.dockerSocket?.startsWith('unix://')
      ? { dockerSocketPath: config.dockerSocket.slice('unix://'.length) }
      : {}),
  };
}
