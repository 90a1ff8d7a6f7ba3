import type { ApplicationRecord, InstanceRecord, ServiceRecord } from '../persistence/records';
import type { UsageLookup, UsagePoint } from '../instances/instance-usage.store';

/** Plain JSON with string ids (SPEC §4): the shapes the API returns. */
export interface InstanceView {
  instance_number: number;
  task_id: string;
  generation: number;
  status: string;
  status_detail: string;
  cluster_id: string | null;
  /** Placement epoch: grows each time the root places the instance on a cluster (1 for the first). */
  epoch: number;
  worker_id: string | null;
  node_name: string | null;
  publicip: string | null;
  container_id: string | null;
  /** Restarts of the container by its node after crashes (0 when none were reported). */
  restart_count: number;
  host_ports: InstanceRecord['hostPorts'];
  status_history: InstanceRecord['history'];
  created_at: string;
  updated_at: string;
  /**
   * Oakestra's instance page: the cluster's location, `''` when the root knows none (the
   * dashboard reads its `length` before anything else, so never null).
   */
  cluster_location: string;
  /** The dashboard's spelling of `publicip`. */
  public_ip: string | null;
  /**
   * Oakestra's per-instance usage, as the instance's node measured it: `cpu` in percent of one
   * core, `memory` in MB; null until the first sample arrives (never invented numbers).
   */
  cpu: number | null;
  memory: number | null;
  /** The last (at most 100) samples, oldest first: `value` in percent of one core. */
  cpu_history: { value: number; timestamp: string }[];
  /** The same samples' memory; `value` in bytes, as Oakestra's dashboard charts it (it divides by 10^6). */
  memory_history: { value: number; timestamp: string }[];
}

const MB = 1024 * 1024;

function historyOf(
  points: readonly UsagePoint[],
  pick: (p: UsagePoint) => number | undefined,
): { value: number; timestamp: string }[] {
  const out: { value: number; timestamp: string }[] = [];
  for (const p of points) {
    const value = pick(p);
    if (value !== undefined) {
      out.push({ value, timestamp: p.timestamp });
    }
  }
  return out;
}

/** The usage fields of one instance: only figures measured for this placement and generation. */
function usageFields(
  i: InstanceRecord,
  usage: UsageLookup | undefined,
): Pick<InstanceView, 'cpu' | 'memory' | 'cpu_history' | 'memory_history'> {
  const series = usage?.(i.serviceId, i.instanceNumber);
  if (series === undefined || series.clusterId !== i.clusterId || series.generation !== i.generation) {
    return { cpu: null, memory: null, cpu_history: [], memory_history: [] };
  }
  const cpu = historyOf(series.points, (p) => p.cpuPercent);
  const memory = historyOf(series.points, (p) => p.memoryMb);
  return {
    cpu: cpu.at(-1)?.value ?? null,
    memory: memory.at(-1)?.value ?? null,
    cpu_history: cpu,
    memory_history: memory.map((m) => ({ value: Math.round(m.value * MB), timestamp: m.timestamp })),
  };
}

/** Cluster id → its location, for the instances' `cluster_location`. */
export type ClusterLocations = ReadonlyMap<string, string | undefined>;

export function toInstanceView(
  service: ServiceRecord,
  i: InstanceRecord,
  locations?: ClusterLocations,
  usage?: UsageLookup,
): InstanceView {
  return {
    cluster_location: i.clusterId === undefined ? '' : (locations?.get(i.clusterId) ?? ''),
    public_ip: i.publicIp ?? null,
    ...usageFields(i, usage),
    instance_number: i.instanceNumber,
    task_id: `${service.jobName}.instance.${i.instanceNumber}`,
    generation: i.generation,
    status: i.status,
    status_detail: i.statusDetail,
    cluster_id: i.clusterId ?? null,
    epoch: i.epoch ?? 0,
    worker_id: i.nodeId ?? null,
    node_name: i.nodeName ?? null,
    publicip: i.publicIp ?? null,
    container_id: i.containerId ?? null,
    restart_count: i.restarts ?? 0,
    host_ports: i.hostPorts,
    status_history: i.history,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
  };
}

/** Oakestra's id shape (a MongoDB ObjectId as extended JSON): its clients build every URL from it. */
export interface OakestraId {
  $oid: string;
}

export const oid = (id: string): OakestraId => ({ $oid: id });

export type ServiceView = Record<string, unknown> & {
  _id: OakestraId;
  microserviceID: string;
  applicationID: string;
  job_name: string;
  instance_list: InstanceView[];
};

/** Registry passwords are write-only (SPEC §9): a view keeps the registry and user name, never the password. */
function withoutSecrets(sla: ServiceRecord['sla']): Record<string, unknown> {
  const { image_registry: registry, ...rest } = sla;
  if (registry === undefined) {
    return { ...rest };
  }
  const { password: _password, ...visible } = registry;
  return { ...rest, image_registry: visible };
}

export function toServiceView(
  service: ServiceRecord,
  instances: InstanceRecord[],
  locations?: ClusterLocations,
  usage?: UsageLookup,
): ServiceView {
  const live = instances.filter((i) => i.desired === 'running').sort((a, b) => a.instanceNumber - b.instanceNumber);
  const [app_name = '', app_ns = '', service_name = '', service_ns = ''] = service.jobName.split('.');
  return {
    ...withoutSecrets(service.sla),
    // Oakestra's names for what its CLI and dashboard show; `status` is the first live instance's.
    app_name,
    app_ns,
    service_name,
    service_ns,
    image: service.sla.code,
    status: live[0]?.status ?? 'UNDEPLOYED',
    _id: oid(service.id),
    microserviceID: service.id,
    applicationID: service.applicationId,
    job_name: service.jobName,
    replicas: service.replicas,
    generation: service.generation,
    version: service.version,
    created_at: service.createdAt,
    updated_at: service.updatedAt,
    instance_list: instances
      .filter((i) => i.desired === 'running' || i.status !== 'UNDEPLOYED')
      .sort((a, b) => a.instanceNumber - b.instanceNumber)
      .map((i) => toInstanceView(service, i, locations, usage)),
  };
}

export interface ApplicationView {
  _id: OakestraId;
  applicationID: string;
  application_name: string;
  application_namespace: string;
  application_desc: string;
  customerID: string;
  userId: string;
  microservices: string[];
  version: number;
  created_at: string;
  updated_at: string;
}

export function toApplicationView(a: ApplicationRecord): ApplicationView {
  return {
    _id: oid(a.id),
    applicationID: a.id,
    application_name: a.application_name,
    application_namespace: a.application_namespace,
    application_desc: a.application_desc,
    customerID: a.customerID,
    userId: a.ownerId,
    microservices: a.microservices,
    version: a.version,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}
