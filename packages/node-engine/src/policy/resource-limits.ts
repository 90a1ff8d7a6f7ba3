import { UNDECLARED_LIMITS } from '@canopy/schema/lite';

/**
 * Limits every container gets, whatever its descriptor says: a descriptor's `memory: 0` or
 * `vcpus: 0` used to mean no limit at all, and no container had a PID limit (a fork bomb took the
 * node). Zero asks for the default; anything below the floor is raised to it.
 */
export interface ResourceLimits {
  /** `NODE_PIDS_LIMIT`, default 512 */
  pidsLimit: number;
  /** `NODE_DEFAULT_MEMORY_MB`, default 512: when the descriptor says 0 */
  defaultMemoryBytes: number;
  /** 6 MiB: Docker refuses less */
  minMemoryBytes: number;
  /** `NODE_DEFAULT_VCPUS`, default 1: when the descriptor says 0 */
  defaultNanoCpus: number;
  /** 0.01 CPU */
  minNanoCpus: number;
}

export const DEFAULT_RESOURCE_LIMITS: ResourceLimits = {
  pidsLimit: 512,
  defaultMemoryBytes: UNDECLARED_LIMITS.memoryMb * 1024 * 1024,
  minMemoryBytes: 6 * 1024 * 1024,
  defaultNanoCpus: UNDECLARED_LIMITS.vcpus * 1e9,
  minNanoCpus: 1e7,
};

/** The memory, CPU and PID limits a container is created with. Pure. */
export function effectiveLimits(
  asked: { memoryBytes: number; nanoCpus: number },
  limits: ResourceLimits = DEFAULT_RESOURCE_LIMITS,
): { memoryBytes: number; nanoCpus: number; pidsLimit: number } {
  const memory = asked.memoryBytes > 0 ? asked.memoryBytes : limits.defaultMemoryBytes;
  const cpus = asked.nanoCpus > 0 ? asked.nanoCpus : limits.defaultNanoCpus;
  return {
    memoryBytes: Math.max(limits.minMemoryBytes, Math.round(memory)),
    nanoCpus: Math.max(limits.minNanoCpus, Math.round(cpus)),
    pidsLimit: limits.pidsLimit,
  };
}
