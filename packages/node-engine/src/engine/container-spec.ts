import { CanopyLabels } from '@canopy/schema/lite';
import type { InstanceKey, InstanceSpecDto } from '@canopy/schema';
import type { ContainerCreateSpec } from '../docker/container-runtime.port';

/**
 * Whether the instance is a one-shot job. Not part of the idempotency key, but needed to tell
 * COMPLETED from DEAD for a container adopted after a restart, when only Docker remembers it.
 */
export const ONE_SHOT_LABEL = 'io.canopy.one-shot';

const MIB = 1024 * 1024;

/** `canopy-<nodeId>-<serviceId>-<instance>-<generation>`, reduced to what Docker accepts in a name. */
export function containerName(nodeId: string, key: InstanceKey): string {
  const raw = `canopy-${nodeId}-${key.serviceId}-${key.instanceNumber}-${key.generation}`;
  return raw.replace(/[^A-Za-z0-9_.-]/g, '-');
}

export function containerLabels(nodeId: string, spec: InstanceSpecDto): Record<string, string> {
  return {
    [CanopyLabels.managed]: 'true',
    [CanopyLabels.serviceId]: spec.serviceId,
    [CanopyLabels.instance]: String(spec.instanceNumber),
    [CanopyLabels.generation]: String(spec.generation),
    [CanopyLabels.jobName]: spec.jobName,
    [CanopyLabels.nodeId]: nodeId,
    [ONE_SHOT_LABEL]: String(spec.oneShot),
  };
}

/** The labels that select every container this node owns. */
export function nodeSelector(nodeId: string): Record<string, string> {
  return { [CanopyLabels.managed]: 'true', [CanopyLabels.nodeId]: nodeId };
}

export function toCreateSpec(nodeId: string, spec: InstanceSpecDto): ContainerCreateSpec {
  return {
    name: containerName(nodeId, spec),
    image: spec.image,
    cmd: spec.cmd,
    env: spec.environment,
    labels: containerLabels(nodeId, spec),
    ports: spec.ports,
    memoryBytes: spec.memoryMb > 0 ? spec.memoryMb * MIB : 0,
    nanoCpus: spec.vcpus > 0 ? Math.round(spec.vcpus * 1e9) : 0,
    privileged: spec.privileged,
    gpus: spec.vgpus,
    hostNetwork: spec.hostNetwork === true,
    hostPid: spec.hostPid === true,
    hostIpc: spec.hostIpc === true,
    binds: [...(spec.binds ?? [])],
    capAdd: (spec.capAdd ?? []).map((c) => c.toUpperCase().replace(/^CAP_/, '')),
  };
}

export interface LabelledInstance extends InstanceKey {
  jobName?: string;
  oneShot: boolean;
}

/** Rebuilds an instance's key from its container's labels; `undefined` if they are not Canopy's. */
export function instanceFromLabels(labels: Record<string, string>): LabelledInstance | undefined {
  const serviceId = labels[CanopyLabels.serviceId];
  const instanceNumber = Number(labels[CanopyLabels.instance]);
  const generation = Number(labels[CanopyLabels.generation]);
  if (serviceId === undefined || serviceId === '') {
    return undefined;
  }
  if (!Number.isInteger(instanceNumber) || instanceNumber < 0) {
    return undefined;
  }
  if (!Number.isInteger(generation) || generation < 0) {
    return undefined;
  }
  const jobName = labels[CanopyLabels.jobName];
  return {
    serviceId,
    instanceNumber,
    generation,
    ...(jobName === undefined || jobName === '' ? {} : { jobName }),
    oneShot: labels[ONE_SHOT_LABEL] === 'true',
  };
}
