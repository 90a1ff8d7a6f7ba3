/** Oakestra's service key: `<app>.<appns>.<svc>.<svcns>`. */
export function jobName(app: string, appNamespace: string, service: string, serviceNamespace: string): string {
  return `${app}.${appNamespace}.${service}.${serviceNamespace}`;
}

/** Oakestra's instance task id: `<job_name>.instance.<n>`. */
export function instanceTaskId(job: string, instanceNumber: number): string {
  return `${job}.instance.${instanceNumber}`;
}

/**
 * The idempotency key of one container's worth of work (SPEC §2). The same key twice is a no-op;
 * a higher generation for the same (service, instance) replaces the container.
 */
export interface InstanceKey {
  serviceId: string;
  instanceNumber: number;
  generation: number;
}

export function instanceKeyString(key: InstanceKey): string {
  return `${key.serviceId}/${key.instanceNumber}@${key.generation}`;
}

/** Docker labels on every container Canopy owns; the node rebuilds its view from these alone. */
export const CanopyLabels = {
  managed: 'io.canopy.managed',
  serviceId: 'io.canopy.service-id',
  instance: 'io.canopy.instance',
  generation: 'io.canopy.generation',
  jobName: 'io.canopy.job-name',
  nodeId: 'io.canopy.node-id',
} as const;
